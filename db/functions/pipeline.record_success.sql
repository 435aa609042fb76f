-- pipeline.record_success: settle a claimed item as done and move the asset state forward:
-- watermarks from what market.stock_prices / market.fundamentals hold (never from p_result),
-- failures and backoff reset, the reprocess flags it served cleared (an initial load serves
-- both), gaps a per-ticker window already covered remembered (gaps_checked_through), signs of
-- a new split or dividend flagged (corporate_actions_due), one detail row. p_result is the
-- result of the item's last request (it names its "endpoint"): merged with the parts stored by
-- pipeline.record_part (pipeline._merge_parts); a result without "endpoint" is stored as given.
-- Called by the fetcher after the ingest function, in the same transaction. False: stale token.
create or replace function pipeline.record_success(
    p_work_item_id bigint,
    p_lease_token uuid,
    p_result jsonb,
    p_now timestamptz default null
)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_item pipeline.work_items;
    v_rows integer;
    v_prices boolean;
    v_changed integer;
    v_due boolean;
    v_result jsonb;
begin
    update pipeline.work_items as w
       set status = 'done', finished_at = v_now, lease_expires_at = null, parts = '[]',
           result = case when p_result ? 'endpoint' then pipeline._merge_parts(w.parts || jsonb_build_array(p_result))
                         else p_result end
     where w.work_item_id = p_work_item_id and w.lease_token = p_lease_token and w.status = 'claimed'
    returning w.* into v_item;
    if not found then
        return false;
    end if;

    v_result := v_item.result;
    v_rows := case when jsonb_typeof(v_result -> 'rows_stored') = 'number'
                   then greatest((v_result ->> 'rows_stored')::numeric, 0)::integer else 0 end;
    v_prices := v_item.kind in ('initial_load', 'prices', 'backfill');

    if v_item.kind = 'bulk_prices' then
        -- every asset of the exchange that now has the day's bar: watermark from the table
        perform pipeline._advance_bulk_watermarks(v_item.exchange_code, v_item.to_date, v_now);
    else
        update pipeline.asset_processing_state as s
           set -- when the content was last confirmed (market.fundamentals.fetched_at stays at the
               -- time the content first arrived when it does not change)
               fundamentals_fetched_at = case
                   when v_item.kind in ('initial_load', 'fundamentals')
                        and exists (select 1 from market.fundamentals as f where f.asset_id = s.asset_id)
                   then v_now
                   else s.fundamentals_fetched_at end,
               status = case when s.status = 'inactive' then 'inactive' else 'active' end,
               consecutive_failures = 0,
               next_attempt_at = null,
               is_skipped = false,
               skip_reason = null,
               reprocess_prices = case when v_prices and (v_item.reason = 'reprocess' or v_item.kind = 'initial_load')
                                       then false else s.reprocess_prices end,
               reprocess_prices_from = case when v_prices and (v_item.reason = 'reprocess' or v_item.kind = 'initial_load')
                                            then null else s.reprocess_prices_from end,
               reprocess_fundamentals = case when (v_item.kind = 'fundamentals' and v_item.reason = 'reprocess')
                                                  or v_item.kind = 'initial_load'
                                             then false else s.reprocess_fundamentals end,
               corporate_actions_due = case when v_item.kind = 'corporate_actions' then false
                                            else s.corporate_actions_due end,
               needs_indicator_recompute = s.needs_indicator_recompute
                   or (v_item.kind in ('initial_load', 'backfill') and v_rows > 0),
               last_success_at = v_now,
               last_error = null,
               updated_at = v_now
         where s.asset_id = v_item.asset_id;

        if v_prices then
            perform pipeline._advance_price_watermark(v_item.asset_id, v_item.from_date, v_item.to_date);
        end if;

        -- signs of a new split or dividend: the overlapping bar rewritten by the vendor, or a
        -- split-like jump of the raw close between the last two stored bars
        if v_item.kind = 'prices' then
            v_changed := coalesce(case when jsonb_typeof(v_result -> 'rows_changed') = 'number'
                                       then (v_result ->> 'rows_changed')::numeric end, 0)
                + coalesce((select sum((x.part ->> 'rows_changed')::numeric)
                            from jsonb_array_elements(case when jsonb_typeof(v_result -> 'parts') = 'array'
                                                           then v_result -> 'parts' else '[]' end) as x (part)
                            where jsonb_typeof(x.part -> 'rows_changed') = 'number'), 0);
            select v_changed > 0 or coalesce(l.closes[1] / nullif(l.closes[2], 0) not between 0.55 and 1.8, false)
              into v_due
              from (select array_agg(b.close order by b.trade_date desc) as closes
                    from (select p.close, p.trade_date from market.stock_prices as p
                          where p.asset_id = v_item.asset_id
                          order by p.trade_date desc limit 2) as b) as l;
        elsif v_item.kind in ('fundamentals', 'initial_load') then
            -- the fundamentals name a split or ex-dividend date newer than what the stored adjusted
            -- history reflects: the last stored action, and the vendor's adjustment date of the
            -- oldest adjusted bars (an initial load's history already reflects earlier actions)
            select coalesce(max(d.action_date) > coalesce(greatest(
                       (select max(ca.action_date) from market.corporate_actions as ca
                        where ca.asset_id = v_item.asset_id),
                       (select min(p.adjusted_as_of) from market.stock_prices as p
                        where p.asset_id = v_item.asset_id)), '-infinity'), false)
              into v_due
              from market.fundamentals as f
              cross join lateral (values
                  (market._json_date(f.payload -> 'SplitsDividends' -> 'LastSplitDate')),
                  (market._json_date(f.payload -> 'SplitsDividends' -> 'ExDividendDate'))
              ) as d (action_date)
             where f.asset_id = v_item.asset_id
               and d.action_date <= (v_now at time zone 'UTC')::date;
        end if;
        if coalesce(v_due, false) then
            update pipeline.asset_processing_state as s
               set corporate_actions_due = true
              from market.assets as a
              inner join market.exchanges as e on a.exchange_code = e.exchange_code
             where s.asset_id = v_item.asset_id and a.asset_id = s.asset_id and not e.quotes_yields;
        end if;
    end if;

    insert into pipeline.asset_processing_details (
        execution_id, asset_id, component, outcome, rows_stored, api_calls, recorded_at, work_item_id, attempt, message
    )
    values (
        v_item.execution_id, v_item.asset_id,
        case v_item.kind when 'initial_load' then 'prices' when 'backfill' then 'prices' else v_item.kind end,
        'success', v_rows, v_item.planned_cost, v_now, v_item.work_item_id, v_item.attempt,
        left(v_result ->> 'message', 1000)
    );
    return true;
end;
$$;

comment on function pipeline.record_success(bigint, uuid, jsonb, timestamptz) is
'Settle a claimed item as done: watermarks from stored data, failures reset, served reprocess flag cleared; false on a stale token.';
