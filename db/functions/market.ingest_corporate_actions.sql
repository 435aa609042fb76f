-- market.ingest_corporate_actions: store one landed /splits or /div payload in
-- market.corporate_actions. An action not stored before is stored pending and, when its date has
-- come (on or before the payload's business date: market._business_date), applied at once by
-- market._apply_due_actions, which corrects adjusted_close of the stored bars before its date that
-- do not reflect it yet (split "new/old" divides by new/old, a dividend multiplies by 1 - dividend /
-- raw close of the previous stored session) and flags the asset for a full indicator recompute.
-- An action dated after the business date is kept pending: a later ingest of the asset (this
-- function or market._store_bars) applies it once a run's business date reaches it; so are this
-- asset's earlier pending actions that are due now. Called by the fetcher after
-- raw.land_response, same transaction. Idempotent: an action already stored adjusts nothing
-- again. Wrong shape: data_error, nothing written.
create or replace function market.ingest_corporate_actions(p_payload_id bigint, p_asset_id bigint)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payload raw.eodhd_payloads;
    v_asset market.assets;
    v_type text;
    v_bad text[];
    v_action record;
    v_total integer;
    v_new integer := 0;
    v_changed integer;
    v_business_date date;
    v_applied jsonb;
    v_pending integer;
    v_first date;
    v_last date;
begin
    v_payload := market._ingest_payload(p_payload_id, array['splits', 'div'], 'ingest_corporate_actions');
    v_asset := market._ingest_asset(p_asset_id, v_payload, 'ingest_corporate_actions');
    v_type := case v_payload.endpoint when 'splits' then 'split' else 'dividend' end;
    v_business_date := market._business_date(p_payload_id);

    if v_payload.body is null then
        return market._finish_ingest(p_payload_id,
            market._data_error(coalesce(v_payload.ingest_error, 'payload has no body')));
    end if;
    if jsonb_typeof(v_payload.body) <> 'array' then
        return market._finish_ingest(p_payload_id,
            market._data_error('expected a JSON array of ' || v_type || 's, got ' || jsonb_typeof(v_payload.body)));
    end if;

    -- shape: every item an object with a valid date and a split ratio / a dividend amount
    select array_agg(format('item %s: %s', e.item, e.problem) order by e.item) into v_bad
    from (
        select i.item,
            case
                when jsonb_typeof(i.value) <> 'object' then 'not an object'
                when market._json_date(i.value -> 'date') is null
                    or market._json_date(i.value -> 'date') = 'infinity' then 'no valid date'
                when v_type = 'split' and (length(i.value ->> 'split') > 40 or coalesce(i.value ->> 'split', '')
                    !~ '^\s*[0-9]*\.?[0-9]+\s*[/:]\s*[0-9]*\.?[0-9]+\s*$') then 'no split ratio "new/old"'
                when v_type = 'split' and (
                    split_part(translate(i.value ->> 'split', ': ', '/'), '/', 1)::numeric <= 0
                    or split_part(translate(i.value ->> 'split', ': ', '/'), '/', 2)::numeric <= 0
                ) then 'a zero split ratio'
                when v_type = 'split' and split_part(translate(i.value ->> 'split', ': ', '/'), '/', 1)::numeric
                    / split_part(translate(i.value ->> 'split', ': ', '/'), '/', 2)::numeric not between 1e-4 and 1e4
                    then 'an implausible split ratio'
                when v_type = 'dividend' and (market._json_number(i.value -> 'value') is null
                    or market._json_number(i.value -> 'value') = 'NaN'
                    or market._json_number(i.value -> 'value') < 0) then 'no dividend value'
                when v_type = 'dividend' and market._json_number(i.value -> 'unadjustedValue') = 'NaN'
                    then 'a non-numeric unadjustedValue'
            end as problem
        from jsonb_array_elements(v_payload.body) with ordinality as i (value, item)
    ) as e
    where e.problem is not null;
    if v_bad is null and v_type = 'split' then
        select array_agg('two splits on ' || d.day order by d.day) into v_bad
        from (
            select market._json_date(i.value -> 'date') as day
            from jsonb_array_elements(v_payload.body) as i (value)
            group by 1 having count(*) > 1
        ) as d;
    end if;
    if v_bad is not null then
        return market._finish_ingest(p_payload_id, market._data_error(
            'unexpected shape: ' || cardinality(v_bad) || ' bad item(s), e.g. ' || array_to_string(v_bad[1:3], '; ')));
    end if;

    v_total := 0;
    -- one row per date (dividends paid twice on one ex-date are added up), oldest first
    for v_action in
        select
            market._json_date(i.value -> 'date') as action_date,
            max(split_part(translate(i.value ->> 'split', ': ', '/'), '/', 1)::double precision) as numerator,
            max(split_part(translate(i.value ->> 'split', ': ', '/'), '/', 2)::double precision) as denominator,
            sum(market._json_number(i.value -> 'value')) as dividend_value,
            sum(market._json_number(i.value -> 'unadjustedValue')) as unadjusted_value,
            max(nullif(btrim(i.value ->> 'currency'), '')) as currency
        from jsonb_array_elements(v_payload.body) as i (value)
        group by 1
        order by 1
    loop
        v_total := v_total + 1;
        v_first := least(v_first, v_action.action_date);
        v_last := greatest(v_last, v_action.action_date);

        insert into market.corporate_actions as ca (
            asset_id, action_date, action_type, split_numerator, split_denominator,
            dividend_value, dividend_unadjusted_value, currency, payload_id, is_pending
        )
        values (
            p_asset_id, v_action.action_date, v_type,
            case when v_type = 'split' then v_action.numerator end,
            case when v_type = 'split' then v_action.denominator end,
            case when v_type = 'dividend' then v_action.dividend_value end,
            case when v_type = 'dividend' then v_action.unadjusted_value end,
            v_action.currency, p_payload_id, true
        )
        on conflict on constraint corporate_actions_pkey do nothing;
        get diagnostics v_changed = row_count;

        if v_changed = 0 then
            -- known action: keep corrected amounts, never adjust twice
            update market.corporate_actions as ca
            set split_numerator = case when v_type = 'split' then v_action.numerator end,
                split_denominator = case when v_type = 'split' then v_action.denominator end,
                dividend_value = case when v_type = 'dividend' then v_action.dividend_value end,
                dividend_unadjusted_value = case when v_type = 'dividend' then v_action.unadjusted_value end,
                currency = v_action.currency
            where ca.asset_id = p_asset_id and ca.action_date = v_action.action_date and ca.action_type = v_type
              and (ca.split_numerator, ca.split_denominator, ca.dividend_value, ca.dividend_unadjusted_value, ca.currency)
              is distinct from (
                  case when v_type = 'split' then v_action.numerator end,
                  case when v_type = 'split' then v_action.denominator end,
                  case when v_type = 'dividend' then v_action.dividend_value end,
                  case when v_type = 'dividend' then v_action.unadjusted_value end,
                  v_action.currency
              );
        else
            v_new := v_new + 1;
        end if;
    end loop;

    -- the new actions whose date has come, and earlier pending ones of the asset now due
    v_applied := market._apply_due_actions(array[p_asset_id], v_business_date);
    select count(*)::integer into v_pending
    from market.corporate_actions as ca
    where ca.asset_id = p_asset_id and ca.action_type = v_type and ca.is_pending;

    return market._finish_ingest(p_payload_id, jsonb_build_object(
        'status', 'ok', 'rows_stored', v_total, 'rows_rejected', 0, 'rows_inserted', v_new,
        'bars_adjusted', (v_applied ->> 'bars_adjusted')::integer, 'first_date', v_first, 'last_date', v_last,
        'message', v_total || ' ' || v_type || '(s) stored (' || v_new || ' new), '
        || (v_applied ->> 'bars_adjusted') || ' stored bar(s) adjusted'
        || case when v_pending > 0
            then '; ' || v_pending || ' dated after the business date ' || v_business_date || ' kept pending'
            else '' end
        || coalesce('; ' || nullif(array_to_string(array(select jsonb_array_elements_text(v_applied -> 'notes')), '; '), ''), '')
    ) || case when v_pending > 0 then jsonb_build_object('rows_pending', v_pending) else '{}'::jsonb end);
end;
$$;

comment on function market.ingest_corporate_actions(bigint, bigint) is
'Ingest one /splits or /div payload into market.corporate_actions; each new action dated on or before the business '
'date (later ones are kept pending until then) corrects the stored adjusted closes before its date that do not '
'reflect it and flags an indicator recompute; returns the ingest result jsonb.';
