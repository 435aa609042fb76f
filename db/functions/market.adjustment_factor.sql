-- The split and dividend adjustment of one bar: adjusted_close / close, the factor the indicator
-- inputs apply to open, high, low and close. 1 when the close is 0 (a zero yield: yields are never
-- adjusted). A SQL-standard body: bound when created (no search_path to pin) and inlined (not
-- declared strict: PostgreSQL does not inline a strict function whose body is a CASE).
create or replace function market.adjustment_factor(p_close double precision, p_adjusted_close double precision)
returns double precision
language sql
immutable
parallel safe
return case when p_close = 0 then 1 else p_adjusted_close / p_close end;

comment on function market.adjustment_factor(double precision, double precision) is
'adjusted_close / close (1 when close is 0): the factor applied to a bar''s OHLC for the indicators and the screener.';
