-- Transition of the market.ema aggregate. State {bars seen, value, period}: the sum of the first
-- n inputs, their mean at the n-th (TA-Lib's seed), then market.ema_step with k = 2 / (n + 1).
-- Null inputs are skipped (strict). Pure.
create or replace function market._ema_transition(
    p_state double precision[], p_x double precision, p_n integer
)
returns double precision[]
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
begin
    if p_n < 2 then
        raise exception 'market.ema: the period must be at least 2, got %', p_n using errcode = '22023';
    end if;
    if p_state[1] < p_n - 1 then
        return array[p_state[1] + 1, p_state[2] + p_x, p_n];
    elsif p_state[1] = p_n - 1 then
        return array[p_n, (p_state[2] + p_x) / p_n, p_n];
    end if;
    return array[p_state[1] + 1, market.ema_step(p_state[2], p_x, 2.0::float8 / (p_n + 1)), p_n];
end;
$$;

comment on function market._ema_transition(double precision[], double precision, integer) is
'Transition of market.ema: sums the first n inputs, seeds with their mean, then steps with market.ema_step.';
