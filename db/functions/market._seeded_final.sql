-- Final function of market.ema and market.wilder: the value once the seed is complete (state
-- {bars seen, value, period, kind}), null during the warm-up. Pure.
-- A SQL-standard body: bound when created (no search_path to pin).
create or replace function market._seeded_final(p_state double precision[])
returns double precision
language sql
immutable
parallel safe
return case when p_state[1] > 0 and p_state[1] >= p_state[3] then p_state[2] end;

comment on function market._seeded_final(double precision[]) is
'Final function of market.ema and market.wilder: the smoothed value after the n-th input, null before.';
