-- market._apply_due_actions: apply the pending corporate actions of some assets whose date has come
-- (action_date <= the business date): each corrects adjusted_close of the stored bars before its
-- date that do not reflect it yet (adjusted_as_of before the action): a split "new/old" divides by
-- new/old, a dividend multiplies by 1 - dividend / raw close of the previous stored session (GBP
-- dividends of GBX assets x100; none when not below that close). Records adjustment_factor and
-- bars_adjusted, clears is_pending and flags the assets whose bars changed for a full indicator
-- recompute. Called by market.ingest_corporate_actions (new actions are stored pending, then applied
-- here when due) and market._store_bars (a later run applies what has become due). Idempotent: an
-- applied action is never pending again. Actions locked by a concurrent ingest are skipped: that
-- transaction applies them (or, when they are not due for it, the next ingest of the asset).
create or replace function market._apply_due_actions(p_asset_ids bigint[], p_business_date date)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_action record;
    v_prev_close double precision;
    v_factor double precision;
    v_bars integer;
    v_applied integer := 0;
    v_bars_total integer := 0;
    v_changed bigint[] := '{}';
    v_notes text[] := '{}';
begin
    for v_action in
        select ca.asset_id, ca.action_date, ca.action_type, ca.split_numerator, ca.split_denominator,
               coalesce(ca.dividend_unadjusted_value, ca.dividend_value)
               * case when a.currency = 'GBX' and ca.currency = 'GBP' then 100 else 1 end as amount
        from market.corporate_actions as ca
        inner join market.assets as a on ca.asset_id = a.asset_id
        where ca.is_pending and ca.action_date <= p_business_date and ca.asset_id = any(p_asset_ids)
        order by ca.asset_id, ca.action_date, ca.action_type
        for update of ca skip locked
    loop
        v_applied := v_applied + 1;
        if v_action.action_type = 'split' then
            v_factor := v_action.split_denominator / v_action.split_numerator;
        else
            select sp.close into v_prev_close
            from market.stock_prices as sp
            where sp.asset_id = v_action.asset_id and sp.trade_date < v_action.action_date
            order by sp.trade_date desc
            limit 1;
            v_factor := case when v_prev_close > 0 then 1 - v_action.amount / v_prev_close end;
            if v_factor <= 0 or v_factor > 1 then
                v_notes := v_notes || ('dividend ' || v_action.action_date || ' not below the previous close');
                v_factor := null;
            end if;
        end if;

        v_bars := 0;
        if v_factor is not null and v_factor <> 1 then
            update market.stock_prices as sp
            set adjusted_close = sp.adjusted_close * v_factor
            where sp.asset_id = v_action.asset_id
              and sp.trade_date < v_action.action_date
              and coalesce(sp.adjusted_as_of, '-infinity'::date) < v_action.action_date;
            get diagnostics v_bars = row_count;
        end if;
        if v_bars > 0 then
            v_changed := v_changed || v_action.asset_id;
        end if;
        v_bars_total := v_bars_total + v_bars;

        update market.corporate_actions as ca
        set adjustment_factor = v_factor, bars_adjusted = v_bars, is_pending = false
        where ca.asset_id = v_action.asset_id and ca.action_date = v_action.action_date
          and ca.action_type = v_action.action_type;
    end loop;

    if cardinality(v_changed) > 0 then
        update pipeline.asset_processing_state as s
        set needs_indicator_recompute = true, updated_at = now()
        where s.asset_id = any(v_changed) and not s.needs_indicator_recompute;
    end if;

    return jsonb_build_object('actions_applied', v_applied, 'bars_adjusted', v_bars_total, 'notes', to_jsonb(v_notes));
end;
$$;

comment on function market._apply_due_actions(bigint[], date) is
'Apply the pending corporate actions of the assets dated on or before the business date to their stored adjusted '
'closes; flags an indicator recompute; returns {actions_applied, bars_adjusted, notes}.';
