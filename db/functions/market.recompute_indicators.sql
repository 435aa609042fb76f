-- Full recompute of indicator history and state for the given EODHD codes (all assets when null);
-- clears their recompute flags. Called by operators and the indicator DAG on request. Idempotent.
create or replace function market.recompute_indicators(p_tickers text[] default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_ids bigint[];
    v_rows bigint;
begin
    select coalesce(array_agg(a.asset_id order by a.asset_id), '{}') into v_ids
    from market.assets as a
    where (p_tickers is null or a.ticker = any(p_tickers))
      and exists (select 1 from market.stock_prices as p where p.asset_id = a.asset_id);
    v_rows := market._rebuild_indicators(v_ids, null);
    update pipeline.asset_processing_state as s
    set needs_indicator_recompute = false, reprocess_indicators = false, updated_at = now()
    where s.asset_id in (select unnest(v_ids)) and (s.needs_indicator_recompute or s.reprocess_indicators);
    return jsonb_build_object('assets_recomputed', cardinality(v_ids), 'rows_written', v_rows);
end;
$$;

comment on function market.recompute_indicators(text[]) is
'Rebuilds indicators and their state in full for the given EODHD codes (every asset with bars when null); '
'returns {"assets_recomputed", "rows_written"}.';
