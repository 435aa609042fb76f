-- Roles and grants (migration 0014, db/grants.sql): the group and login roles, one decision per
-- function, EXECUTE and table privileges exactly as decided, nothing for PUBLIC.
begin;
select plan(20);

-- test: the group roles exist and cannot log in; each login role is a plain member of its group
select is(
    (select count(*)::integer from pipeline.database_roles as d
     join pg_roles as r on r.rolname = d.group_role where not r.rolcanlogin),
    3, 'fetcher, airflow and reader group roles exist, NOLOGIN'
);
select is(
    (select array_agg(d.login_role order by 1) from pipeline.database_roles as d
     join pg_roles as r on r.rolname = d.login_role
     where not (r.rolcanlogin and pg_has_role(d.login_role, d.group_role, 'member')
                and not r.rolsuper and not r.rolcreaterole and not r.rolcreatedb and not r.rolbypassrls)),
    null, 'every login role can log in, is a member of its group and has no other power'
);

-- test: one decision per function of the project schemas, none for a function that is gone
select is(
    (select array_agg(distinct p.pronamespace::regnamespace || '.' || p.proname)
     from pg_proc as p
     where p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and not exists (select from pg_depend as x where x.objid = p.oid and x.deptype = 'e')
       and not exists (select from pipeline.function_grants as g
                       where g.function_name = p.pronamespace::regnamespace || '.' || p.proname)),
    null, 'every function has a decision in db/grants.sql (add the missing ones there)'
);
select is(
    (select array_agg(g.function_name order by 1) from pipeline.function_grants as g
     where not exists (select from pg_proc as p
                       where p.pronamespace::regnamespace || '.' || p.proname = g.function_name)),
    null, 'every decision names an existing function'
);
select is(
    (select array_agg(g.function_name order by 1) from pipeline.function_grants as g
     where not g.granted_to <@ array['fetcher', 'airflow', 'reader']),
    null, 'decisions grant only to fetcher, airflow or reader'
);

-- test: EXECUTE exactly as decided, for each group role; PUBLIC executes nothing
create temp table decided_exec as
select d.purpose, p.oid::regprocedure::text as fn,
       has_function_privilege(d.group_role, p.oid, 'execute') as can_execute,
       coalesce(d.purpose = any(g.granted_to), false) as is_granted
from pg_proc as p
join pipeline.function_grants as g on g.function_name = p.pronamespace::regnamespace || '.' || p.proname
cross join pipeline.database_roles as d;
select is((select array_agg(fn order by fn) from decided_exec where purpose = 'fetcher' and can_execute <> is_granted),
          null, 'the fetcher executes exactly its functions');
select is((select array_agg(fn order by fn) from decided_exec where purpose = 'airflow' and can_execute <> is_granted),
          null, 'airflow executes exactly its functions');
select is((select array_agg(fn order by fn) from decided_exec where purpose = 'reader' and can_execute <> is_granted),
          null, 'the reader executes exactly its functions');
select is(
    (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc as p
     where p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and (p.proacl is null or exists (select from aclexplode(p.proacl) as a
                                        where a.grantee = 0 and a.privilege_type = 'EXECUTE'))),
    null, 'PUBLIC executes no function of the project schemas'
);
select ok(
    exists (select from pg_default_acl as a
            where a.defaclrole = current_user::regrole and a.defaclnamespace = 0 and a.defaclobjtype = 'f'
              and not exists (select from aclexplode(a.defaclacl) as x where x.grantee = 0)),
    'functions the owner creates later are executable by nobody until db/grants.sql says so'
);

-- test: security definer as decided, always with a pinned search_path
select is(
    (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc as p
     join pipeline.function_grants as g on g.function_name = p.pronamespace::regnamespace || '.' || p.proname
     where p.prosecdef <> g.is_security_definer),
    null, 'security definer exactly where decided (the function file says `security definer`)'
);
select is(
    (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc as p
     where p.prosecdef and p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and not coalesce(array_to_string(p.proconfig, ',') like '%search_path=""%', false)),
    null, 'every security definer function pins search_path to nothing'
);

