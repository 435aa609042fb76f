-- One step of Wilder's running sum, as TA-Lib's ADX family writes it: previous - previous / n + x.
-- Smooths +DM, -DM and the true range in market._compute_indicators (full and daily).
-- A SQL-standard body: bound when created (no search_path to pin) and inlined into its callers.
create or replace function market.wilder_sum_step(
    p_prev double precision, p_x double precision, p_n integer
)
returns double precision
language sql
immutable
strict
parallel safe
return p_prev - p_prev / p_n + p_x;

comment on function market.wilder_sum_step(double precision, double precision, integer) is
'Wilder running-sum step previous - previous / n + x (TA-Lib +DM, -DM and TR of the ADX family).';
