-- pipeline.record_success: settle a claimed item as done and move the asset state forward:
-- watermarks from what market.stock_prices / market.fundamentals hold (never from p_result),
-- failures and backoff reset, the reprocess flag it served cleared, one detail row.
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
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_item pipeline.work_items;
    v_rows integer;
    v_prices boolean;
begin
    update pipeline.work_items as w
       set status = 'done', finished_at = v_now, lease_expires_at = null, result = p_result
     where w.work_item_id = p_work_item_id and w.lease_token = p_lease_token and w.status = 'claimed'
    returning w.* into v_item;
    if not found then
        return false;
    end if;

    v_rows := case when jsonb_typeof(p_result -> 'rows_stored') = 'number'
                   then greatest((p_result ->> 'rows_stored')::numeric, 0)::integer else 0 end;
    v_prices := v_item.kind in ('initial_load', 'prices', 'backfill');

    if v_item.kind = 'bulk_prices' then
        -- every asset of the exchange that now has the day's bar: watermark from the table
        update pipeline.asset_processing_state as s
           set prices_first_date = coalesce(s.prices_first_date, v_item.to_date),
               prices_last_date = (select max(p.trade_date) from market.stock_prices as p where p.asset_id = s.asset_id),
               prices_gap_from = coalesce(s.prices_gap_from, case
                   when s.prices_last_date < (select max(t.session_date) from market.trading_sessions as t
                                              where t.exchange_code = v_item.exchange_code
                                                and t.session_date < v_item.to_date)
                   then pipeline.find_first_gap(s.asset_id) end),
               consecutive_failures = case when s.status = 'new' then s.consecutive_failures else 0 end,
               next_attempt_at = case when s.status = 'new' then s.next_attempt_at end,
               status = case when s.status = 'failing' then 'active' else s.status end,
               last_success_at = case when s.status = 'new' then s.last_success_at else v_now end,
               updated_at = v_now
          from market.assets as a
         where a.asset_id = s.asset_id
           and a.exchange_code = v_item.exchange_code
           and (s.prices_last_date is null or s.prices_last_date < v_item.to_date)
           and exists (
               select 1 from market.stock_prices as p
               where p.asset_id = s.asset_id and p.trade_date = v_item.to_date
           );
    else
        update pipeline.asset_processing_state as s
           set prices_first_date = case when v_prices then b.first_date else s.prices_first_date end,
               prices_last_date = case when v_prices then b.last_date else s.prices_last_date end,
               prices_gap_from = case when v_prices then pipeline.find_first_gap(s.asset_id) else s.prices_gap_from end,
               fundamentals_fetched_at = case
                   when v_item.kind in ('initial_load', 'fundamentals')
                   then coalesce((select f.fetched_at from market.fundamentals as f where f.asset_id = s.asset_id),
                                 s.fundamentals_fetched_at)
                   else s.fundamentals_fetched_at end,
               status = case when s.status = 'inactive' then 'inactive' else 'active' end,
               consecutive_failures = 0,
               next_attempt_at = null,
               is_skipped = false,
               skip_reason = null,
               reprocess_prices = case when v_prices and v_item.reason = 'reprocess' then false
                                       else s.reprocess_prices end,
               reprocess_prices_from = case when v_prices and v_item.reason = 'reprocess' then null
                                            else s.reprocess_prices_from end,
               reprocess_fundamentals = case when v_item.kind = 'fundamentals' and v_item.reason = 'reprocess'
                                             then false else s.reprocess_fundamentals end,
               needs_indicator_recompute = s.needs_indicator_recompute
                   or (v_item.kind in ('initial_load', 'backfill') and v_rows > 0)
                   or (v_prices and b.first_date is distinct from s.prices_first_date),
               last_success_at = v_now,
               last_error = null,
               updated_at = v_now
          from (
              select min(p.trade_date) as first_date, max(p.trade_date) as last_date
              from market.stock_prices as p where p.asset_id = v_item.asset_id
          ) as b
         where s.asset_id = v_item.asset_id;
    end if;

    insert into pipeline.asset_processing_details (
        execution_id, asset_id, component, outcome, rows_stored, api_calls, recorded_at, work_item_id, attempt, message
    )
    values (
        v_item.execution_id, v_item.asset_id,
        case v_item.kind when 'initial_load' then 'prices' when 'backfill' then 'prices' else v_item.kind end,
        'success', v_rows, v_item.planned_cost, v_now, v_item.work_item_id, v_item.attempt,
        left(p_result ->> 'message', 1000)
    );
    return true;
end;
$$;

comment on function pipeline.record_success(bigint, uuid, jsonb, timestamptz) is
'Settle a claimed item as done: watermarks from stored data, failures reset, served reprocess flag cleared; false on a stale token.';
