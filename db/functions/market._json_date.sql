-- market._json_date: a JSON date string "YYYY-MM-DD" as a date. Called by the ingest
-- functions. Pure: null for null, "", "0000-00-00" or an absent key; 'infinity' for anything
-- that is not a valid calendar date (the caller treats infinity as a shape error).
create or replace function market._json_date(p_value jsonb)
returns date
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when p_value is null or jsonb_typeof(p_value) = 'null' then null
        when jsonb_typeof(p_value) <> 'string' then 'infinity'::date
        when btrim(p_value #>> '{}') in ('', '0000-00-00') then null
        when btrim(p_value #>> '{}') !~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then 'infinity'::date
        when substr(btrim(p_value #>> '{}'), 9, 2)::integer > extract(
            day from make_date(substr(btrim(p_value #>> '{}'), 1, 4)::integer,
                               substr(btrim(p_value #>> '{}'), 6, 2)::integer, 1)
            + interval '1 month - 1 day'
        ) then 'infinity'::date
        else btrim(p_value #>> '{}')::date
    end
$$;

comment on function market._json_date(jsonb) is
'"YYYY-MM-DD" -> date; null for null/""/"0000-00-00"/absent; infinity when not a valid date.';
