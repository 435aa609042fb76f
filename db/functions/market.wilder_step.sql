-- One step of Wilder's smoothing after the seed, as TA-Lib writes it: (previous * (n - 1) + x) / n.
-- The transition of market.wilder and of RSI, ATR and ADX in market._compute_indicators (full and daily).
-- A SQL-standard body: bound when created (no search_path to pin) and inlined into its callers.
create or replace function market.wilder_step(
    p_prev double precision, p_x double precision, p_n integer
)
returns double precision
language sql
immutable
strict
parallel safe
return (p_prev * (p_n - 1) + p_x) / p_n;

comment on function market.wilder_step(double precision, double precision, integer) is
'Wilder smoothing step (previous * (n - 1) + x) / n (TA-Lib RSI, ATR, ADX); shared by market.wilder and the kernel.';
