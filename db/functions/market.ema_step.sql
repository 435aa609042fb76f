-- One EMA step after the seed, as TA-Lib writes it: (x - previous) * k + previous.
-- The transition of market.ema and the EMA/MACD lines of market._compute_indicators (full and daily).
-- A SQL-standard body: bound when created (no search_path to pin) and inlined into its callers.
create or replace function market.ema_step(
    p_prev double precision, p_x double precision, p_k double precision
)
returns double precision
language sql
immutable
strict
parallel safe
return (p_x - p_prev) * p_k + p_prev;

comment on function market.ema_step(double precision, double precision, double precision) is
'EMA step (x - previous) * k + previous (TA-Lib); shared by market.ema and the indicator kernel.';
