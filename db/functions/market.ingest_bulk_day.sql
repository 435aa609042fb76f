-- market.ingest_bulk_day: parse one landed /eod-bulk-last-day/{EXCHANGE} payload (one bar per
-- code, unsorted) into market.stock_prices. Codes are matched as CODE.EXCHANGE against
-- market.assets; unknown codes are ignored and counted. Every bar must carry the payload's day
-- (its request's date parameter, else p_as_of): a bar of another date is quarantined. Called by
-- the fetcher after raw.land_response, in the same transaction. Idempotent, like market.ingest_eod.
create or replace function market.ingest_bulk_day(p_payload_id bigint, p_exchange_code text, p_as_of date)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payload raw.eodhd_payloads;
    v_asset_ids bigint[];
    v_bad text[];
    v_total integer;
    v_known integer;
    v_result jsonb;
    v_day date;
begin
    if p_as_of is null or p_exchange_code is null then
        raise exception 'ingest_bulk_day: p_exchange_code and p_as_of must not be null'
            using errcode = 'null_value_not_allowed';
    end if;
    v_payload := market._ingest_payload(p_payload_id, array['eod-bulk-last-day'], 'ingest_bulk_day');
    if v_payload.exchange_code is not null and v_payload.exchange_code <> p_exchange_code then
        raise exception 'ingest_bulk_day: payload % is for exchange %, not %', p_payload_id,
            v_payload.exchange_code, p_exchange_code using errcode = 'invalid_parameter_value';
    end if;
    if v_payload.request_params ? 'type' then
        raise exception 'ingest_bulk_day: payload % is a bulk % list, not prices', p_payload_id,
            v_payload.request_params ->> 'type' using errcode = 'invalid_parameter_value';
    end if;

    if v_payload.body is null then
        return market._finish_ingest(p_payload_id,
            market._data_error(coalesce(v_payload.ingest_error, 'payload has no body')));
    end if;
    if jsonb_typeof(v_payload.body) <> 'array' then
        return market._finish_ingest(p_payload_id,
            market._data_error('expected a JSON array of bars, got ' || jsonb_typeof(v_payload.body)));
    end if;

    select array_agg('item ' || e.item || ' has no code' order by e.item) into v_bad
    from jsonb_array_elements(v_payload.body) with ordinality as e (bar, item)
    where jsonb_typeof(e.bar) is distinct from 'object' or jsonb_typeof(e.bar -> 'code') is distinct from 'string';
    if v_bad is not null then
        return market._finish_ingest(p_payload_id, market._data_error(
            'unexpected shape: ' || cardinality(v_bad) || ' bad item(s), e.g. ' || array_to_string(v_bad[1:3], '; ')));
    end if;

    -- the asset of each row, by position; null for codes not in market.assets
    select jsonb_array_length(v_payload.body), count(a.asset_id)::integer,
           array_agg(a.asset_id order by e.item)
    into v_total, v_known, v_asset_ids
    from jsonb_array_elements(v_payload.body) with ordinality as e (bar, item)
    left join market.assets as a on a.ticker = (e.bar ->> 'code') || '.' || p_exchange_code;

    -- the day the payload was asked for; a bar of another day is not this payload's
    v_day := market._json_date(v_payload.request_params -> 'date');
    if v_day is null or v_day = 'infinity' then
        v_day := p_as_of;
    end if;
    v_result := market._store_bars(p_payload_id, p_as_of, v_payload.body, coalesce(v_asset_ids, '{}'), v_day)
        || jsonb_build_object('rows_ignored', v_total - v_known);
    v_result := jsonb_set(v_result, '{message}',
        to_jsonb((v_result ->> 'message') || '; ' || (v_total - v_known) || ' row(s) for codes not in market.assets ignored'));
    return market._finish_ingest(p_payload_id, v_result);
end;
$$;

comment on function market.ingest_bulk_day(bigint, text, date) is
'Ingest one /eod-bulk-last-day payload of an exchange into market.stock_prices (known codes only, bars of the '
'payload''s day only; upsert, quarantine, history-change flag); returns the ingest result jsonb with rows_ignored.';
