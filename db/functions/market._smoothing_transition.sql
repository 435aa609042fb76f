-- Transition of the market.ema and market.wilder aggregates. State {bars seen, value, period,
-- kind}: the kind comes from the aggregate's initial state (0 EMA, 1 Wilder). Both sum the first
-- n inputs and seed with their mean at the n-th (TA-Lib's seed), then step with market.ema_step
-- (k = 2 / (n + 1)) or market.wilder_step. Null inputs are skipped (strict). Pure.
create or replace function market._smoothing_transition(
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
        raise exception '%: the period must be at least 2, got %',
            case when p_state[4] = 0 then 'market.ema' else 'market.wilder' end, p_n
            using errcode = '22023';
    end if;
    if p_state[1] < p_n - 1 then
        return array[p_state[1] + 1, p_state[2] + p_x, p_n, p_state[4]];
    elsif p_state[1] = p_n - 1 then
        return array[p_n, (p_state[2] + p_x) / p_n, p_n, p_state[4]];
    elsif p_state[4] = 0 then
        return array[p_state[1] + 1, market.ema_step(p_state[2], p_x, 2.0::float8 / (p_n + 1)), p_n, 0];
    end if;
    return array[p_state[1] + 1, market.wilder_step(p_state[2], p_x, p_n), p_n, 1];
end;
$$;

comment on function market._smoothing_transition(double precision[], double precision, integer) is
'Transition of market.ema (state kind 0) and market.wilder (kind 1): sums the first n inputs, seeds with their '
'mean, then steps with market.ema_step or market.wilder_step.';
