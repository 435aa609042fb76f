-- market.ingest_eod: parse one landed /eod payload (an array of daily bars) into
-- market.stock_prices for one asset. Called by the fetcher right after raw.land_response, in
-- the same transaction. Idempotent: ingesting the same bars again changes nothing.
-- Wrong shape: data_error, nothing written. Bars breaking a price rule: quarantined, the valid
-- ones stored, data_error. A trailing {"warning": ...} element (free plans) is skipped.
create or replace function market.ingest_eod(p_payload_id bigint, p_asset_id bigint, p_as_of date)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payload raw.eodhd_payloads;
    v_asset_ids bigint[];
begin
    if p_as_of is null then
        raise exception 'ingest_eod: p_as_of must not be null' using errcode = 'null_value_not_allowed';
    end if;
    v_payload := market._ingest_payload(p_payload_id, array['eod'], 'ingest_eod');
    perform market._ingest_asset(p_asset_id, v_payload, 'ingest_eod');

    if v_payload.body is null then
        return market._finish_ingest(p_payload_id,
            market._data_error(coalesce(v_payload.ingest_error, 'payload has no body')));
    end if;
    if jsonb_typeof(v_payload.body) <> 'array' then
        return market._finish_ingest(p_payload_id,
            market._data_error('expected a JSON array of bars, got ' || jsonb_typeof(v_payload.body)));
    end if;

    -- every item is this asset's bar, except a trailing {"warning": ...} of free plans
    select array_agg(case when jsonb_typeof(e.bar) = 'object' and e.bar ? 'warning' and not e.bar ? 'date'
        then null else p_asset_id end order by e.item)
    into v_asset_ids
    from jsonb_array_elements(v_payload.body) with ordinality as e (bar, item);

    return market._finish_ingest(p_payload_id, market._store_bars(p_payload_id, p_as_of, v_payload.body, coalesce(v_asset_ids, '{}')));
end;
$$;

comment on function market.ingest_eod(bigint, bigint, date) is
'Ingest one /eod payload into market.stock_prices for an asset (upsert, quarantine, history-change flag); '
'returns {status, rows_stored, rows_rejected, first_date, last_date, message, ...}.';
