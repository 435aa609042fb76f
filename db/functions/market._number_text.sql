-- market._number_text: a number as EODHD prints it (a JSON number's or string's text) as double
-- precision. Null for null, "" or blanks; 'NaN' for anything that is not a finite number (callers
-- treat NaN as a shape error). At most 60 characters and two exponent digits: always within double
-- precision's range. Used by market._parse_bars (per bar field) and market._json_number. Pure.
-- A SQL-standard body: bound when created (no search_path to pin) and inlined into its callers
-- (not declared strict: PostgreSQL does not inline a strict function whose body is a CASE).
create or replace function market._number_text(p_text text)
returns double precision
language sql
immutable
parallel safe
return case
    when nullif(btrim(p_text), '') is null then null
    when length(p_text) <= 60 and p_text ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]{1,2})?\s*$'
        then p_text::double precision
    else 'NaN'::double precision
end;

comment on function market._number_text(text) is
'Numeric text -> double precision; null for null or blank; NaN when not a finite number (at most 60 characters).';
