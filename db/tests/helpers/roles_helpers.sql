-- Fixture helpers for the role tests db/tests/roles_*.sql (test database only).
create schema if not exists tests;

-- Act as the group role of a purpose (pipeline.database_roles) until `reset role` or the end of
-- the transaction. pgTAP's functions belong to the owner and, like every function the owner
-- creates (migration 0014's default privileges), are executable by nobody else: the role gets
-- them for this transaction only (the test file rolls back).
create or replace function tests.become(p_purpose text)
returns text
language plpgsql
as $$
declare
    v_role text := (select r.group_role from pipeline.database_roles as r where r.purpose = p_purpose);
begin
    if v_role is null then
        raise exception 'tests.become: no group role for purpose %', p_purpose;
    end if;
    execute format('grant execute on all functions in schema public to %I', v_role);
    perform set_config('role', v_role, true);
    return v_role;
end;
$$;
