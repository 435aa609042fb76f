-- Fixture helpers for the state-machine, planning and claiming tests (test database only).
create schema if not exists tests;

-- p_n assets on one exchange named <prefix><n>.<exchange>, each with a state row; returns how many.
create or replace function tests.add_assets(p_exchange text, p_n integer, p_prefix text default 'T')
returns integer
language plpgsql
as $$
declare
    v_count integer;
begin
    with ins as (
        insert into market.assets (ticker, symbol, exchange_code, listing_venue)
        select p_prefix || g || '.' || p_exchange, p_prefix || g, p_exchange, p_exchange
        from generate_series(1, p_n) as g
        returning asset_id
    )
    insert into pipeline.asset_processing_state (asset_id) select asset_id from ins;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- Mark assets as loaded up to a watermark (state only, no bars): active, fundamentals fresh, no history owed.
create or replace function tests.mark_loaded(p_ticker_pattern text, p_last date, p_fetched timestamptz)
returns integer
language plpgsql
as $$
declare
    v_count integer;
begin
    update pipeline.asset_processing_state s
       set status = 'active', prices_first_date = least(p_last, date '2020-01-02'), prices_last_date = p_last,
           fundamentals_fetched_at = p_fetched, last_success_at = p_fetched,
           history_owed_from = null
      from market.assets a
     where a.asset_id = s.asset_id and a.ticker like p_ticker_pattern;
    get diagnostics v_count = row_count;
    return v_count;
end;
$$;

-- A running execution with the given parameters; returns its id.
create or replace function tests.new_execution(p_as_of timestamptz, p_parameters jsonb default '{}', p_run text default 'r1')
returns bigint
language sql
as $$
    select pipeline.start_execution('test_collection', p_run, p_as_of, p_parameters)
$$;

-- The EXPLAIN lines of a query (to assert which index a plan uses).
create or replace function tests.explain_lines(p_query text)
returns setof text
language plpgsql
as $$
declare
    v_line text;
begin
    for v_line in execute 'explain ' || p_query loop
        return next v_line;
    end loop;
end;
$$;
