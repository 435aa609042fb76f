-- market._ingest_asset: the asset an ingest function writes for, checked against the ticker
-- the payload was requested for. Called by the per-asset market.ingest_* functions. Read-only.
create or replace function market._ingest_asset(p_asset_id bigint, p_payload raw.eodhd_payloads, p_caller text)
returns market.assets
language plpgsql
stable
set search_path = ''
as $$
declare
    v_asset market.assets;
begin
    select * into v_asset from market.assets as a where a.asset_id = p_asset_id;
    if not found then
        raise exception '%: asset % does not exist', p_caller, p_asset_id using errcode = 'no_data_found';
    end if;
    if p_payload.ticker is not null and p_payload.ticker <> v_asset.ticker then
        raise exception '%: payload % is for %, not for asset % (%)', p_caller, p_payload.payload_id,
            p_payload.ticker, p_asset_id, v_asset.ticker
            using errcode = 'invalid_parameter_value';
    end if;
    return v_asset;
end;
$$;

comment on function market._ingest_asset(bigint, raw.eodhd_payloads, text) is
'Fetch the asset of a per-asset ingest; raises when it is missing or the payload is for another ticker.';