-- test: nobody but the owner creates objects in the project schemas (and in public)
select is(
    (select array_agg(n.nspname || ':' || r.rolname order by 1)
     from pg_namespace as n
     cross join (select 'public' as rolname union all select group_role from pipeline.database_roles
                 union all select login_role from pipeline.database_roles where login_role is not null) as r
     where n.nspname in ('market', 'pipeline', 'raw', 'monitor', 'public')
       and has_schema_privilege(r.rolname, n.oid, 'create')),
    null, 'PUBLIC and the roles cannot create in market, pipeline, raw, monitor or public'
);

-- test: table privileges
create temp table rels as
select c.oid, c.relnamespace::regnamespace::text as nsp, c.oid::regclass::text as rel, d.purpose, d.group_role
from pg_class as c cross join pipeline.database_roles as d
where c.relnamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
  and c.relkind in ('r', 'v', 'm', 'p');
select is(
    (select array_agg(rel order by rel) from rels
     where purpose = 'reader' and nsp in ('market', 'monitor') and not has_table_privilege(group_role, oid, 'select')),
    null, 'the reader reads every market table, the screener and every monitor view'
);
select is(
    (select array_agg(rel order by rel) from rels
     where purpose = 'reader' and nsp in ('pipeline', 'raw') and has_any_column_privilege(group_role, oid, 'select')),
    null, 'the reader reads nothing in pipeline or raw'
);
select is(
    (select array_agg(rel || ':' || purpose order by 1) from rels
     where has_any_column_privilege(group_role, oid, 'insert,update,references')
        or has_table_privilege(group_role, oid, 'delete,truncate,trigger')),
    null, 'no role writes a table directly: writes go through the functions'
);
select is(
    (select array_agg(rel || ':' || purpose order by 1) from rels
     where purpose in ('fetcher', 'airflow') and has_table_privilege(group_role, oid, 'select')),
    null, 'the fetcher and airflow read no whole table'
);
select set_eq(
    $$select rel || '.' || a.attname from rels join pg_attribute as a on a.attrelid = rels.oid
      where purpose = 'fetcher' and a.attnum > 0 and has_column_privilege(group_role, rels.oid, a.attnum, 'select')$$,
    array['market.assets.is_active', 'market.assets.universe', 'market.universes.exchange_codes',
          'market.universes.listing_venue', 'market.universes.universe',
          'pipeline.endpoints.cost', 'pipeline.endpoints.endpoint',
          'pipeline.process_executions.claiming_stopped_at', 'pipeline.process_executions.execution_id',
          'pipeline.process_executions.planned_at', 'pipeline.process_executions.status',
          'pipeline.process_executions.stop_reason', 'pipeline.work_items.claimed_by',
          'pipeline.work_items.error_class', 'pipeline.work_items.execution_id', 'pipeline.work_items.last_error',
          'pipeline.work_items.status', 'pipeline.work_items.work_item_id'],
    'the fetcher reads only the columns its own queries name'
);
select set_eq(
    $$select rel || '.' || a.attname from rels join pg_attribute as a on a.attrelid = rels.oid
      where purpose = 'airflow' and a.attnum > 0 and has_column_privilege(group_role, rels.oid, a.attnum, 'select')$$,
    array['pipeline.process_executions.execution_id', 'pipeline.process_executions.status',
          'pipeline.process_executions.summary'],
    'airflow reads only the outcome of its runs'
);
select is(
    (select array_agg(c.oid::regclass::text || ':' || d.purpose order by 1)
     from pg_class as c cross join pipeline.database_roles as d
     where c.relnamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor') and c.relkind = 'S'
       and has_sequence_privilege(d.group_role, c.oid, 'usage,select,update')),
    null, 'no role uses a sequence directly'
);

select * from finish();
rollback;
