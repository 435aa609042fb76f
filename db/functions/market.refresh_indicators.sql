-- The daily indicator update: advances every asset from its stored state over its new bars
-- (<= p_as_of); rebuilds in full the assets flagged for recompute, without state, or back-filled
-- before their state's first bar, and clears their flags. Called by the indicator DAG. Idempotent.
create or replace function market.refresh_indicators(p_as_of date)
returns jsonb
language plpgsql
volatile
set search_path = ''
set jit = off
as $$
declare
    v_rebuild bigint[];
    v_advance bigint[];
    v_rows_rebuilt bigint := 0;
    v_rows_advanced bigint := 0;
begin
    select coalesce(array_agg(a.asset_id order by a.asset_id), '{}') into v_rebuild
    from market.assets as a
    left join market.indicator_state as st on a.asset_id = st.asset_id
    left join pipeline.asset_processing_state as ps on a.asset_id = ps.asset_id
    where exists (
        select 1 from market.stock_prices as p where p.asset_id = a.asset_id and p.trade_date <= p_as_of
    )
      and (
          st.asset_id is null
          or coalesce(ps.needs_indicator_recompute or ps.reprocess_indicators, false)
          or exists (
              select 1 from market.stock_prices as p
              where p.asset_id = a.asset_id and p.trade_date < st.first_trade_date
          )
      );

    select coalesce(array_agg(st.asset_id order by st.asset_id), '{}') into v_advance
    from market.indicator_state as st
    where not exists (select 1 from unnest(v_rebuild) as r (asset_id) where r.asset_id = st.asset_id)
      and exists (
          select 1 from market.stock_prices as p
          where p.asset_id = st.asset_id and p.trade_date > st.last_trade_date and p.trade_date <= p_as_of
      );

    if cardinality(v_rebuild) > 0 then
        v_rows_rebuilt := market._rebuild_indicators(v_rebuild, p_as_of);
        update pipeline.asset_processing_state as ps
        set needs_indicator_recompute = false, reprocess_indicators = false, updated_at = now()
        where ps.asset_id in (select unnest(v_rebuild)) and (ps.needs_indicator_recompute or ps.reprocess_indicators);
    end if;
    if cardinality(v_advance) > 0 then
        v_rows_advanced := market._advance_indicators(v_advance, p_as_of);
    end if;
    return jsonb_build_object(
        'assets_incremental', cardinality(v_advance),
        'assets_recomputed', cardinality(v_rebuild),
        'rows_written', v_rows_rebuilt + v_rows_advanced
    );
end;
$$;

comment on function market.refresh_indicators(date) is
'Daily indicator update up to p_as_of: incremental from the stored state, full rebuild for flagged, new or back-filled '
'assets (flags cleared); returns {"assets_incremental", "assets_recomputed", "rows_written"}.';
