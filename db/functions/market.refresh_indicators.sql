-- The daily indicator update: advances every asset from its stored state over its new bars
-- (<= p_as_of); rebuilds in full the assets flagged for recompute, without state, or back-filled
-- before their state's first bar, and clears their flags. Called by the indicator DAG. Idempotent.
create or replace function market.refresh_indicators(p_as_of date)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set jit = off
as $$
declare
    v_rebuild bigint[];
    v_advance bigint[];
    v_rows_rebuilt bigint := 0;
    v_rows_advanced bigint := 0;
    v_context_from date;
begin
    -- One pass over the assets: rebuild (no state, flagged, or bars before the state's first
    -- bar) when it has any bar up to p_as_of; otherwise advance when it has bars after its state.
    select
        coalesce(array_agg(c.asset_id order by c.asset_id) filter (where c.rebuild), '{}'),
        coalesce(array_agg(c.asset_id order by c.asset_id) filter (where not c.rebuild), '{}'),
        min(c.context_from) filter (where not c.rebuild)
    into v_rebuild, v_advance, v_context_from
    from (
        select
            a.asset_id,
            st.last_trade_date,
            st.recent_dates[1] as context_from,
            (
                st.asset_id is null
                or coalesce(ps.needs_indicator_recompute or ps.reprocess_indicators, false)
                or exists (
                    select 1 from market.stock_prices as p
                    where p.asset_id = a.asset_id and p.trade_date < st.first_trade_date
                )
            ) as rebuild
        from market.assets as a
        left join market.indicator_state as st on a.asset_id = st.asset_id
        left join pipeline.asset_processing_state as ps on a.asset_id = ps.asset_id
    ) as c
    where
        case
            when c.rebuild then exists (
                select 1 from market.stock_prices as p
                where p.asset_id = c.asset_id and p.trade_date <= p_as_of
            )
            else exists (
                select 1 from market.stock_prices as p
                where p.asset_id = c.asset_id and p.trade_date > c.last_trade_date and p.trade_date <= p_as_of
            )
        end;

    if cardinality(v_rebuild) > 0 then
        v_rows_rebuilt := market._rebuild_indicators(v_rebuild, p_as_of);
        update pipeline.asset_processing_state as ps
        set needs_indicator_recompute = false, reprocess_indicators = false, updated_at = now()
        where ps.asset_id in (select unnest(v_rebuild)) and (ps.needs_indicator_recompute or ps.reprocess_indicators);
    end if;
    if cardinality(v_advance) > 0 then
        v_rows_advanced := market._advance_indicators(v_advance, p_as_of, v_context_from);
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
