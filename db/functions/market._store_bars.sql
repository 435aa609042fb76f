-- market._store_bars: validate and upsert EODHD bars of one payload into market.stock_prices.
-- Called by market.ingest_eod and market.ingest_bulk_day. Idempotent: the same bars again
-- change nothing. A shape error refuses the whole payload (nothing written); bars breaking a
-- price rule go to market.price_quarantine while the valid ones are stored (status data_error).
-- Stored adjusted_close = vendor value x factors of recorded corporate actions dated after
-- p_as_of (the vendor did not reflect them yet). Rows whose values change, and bars inserted
-- before the last stored date, flag the asset for a full indicator recompute.
create or replace function market._store_bars(p_payload_id bigint, p_as_of date, p_rows jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_shape_errors text[];
    v_rejected integer;
    v_reasons text;
    v_valid integer;
    v_inserted integer;
    v_changed integer;
    v_flagged integer;
    v_first date;
    v_last date;
begin
    select array_agg(p.shape_error order by p.item_no) into v_shape_errors
    from market._parse_bars(p_rows, p_as_of) as p
    where p.shape_error is not null;
    if v_shape_errors is not null then
        return jsonb_build_object(
            'status', 'data_error', 'rows_stored', 0, 'rows_rejected', 0,
            'first_date', null, 'last_date', null,
            'message', 'unexpected shape: ' || cardinality(v_shape_errors) || ' bad item(s), e.g. '
            || array_to_string(v_shape_errors[1:3], '; ')
        );
    end if;

    with rejected as (
        insert into market.price_quarantine (payload_id, item_no, asset_id, trade_date, bar, reason)
        select p_payload_id, p.item_no, p.asset_id, p.trade_date, p.bar, p.reject_reason
        from market._parse_bars(p_rows, p_as_of) as p
        where p.reject_reason is not null
        on conflict on constraint price_quarantine_item_key do nothing
        returning reason
    )
    select count(*)::integer, string_agg(distinct r.reason, '; ') into v_rejected, v_reasons from rejected as r;
    if v_rejected = 0 then
        -- the same payload ingested again: report what was quarantined the first time
        select count(*)::integer, string_agg(distinct q.reason, '; ') into v_rejected, v_reasons
        from market.price_quarantine as q where q.payload_id = p_payload_id;
    end if;

    with good as (
        select p.asset_id, p.trade_date, p.open, p.high, p.low, p.close, p.volume,
               p.adjusted_close * coalesce((
                   select exp(sum(ln(ca.adjustment_factor)))
                   from market.corporate_actions as ca
                   where ca.asset_id = p.asset_id and ca.action_date > greatest(p.trade_date, p_as_of)
                     and ca.adjustment_factor is not null
               ), 1) as adjusted_close
        from market._parse_bars(p_rows, p_as_of) as p
        where p.reject_reason is null
    ),
    prior as (
        select a.asset_id, (select max(sp.trade_date) from market.stock_prices as sp where sp.asset_id = a.asset_id)
            as last_date
        from (select distinct g.asset_id from good as g) as a
    ),
    upserted as (
        insert into market.stock_prices as sp (
            asset_id, trade_date, open, high, low, close, adjusted_close, volume, adjusted_as_of
        )
        select g.asset_id, g.trade_date, g.open, g.high, g.low, g.close, g.adjusted_close, g.volume, p_as_of
        from good as g
        on conflict on constraint stock_prices_pkey do update
        set open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            adjusted_close = excluded.adjusted_close, volume = excluded.volume,
            adjusted_as_of = excluded.adjusted_as_of
        where (sp.open, sp.high, sp.low, sp.close, sp.volume)
            is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
            or abs(sp.adjusted_close - excluded.adjusted_close) > 1e-12 * abs(sp.adjusted_close)
        returning sp.asset_id, sp.trade_date, (sp.xmax = 0) as is_insert
    ),
    changed as (
        select distinct u.asset_id
        from upserted as u
        join prior as pr on pr.asset_id = u.asset_id
        where not u.is_insert or u.trade_date < pr.last_date
    ),
    flagged as (
        update pipeline.asset_processing_state as s
        set needs_indicator_recompute = true, updated_at = now()
        from changed as c
        where s.asset_id = c.asset_id and not s.needs_indicator_recompute
        returning s.asset_id
    )
    select
        (select count(*) from good)::integer,
        (select count(*) from upserted where is_insert)::integer,
        (select count(*) from upserted where not is_insert)::integer,
        (select count(*) from changed)::integer,
        (select min(g.trade_date) from good as g),
        (select max(g.trade_date) from good as g)
    into v_valid, v_inserted, v_changed, v_flagged, v_first, v_last;

    return jsonb_build_object(
        'status', case when v_rejected > 0 then 'data_error' else 'ok' end,
        'rows_stored', v_valid,
        'rows_rejected', v_rejected,
        'rows_inserted', v_inserted,
        'rows_changed', v_changed,
        'assets_flagged', v_flagged,
        'first_date', v_first,
        'last_date', v_last,
        'message', case when v_rejected > 0
            then v_rejected || ' bar(s) quarantined (' || v_reasons || '); ' || v_valid || ' valid bar(s) stored'
            else v_valid || ' bar(s) stored (' || v_inserted || ' new, ' || v_changed || ' changed)' end
    );
end;
$$;

comment on function market._store_bars(bigint, date, jsonb) is
'Validate, quarantine and upsert the bars of one payload into market.stock_prices; flags history changes; '
'returns the ingest result jsonb. Used by market.ingest_eod and market.ingest_bulk_day.';
