-- market._check_screen_sql: refuse screen SQL (a predicate or an ordering) that could reach past
-- the expression it is placed in: a semicolon, a comment, a dollar or backslash quote, or a
-- parenthesis closed that it did not open (outside quoted literals and identifiers). Called by
-- the market.screens trigger (market._check_screen). Pure; raises 22023 naming the screen.
create or replace function market._check_screen_sql(p_screen_name text, p_what text, p_sql text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_depth integer := 0;
    v_quote text;
    v_char text;
    v_bad text;
begin
    v_bad := case when p_sql ~ '[;$\\]' then 'a semicolon, dollar sign or backslash'
                  when strpos(p_sql, '--') > 0 or strpos(p_sql, '/*') > 0 then 'a comment' end;
    for i in 1 .. coalesce(length(p_sql), 0) loop
        exit when v_bad is not null;
        v_char := substr(p_sql, i, 1);
        if v_quote is not null then
            -- '' and "" inside a literal or identifier close and reopen it: the same for the depth
            if v_char = v_quote then v_quote := null; end if;
        elsif v_char in ('''', '"') then
            v_quote := v_char;
        elsif v_char = '(' then
            v_depth := v_depth + 1;
        elsif v_char = ')' then
            v_depth := v_depth - 1;
            if v_depth < 0 then v_bad := 'a parenthesis it did not open'; end if;
        end if;
    end loop;
    if v_bad is null and v_quote is not null then v_bad := 'an unterminated quote'; end if;
    if v_bad is null and v_depth <> 0 then v_bad := 'an unclosed parenthesis'; end if;
    if v_bad is not null then
        raise exception 'screen %: the % contains %: %', p_screen_name, p_what, v_bad, p_sql
            using errcode = 'invalid_parameter_value';
    end if;
end;
$$;

comment on function market._check_screen_sql(text, text, text) is
'Refuse screen SQL with a semicolon, comment, dollar or backslash quote or an unbalanced parenthesis (22023).';
