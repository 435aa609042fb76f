-- market._json_number: a JSON value EODHD sends as a number or a numeric string, as double
-- precision. Called by the ingest functions. Pure: null for null, "" or an absent key;
-- 'NaN' for anything that is not a finite number (the caller treats NaN as a shape error).
create or replace function market._json_number(p_value jsonb)
returns double precision
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when p_value is null or jsonb_typeof(p_value) = 'null' then null
        when jsonb_typeof(p_value) not in ('number', 'string') then 'NaN'::double precision
        else market._number_text(p_value #>> '{}')
    end
$$;

comment on function market._json_number(jsonb) is
'Number or numeric string -> double precision; null for null/""/absent; NaN when not a finite number.';
