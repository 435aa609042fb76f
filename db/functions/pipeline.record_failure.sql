-- pipeline.record_failure: settle a failed attempt of a claimed item by error class.
-- unfetched: the fetcher hands the item back without a request (the run stops): back to pending,
-- never escalated, no ticker blamed, not seen by the provider circuit;
-- transient: back to pending, not counted; it feeds the run's provider circuit
-- (pipeline.check_provider_health: an outage stops the run's claiming, nobody blamed), and
-- only when the circuit is closed does an item failing on settings.transient_claims_limit
-- claims count as a permanent failure of its ticker; quota / configuration: the execution stops
-- claiming, item back to pending, no ticker blamed; permanent / data: item failed, the asset
-- counts the failure, backs off (capped, jittered) and is skipped at the limit; a data error
-- of a bulk_prices item still moves the watermarks of the assets whose bar was stored, and a
-- counted failure of a per-ticker price item moves its watermark to the bars stored and, when
-- the vendor answered with bars (some refused), remembers the window as checked and pays the
-- history owed from there (refused sessions not refetched); an unanswered request (truncated
-- or non-JSON body, 404) leaves the history owed.
-- Called by the fetcher. One detail row per call. False: stale token, nothing changed.
create or replace function pipeline.record_failure(
    p_work_item_id bigint,
    p_lease_token uuid,
    p_error_class text,
    p_message text,
    p_http_status integer default null,
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
    v_set pipeline.settings;
    v_msg text := left(coalesce(p_message, '') || coalesce(' (HTTP ' || p_http_status || ')', ''), 1000);
    v_counted boolean := p_error_class in ('permanent', 'data');
    v_answered boolean;
    v_class text := p_error_class;
    v_provider text;
begin
    if p_error_class is null
       or p_error_class not in ('transient', 'permanent', 'data', 'quota', 'configuration', 'unfetched') then
        raise exception 'record_failure: unknown error class % (transient, permanent, data, quota, configuration, unfetched)',
            coalesce(p_error_class, '<null>') using errcode = 'invalid_parameter_value';
    end if;

    select * into v_item from pipeline.work_items as w
     where w.work_item_id = p_work_item_id and w.lease_token = p_lease_token and w.status = 'claimed'
       for update;
    if not found then
        return false;
    end if;
    select * into v_set from pipeline.settings;

    if p_error_class = 'transient' then
        -- the provider failing for everyone (the circuit opens now or was open) is nobody's
        -- fault; otherwise an item the provider keeps failing on, claim after claim, counts
        -- against its ticker so it cannot loop for ever
        v_provider := pipeline.check_provider_health(v_item.execution_id, v_now);
        if v_provider is null and v_item.attempt >= v_set.transient_claims_limit
           and 1 + (select count(*) from pipeline.asset_processing_details as d
                    where d.work_item_id = v_item.work_item_id and d.outcome = 'failure'
                      and d.error_class = 'transient')
               >= v_set.transient_claims_limit then
            v_class := 'permanent';
            v_counted := true;
            v_msg := left(format('still failing after %s claims: %s', v_set.transient_claims_limit, v_msg), 1000);
        end if;
    end if;

    update pipeline.work_items as w
       set status = case when v_counted then 'failed' else 'pending' end,
           finished_at = case when v_counted then v_now end,
           lease_expires_at = null,
           lease_token = case when v_counted then w.lease_token end,
           error_class = v_class,
           last_error = v_msg
     where w.work_item_id = v_item.work_item_id
    returning w.* into v_item;

    if p_error_class in ('quota', 'configuration') then
        update pipeline.process_executions as x
           set claiming_stopped_at = coalesce(x.claiming_stopped_at, v_now),
               stop_reason = coalesce(x.stop_reason, p_error_class || ': ' || v_msg)
         where x.execution_id = v_item.execution_id;
    end if;

    if p_error_class = 'data' and v_item.kind = 'bulk_prices' then
        -- a bad bar in a bulk payload: the valid bars were stored, so every asset that has the
        -- day's bar moves on as after a success; the assets whose bar was quarantined carry the
        -- message (not counted as a failure: their own call next run fetches the day)
        perform pipeline._advance_bulk_watermarks(v_item.exchange_code, v_item.to_date, v_now);
        update pipeline.asset_processing_state as s
           set last_failure_at = v_now, last_error = v_msg, updated_at = v_now
         where s.asset_id in (
             select q.asset_id
             from market.price_quarantine as q
             inner join raw.eodhd_payloads as pl on q.payload_id = pl.payload_id
             where pl.execution_id = v_item.execution_id
               and pl.endpoint = 'eod-bulk-last-day'
               and pl.exchange_code = v_item.exchange_code
               and pl.received_at >= v_item.claimed_at
         );
    end if;

    if v_counted and v_item.asset_id is not null
       and v_item.kind in ('initial_load', 'prices', 'backfill') then
        -- what a per-ticker price item stored before it failed is kept: bars that broke a
        -- price rule are in market.price_quarantine and the valid ones were stored; an initial
        -- load stores its history before its fundamentals are asked for. The watermark follows
        -- the table and the window the vendor answered is remembered as checked, so refused
        -- sessions stay visible in market.price_quarantine without being refetched every run
        update pipeline.asset_processing_state as s
           set fundamentals_fetched_at = case
                   when v_item.kind = 'initial_load'
                        and exists (select 1 from market.fundamentals as f where f.asset_id = s.asset_id)
                   then v_now else s.fundamentals_fetched_at end,
               needs_indicator_recompute = s.needs_indicator_recompute
                   or (v_item.kind in ('initial_load', 'backfill')
                       and exists (select 1 from market.stock_prices as p where p.asset_id = s.asset_id)),
               updated_at = v_now
         where s.asset_id = v_item.asset_id;
        -- the window counts as answered only when the vendor's answer was a JSON array (a
        -- truncated or HTML body answered nothing: the history it was asked for stays owed)
        v_answered := exists (
            select 1
            from (select pl.body
                  from raw.eodhd_payloads as pl
                  inner join market.assets as a on a.asset_id = v_item.asset_id and pl.ticker = a.ticker
                  where pl.received_at >= v_item.claimed_at - interval '10 minutes'
                    and pl.execution_id = v_item.execution_id
                    and pl.endpoint = 'eod'
                  order by pl.payload_id desc
                  limit 1) as last_answer
            where jsonb_typeof(last_answer.body) = 'array'
        );
        perform pipeline._advance_price_watermark(
            v_item.asset_id,
            case when v_answered then v_item.from_date end,
            case when v_answered then v_item.to_date end
        );
    end if;

    if v_counted and v_item.asset_id is not null then
        update pipeline.asset_processing_state as s
           set consecutive_failures = s.consecutive_failures + 1,
               is_skipped = s.consecutive_failures + 1 >= v_set.failure_limit,
               skip_reason = case when s.consecutive_failures + 1 >= v_set.failure_limit
                   then format('%s consecutive failures (limit %s); last: %s',
                               s.consecutive_failures + 1, v_set.failure_limit, v_msg) end,
               next_attempt_at = case when s.consecutive_failures + 1 >= v_set.failure_limit then null
                   else v_now + pipeline.compute_backoff(
                       a.ticker, s.consecutive_failures + 1, v_set.backoff_base, v_set.backoff_cap) end,
               status = case when s.status = 'inactive' then 'inactive'
                             when s.consecutive_failures + 1 >= v_set.failure_limit then 'skipped'
                             else 'failing' end,
               last_failure_at = v_now,
               last_error = v_msg,
               updated_at = v_now
          from market.assets as a
         where s.asset_id = v_item.asset_id and a.asset_id = s.asset_id;
    elsif v_item.asset_id is not null then
        update pipeline.asset_processing_state as s
           set last_failure_at = v_now, last_error = v_msg, updated_at = v_now
         where s.asset_id = v_item.asset_id;
    end if;

    insert into pipeline.asset_processing_details (
        execution_id, asset_id, component, outcome, error_class, message, api_calls, recorded_at,
        work_item_id, attempt
    )
    values (
        v_item.execution_id, v_item.asset_id,
        case v_item.kind when 'initial_load' then 'prices' when 'backfill' then 'prices' else v_item.kind end,
        'failure', v_class, v_msg, case when v_class in ('quota', 'unfetched') then 0 else v_item.planned_cost end,
        v_now, v_item.work_item_id, v_item.attempt
    );
    return true;
end;
$$;

comment on function pipeline.record_failure(bigint, uuid, text, text, integer, timestamptz) is
'Settle a failed attempt by error class (transient, permanent, data, quota, configuration, unfetched); false on a stale token.';
