-- Wilder's smoothing (n) with TA-Lib's seeding as an aggregate (state kind 1 of
-- market._smoothing_transition): over a window ordered by date it yields, e.g., ATR(14) from the
-- true range, or RSI's average gain and loss. Same steps as the kernel.
create or replace aggregate market.wilder(double precision, integer) (
    sfunc = market._smoothing_transition,
    stype = double precision[],
    finalfunc = market._seeded_final,
    initcond = '{0,0,0,1}',
    parallel = safe
);

comment on aggregate market.wilder(double precision, integer) is
'Wilder smoothing as TA-Lib seeds it (mean of the first n inputs, then market.wilder_step); use as a window '
'function ordered by date (ATR from the true range, RSI from gains and losses).';
