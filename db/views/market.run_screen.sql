-- market.run_screen: the rows of market.screener_latest a saved screen (market.screens) selects,
-- in its order (then by ticker). Called from psql (select * from market.run_screen('oversold_uptrend'))
-- and by the screener CLI. Read-only and idempotent.
-- Lives in db/views/ because its result is a row of the view market.screener_latest (rule of
-- db/migrate.sh for a function file in db/views/: dropped before the views are re-applied, so
-- the view's file may drop and re-create it, and created again after every view).
-- The predicate is operator-written SQL (checked when saved: one expression, no semicolon or
-- comment) and runs with the caller's rights, in a read-only subtransaction: a predicate that
-- calls a function which writes fails instead of writing.
create or replace function market.run_screen(p_screen_name text)
returns setof market.screener_latest
language plpgsql
stable
set search_path = ''
as $$
declare
    v_screen market.screens;
begin
    select * into v_screen from market.screens as s where s.screen_name = p_screen_name;
    if not found then
        raise exception 'run_screen: unknown screen %; saved screens: %', coalesce(quote_literal(p_screen_name), '<null>'),
            coalesce((select string_agg(s.screen_name, ', ' order by s.screen_name) from market.screens as s), 'none')
            using errcode = 'invalid_parameter_value';
    end if;
    begin
        perform pg_catalog.set_config('transaction_read_only', 'on', true);
        return query execute format(
            'select s.* from market.screener_latest as s where (%s) order by %s, s.ticker',
            v_screen.predicate, coalesce(v_screen.order_by, 's.ticker')
        );
        -- leave the subtransaction by rolling it back: the read-only mode ends with it
        raise exception using errcode = 'SCRN0';
    exception when sqlstate 'SCRN0' then
        null;
    end;
end;
$$;

comment on function market.run_screen(text) is
'Rows of market.screener_latest matching the saved screen''s predicate, in its order; read-only; '
'unknown screen: 22023. Predicates are SQL run with the caller''s rights.';
