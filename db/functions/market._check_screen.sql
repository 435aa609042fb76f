-- market._check_screen: the market.screens trigger. A screen is saved only when its SQL stays
-- inside its expression (market._check_screen_sql) and test-runs against market.screener_latest:
-- the predicate is a boolean over its columns, the ordering valid, the listed columns exist.
-- The test run reads no row (limit 0). This file also (re)creates the trigger. Idempotent.
create or replace function market._check_screen()
returns trigger
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_missing text[];
begin
    perform market._check_screen_sql(new.screen_name, 'predicate', new.predicate);
    if new.order_by is not null then
        perform market._check_screen_sql(new.screen_name, 'order_by', new.order_by);
    end if;
    begin
        execute format('select 1 from market.screener_latest as s where (%s) limit 0', new.predicate);
        -- inside a window's parentheses an ordering cannot smuggle in a limit or a locking clause
        execute format('select row_number() over (order by %s) from market.screener_latest as s limit 0',
                       coalesce(new.order_by, 's.ticker'));
    exception when others then
        raise exception 'screen %: % (predicate: %; order_by: %)', new.screen_name, sqlerrm, new.predicate,
            coalesce(new.order_by, '<none>') using errcode = 'invalid_parameter_value';
    end;
    select array_agg(c.name order by c.name) into v_missing
    from unnest(new.columns) as c (name)
    where not exists (select 1 from pg_catalog.pg_attribute as a
                      where a.attrelid = 'market.screener_latest'::regclass and a.attname = c.name
                        and a.attnum > 0 and not a.attisdropped);
    if v_missing is not null then
        raise exception 'screen %: unknown column(s) of market.screener_latest: %', new.screen_name,
            array_to_string(v_missing, ', ') using errcode = 'invalid_parameter_value';
    end if;
    new.updated_at := case when tg_op = 'UPDATE' then now() else new.updated_at end;
    return new;
end;
$$;

comment on function market._check_screen() is
'Trigger of market.screens: refuses (22023) a screen whose predicate, ordering or columns do not test-run '
'against market.screener_latest.';

create or replace trigger screens_check
before insert or update on market.screens
for each row execute function market._check_screen();
