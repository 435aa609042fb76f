-- 0014_roles: least privilege. Every component used to connect as the one role that owns
-- everything; now each connects as a login role that is a member of one NOLOGIN group role:
--   fetcher  fetcher processes: claim, heartbeat, land, ingest, record (and sync-universe)
--   airflow  the DAGs' SQL tasks: runs, planning, indicators, the screener, maintenance
--   reader   people and dashboards: monitor views, market tables, the screener
-- The owner (the role that runs db/migrate.sh) keeps everything else. What each group may do
-- is db/grants.sql, re-applied by db/migrate.sh after every function and view file.
-- Names are configurable when this migration first runs (roles are cluster-wide):
--   PGOPTIONS='-c screener.fetcher_role=acme_fetcher -c screener.fetcher_login=acme_fetcherd' db/migrate.sh
-- (screener.<purpose>_role, screener.<purpose>_login; a login set to '' creates no login role:
-- grant the group to your own login roles instead). Existing roles are reused: idempotent
-- across the databases of one cluster (tests create many).
create table pipeline.database_roles (
    purpose text constraint database_roles_pkey primary key
    constraint database_roles_purpose_known check (purpose in ('fetcher', 'airflow', 'reader')),
    group_role text not null constraint database_roles_group_role_unique unique,
    login_role text constraint database_roles_login_role_unique unique,
    description text not null
);

comment on table pipeline.database_roles is
'The group role (NOLOGIN) and the default login role of each component; db/grants.sql grants to '
'the group roles. Filled by migration 0014 from the screener.<purpose>_role / _login settings.';
comment on column pipeline.database_roles.purpose is 'fetcher, airflow or reader: what the role is for.';
comment on column pipeline.database_roles.group_role is
'The NOLOGIN role holding the privileges (default screener_<purpose>).';
comment on column pipeline.database_roles.login_role is
'The LOGIN role created as its member (default screener_<purpose>_login, no password: set one '
'in production); null when login roles are managed outside the migration.';
comment on column pipeline.database_roles.description is 'Who connects as this role.';

insert into pipeline.database_roles (purpose, group_role, login_role, description)
select
    v.purpose,
    coalesce(nullif(current_setting('screener.' || v.purpose || '_role', true), ''), 'screener_' || v.purpose)
        as group_role,
    nullif(coalesce(current_setting('screener.' || v.purpose || '_login', true), 'screener_' || v.purpose || '_login'), '')
        as login_role,
    v.description
from (
    values
    ('fetcher', 'fetcher processes (python -m fetcher run, refresh-universe, sync-universe)'),
    ('airflow', 'the DAGs'' SQL tasks (Airflow connection screener_db)'),
    ('reader', 'people and dashboards reading monitor views, market tables and the screener')
) as v (purpose, description);

-- Create what does not exist yet; another database of the cluster may be creating them now.
do $$
declare
    r record;
begin
    for r in select * from pipeline.database_roles order by purpose loop
        if not exists (select from pg_catalog.pg_roles where rolname = r.group_role) then
            begin
                execute format('create role %I nologin', r.group_role);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
        if r.login_role is not null then
            if not exists (select from pg_catalog.pg_roles where rolname = r.login_role) then
                begin
                    execute format('create role %I login', r.login_role);
                exception when duplicate_object or unique_violation then
                    null;
                end;
            end if;
            begin
                execute format('grant %I to %I', r.group_role, r.login_role);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end;
$$;

-- New functions of the owner are executable by nobody until db/grants.sql grants them: a
-- function file that lands without a decision there is refused to everyone (and the pgTAP test
-- db/tests/roles_grants.sql names it).
alter default privileges revoke execute on functions from public;

create table pipeline.function_grants (
    function_name text constraint function_grants_pkey primary key,
    granted_to text[] not null,
    is_security_definer boolean not null,
    note text not null
);

comment on table pipeline.function_grants is
'One decision per function of market, pipeline, raw and monitor (all overloads of the name): which '
'group roles may execute it. Desired state, rewritten by db/grants.sql on every migrate.';
comment on column pipeline.function_grants.function_name is 'schema.name of the function.';
comment on column pipeline.function_grants.granted_to is
'Purposes (pipeline.database_roles) granted EXECUTE; empty: the owner only (internal helper or operator function).';
comment on column pipeline.function_grants.is_security_definer is
'True when the function runs with its owner''s rights (it touches tables its callers may not): '
'declared in its file, checked by db/tests/roles_grants.sql.';
comment on column pipeline.function_grants.note is 'Who calls it, and why this decision.';
