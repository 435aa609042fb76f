-- A moving sum with an inverse: as a window function over "rows n - 1 preceding" each row costs one
-- addition and one subtraction (float8pl, float8mi), the same running sum, in the same order, as the
-- kernel's SMA, WMA, volume averages and window sums (TA-Lib's: add, emit, subtract).
create or replace aggregate market.moving_sum(double precision) (
    sfunc = pg_catalog.float8pl,
    stype = double precision,
    msfunc = pg_catalog.float8pl,
    minvfunc = pg_catalog.float8mi,
    mstype = double precision,
    parallel = safe
);

comment on aggregate market.moving_sum(double precision) is
'Sum with an inverse transition: O(1) per row over a moving frame; moving_sum(x) over (rows n - 1 preceding) / n '
'is TA-Lib''s SMA(n), bit for bit.';
