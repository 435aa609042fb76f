-- EMA(n) with TA-Lib's seeding as an aggregate (state kind 0 of market._smoothing_transition): over
-- a window ordered by date it yields TA-Lib's EMA on every row (null for the first n - 1). Same
-- steps as ema_12/26/50/200 of the kernel.
create or replace aggregate market.ema(double precision, integer) (
    sfunc = market._smoothing_transition,
    stype = double precision[],
    finalfunc = market._seeded_final,
    initcond = '{0,0,0,0}',
    parallel = safe
);

comment on aggregate market.ema(double precision, integer) is
'EMA(n) as TA-Lib computes it (seed = mean of the first n inputs, then market.ema_step); use as a window function '
'ordered by date.';
