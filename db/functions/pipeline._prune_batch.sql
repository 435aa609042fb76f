-- pipeline._prune_batch: delete at most p_limit rows from each log table: raw payloads received
-- before p_raw_before that no corporate action or quarantined bar cites, then API calls, detail
-- rows and settled work items from before p_log_before (a call whose payload is kept stays).
-- Oldest first; rows another transaction has locked are left for the next batch (SKIP LOCKED).
-- Business tables are never touched. Used by pipeline.prune_logs and pipeline.prune_logs_batch.
create or replace function pipeline._prune_batch(p_log_before timestamptz, p_raw_before timestamptz, p_limit integer)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_calls integer;
    v_details integer;
    v_items integer;
    v_raw integer;
begin
    delete from raw.eodhd_payloads as r
     where r.payload_id in (
            select p.payload_id from raw.eodhd_payloads as p
            where p.received_at < p_raw_before
              and not exists (select 1 from market.corporate_actions as ca where ca.payload_id = p.payload_id)
              and not exists (select 1 from market.price_quarantine as q where q.payload_id = p.payload_id)
            order by p.received_at
            limit p_limit
            for update skip locked
        );
    get diagnostics v_raw = row_count;
    delete from pipeline.api_calls as c
     where c.api_call_id in (
            select a.api_call_id from pipeline.api_calls as a
            where a.called_at < p_log_before
              and not exists (select 1 from raw.eodhd_payloads as r where r.api_call_id = a.api_call_id)
            order by a.called_at
            limit p_limit
            for update skip locked
        );
    get diagnostics v_calls = row_count;
    delete from pipeline.asset_processing_details as d
     where d.detail_id in (
            select e.detail_id from pipeline.asset_processing_details as e
            where e.recorded_at < p_log_before
            order by e.detail_id
            limit p_limit
            for update skip locked
        );
    get diagnostics v_details = row_count;
    delete from pipeline.work_items as w
     where w.work_item_id in (
            select i.work_item_id from pipeline.work_items as i
            where i.status in ('done', 'failed', 'cancelled') and i.finished_at < p_log_before
            order by i.work_item_id
            limit p_limit
            for update skip locked
        );
    get diagnostics v_items = row_count;
    return jsonb_build_object('api_calls', v_calls, 'asset_processing_details', v_details,
                              'work_items', v_items, 'raw_payloads', v_raw);
end;
$$;

comment on function pipeline._prune_batch(timestamptz, timestamptz, integer) is
'Delete at most p_limit old rows from each log table (payloads, API calls, details, settled work items), oldest first.';
