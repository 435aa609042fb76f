-- market._store_bars: validate and upsert EODHD bars of one payload into market.stock_prices.
-- Called by market.ingest_eod and market.ingest_bulk_day. Idempotent: the same bars again
-- change nothing. A shape error refuses the whole payload (nothing written); bars breaking a
-- price rule go to market.price_quarantine while the valid ones are stored (status data_error).
-- p_bar_date: the date every bar must carry (a bulk payload's day; null: any date up to p_as_of).
-- adjusted_as_of (what the vendor's adjusted_close reflects) = the later of the asset's last bar
-- in the payload and the day before its business date (market._business_date: as_of of its
-- execution; without one, when it arrived), UTC; stored adjusted_close = vendor
-- value x factors of recorded corporate actions dated after it. Rows whose values change, and
-- bars inserted before the last stored date, flag the asset for a full indicator recompute.
-- Then the pending corporate actions of the payload's assets that are due by its business date
-- are applied (market._apply_due_actions): a later run applies what an earlier one kept pending.
drop function if exists market._store_bars(bigint, date, jsonb);
create or replace function market._store_bars(
    p_payload_id bigint, p_as_of date, p_bars jsonb, p_asset_ids bigint[], p_bar_date date default null
)
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
    v_prior jsonb;
    v_yields bigint[];
    v_business_date date := market._business_date(p_payload_id);
    v_applied jsonb;
begin
    -- the payload's yield series (GBOND): zero and negative bars are valid for them
    select coalesce(array_agg(a.asset_id), '{}') into v_yields
    from market.assets as a
    inner join market.exchanges as e on a.exchange_code = e.exchange_code
    where a.asset_id = any(p_asset_ids) and e.quotes_yields;

    -- each asset's last stored date before this payload (read first: within the writing statement
    -- a lookup per asset slows down badly on the rows that statement itself inserted)
    select jsonb_object_agg(a.asset_id::text, (
        select max(sp.trade_date) from market.stock_prices as sp where sp.asset_id = a.asset_id
    ))
    into v_prior
    from (select distinct u.asset_id from unnest(p_asset_ids) as u (asset_id) where u.asset_id is not null) as a;

    -- one statement, the payload parsed once; nothing is written when any item has a shape error
    with parsed as materialized (
        select
            p.*,
            greatest(
                max(p.trade_date) filter (where p.reject_reason is null) over (partition by p.asset_id),
                v_business_date - 1
            ) as adjusted_as_of
        from market._parse_bars(p_bars, p_asset_ids, p_as_of, v_yields, p_bar_date) as p
    ),
    shape as (
        select array_agg(p.shape_error order by p.item_no) filter (where p.shape_error is not null) as errors
        from parsed as p
    ),
    rejected as (
        insert into market.price_quarantine (payload_id, item_no, asset_id, trade_date, bar, reason)
        select p_payload_id, p.item_no, p.asset_id, p.trade_date, p.bar, p.reject_reason
        from parsed as p
        cross join shape as sh
        where sh.errors is null and p.reject_reason is not null
        on conflict on constraint price_quarantine_item_key do nothing
        returning reason
    ),
    good as (
        select p.asset_id, p.trade_date, p.open, p.high, p.low, p.close, p.volume, p.adjusted_as_of,
               p.adjusted_close * coalesce((
                   select exp(sum(ln(ca.adjustment_factor)))
                   from market.corporate_actions as ca
                   where ca.asset_id = p.asset_id and ca.action_date > greatest(p.trade_date, p.adjusted_as_of)
                     and ca.adjustment_factor is not null
               ), 1) as adjusted_close
        from parsed as p
        cross join shape as sh
        where sh.errors is null and p.reject_reason is null
    ),
    upserted as (
        insert into market.stock_prices as sp (
            asset_id, trade_date, open, high, low, close, adjusted_close, volume, adjusted_as_of
        )
        select g.asset_id, g.trade_date, g.open, g.high, g.low, g.close, g.adjusted_close, g.volume, g.adjusted_as_of
        from good as g
        order by g.asset_id, g.trade_date  -- one lock order for concurrent writers
        on conflict on constraint stock_prices_pkey do update
        set open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            adjusted_close = excluded.adjusted_close, volume = excluded.volume,
            adjusted_as_of = excluded.adjusted_as_of
        where (sp.open, sp.high, sp.low, sp.close, sp.volume)
            is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
            or abs(sp.adjusted_close - excluded.adjusted_close) > 1e-12 * abs(sp.adjusted_close)
        returning sp.asset_id, sp.trade_date, (sp.xmax = 0) as is_insert
    ),
    -- per asset: a stored row changed, or a bar was inserted before the last stored date
    changed as (
        select u.asset_id
        from upserted as u
        group by u.asset_id
        having bool_or(not u.is_insert)
            or min(u.trade_date) filter (where u.is_insert) < (v_prior ->> u.asset_id::text)::date
    ),
    flagged as (
        update pipeline.asset_processing_state as s
        set needs_indicator_recompute = true, updated_at = now()
        from changed as c
        where s.asset_id = c.asset_id and not s.needs_indicator_recompute
        returning s.asset_id
    )
    select
        sh.errors,
        (select count(*) from rejected)::integer,
        (select string_agg(distinct r.reason, '; ') from rejected as r),
        (select count(*) from good)::integer,
        (select count(*) from upserted where is_insert)::integer,
        (select count(*) from upserted where not is_insert)::integer,
        (select count(*) from changed)::integer,
        (select min(g.trade_date) from good as g),
        (select max(g.trade_date) from good as g)
    into v_shape_errors, v_rejected, v_reasons, v_valid, v_inserted, v_changed, v_flagged, v_first, v_last
    from shape as sh;

    if v_shape_errors is not null then
        return market._data_error('unexpected shape: ' || cardinality(v_shape_errors) || ' bad item(s), e.g. '
            || array_to_string(v_shape_errors[1:3], '; '));
    end if;
    -- corporate actions kept pending by an earlier run whose date this payload's business date has reached
    v_applied := market._apply_due_actions(p_asset_ids, v_business_date);
    if v_rejected = 0 then
        -- the same payload ingested again: report what was quarantined the first time
        select count(*)::integer, string_agg(distinct q.reason, '; ') into v_rejected, v_reasons
        from market.price_quarantine as q where q.payload_id = p_payload_id;
    end if;

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
            || case when (v_applied ->> 'actions_applied')::integer > 0
                then '; ' || (v_applied ->> 'actions_applied') || ' pending corporate action(s) applied, '
                    || (v_applied ->> 'bars_adjusted') || ' stored bar(s) adjusted'
                else '' end
    ) || case when (v_applied ->> 'actions_applied')::integer > 0
        then jsonb_build_object('actions_applied', (v_applied ->> 'actions_applied')::integer,
                                'bars_adjusted', (v_applied ->> 'bars_adjusted')::integer)
        else '{}'::jsonb end;
end;
$$;

comment on function market._store_bars(bigint, date, jsonb, bigint[], date) is
'Validate, quarantine and upsert the bars of one payload into market.stock_prices; flags history changes; '
'returns the ingest result jsonb. Used by market.ingest_eod and market.ingest_bulk_day.';
