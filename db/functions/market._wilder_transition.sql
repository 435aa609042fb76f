-- Transition of the market.wilder aggregate. State {bars seen, value, period}: the sum of the
-- first n inputs, their mean at the n-th (TA-Lib's RSI and ATR seed), then market.wilder_step.
-- Null inputs are skipped (strict), so a lag-based input starts with the second bar. Pure.
create or replace function market._wilder_transition(
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
        raise exception 'market.wilder: the period must be at least 2, got %', p_n using errcode = '22023';
    end if;
    if p_state[1] < p_n - 1 then
        return array[p_state[1] + 1, p_state[2] + p_x, p_n];
    elsif p_state[1] = p_n - 1 then
        return array[p_n, (p_state[2] + p_x) / p_n, p_n];
    end if;
    return array[p_state[1] + 1, market.wilder_step(p_state[2], p_x, p_n), p_n];
end;
$$;

comment on function market._wilder_transition(double precision[], double precision, integer) is
'Transition of market.wilder: sums the first n inputs, seeds with their mean, then steps with market.wilder_step.';
