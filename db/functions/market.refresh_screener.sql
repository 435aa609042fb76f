-- Refreshes market.screener_latest: concurrently (readers never blocked) once it is populated,
-- a plain refresh the first time. Called by the indicator DAG after market.refresh_indicators. Idempotent.
create or replace function market.refresh_screener()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set jit = off
set work_mem = '256MB'
as $$
declare
    v_concurrently boolean;
    v_rows bigint;
begin
    select c.relispopulated into v_concurrently
    from pg_catalog.pg_class as c
    where c.oid = 'market.screener_latest'::regclass;
    if v_concurrently then
        refresh materialized view concurrently market.screener_latest;
    else
        refresh materialized view market.screener_latest;
    end if;
    select count(*) into v_rows from market.screener_latest;
    return jsonb_build_object('rows', v_rows, 'concurrently', v_concurrently);
end;
$$;

comment on function market.refresh_screener() is
'Refreshes market.screener_latest (concurrently when already populated); returns {"rows", "concurrently"}.';
