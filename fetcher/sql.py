"""Every SQL statement of the fetcher (run, refresh-universe, sync-universe), in one place.

Constants (psycopg %s placeholders) and the ingest statement of each endpoint. The business
rules behind them live in the database functions they call.
"""

from __future__ import annotations

# -- work items (pipeline.claim_work hands out each item with its requests) ---------------------
CLAIM = (
    "select work_item_id, lease_token, kind, asset_id, ticker, exchange_code, from_date, to_date,"
    " planned_cost, attempt, requests from pipeline.claim_work(%s, %s, %s, %s)"
)
HEARTBEAT = "select pipeline.heartbeat(%s, %s, %s)"
RECORD_PART = "select pipeline.record_part(%s, %s, %s, %s, %s)"
RECORD_SUCCESS = "select pipeline.record_success(%s, %s, %s)"
RECORD_FAILURE = "select pipeline.record_failure(%s, %s, %s, %s, %s)"
SETTLED = (
    "select w.error_class, w.last_error, x.stop_reason from pipeline.work_items as w"
    " join pipeline.process_executions as x using (execution_id)"
    " where w.work_item_id = %s"
)
COUNT_ORPHANS = (
    "select count(*) from pipeline.work_items where execution_id = %s and status = 'claimed'"
    " and claimed_by = %s and not (work_item_id = any(%s))"
)
COUNT_LEFT = "select count(*) from pipeline.work_items where execution_id = %s and status in ('pending', 'claimed')"

# -- the run and its workers ----------------------------------------------------------------------
REGISTER_WORKER = "select pipeline.register_worker(%s, %s)"
TOUCH_WORKER = "select pipeline.touch_worker(%s, %s, %s)"
PROVIDER_STOP = (
    "select stop_reason from pipeline.process_executions where execution_id = %s and stop_reason like 'provider:%%'"
)
EXECUTION_STATE = (
    "select status, claiming_stopped_at, stop_reason, planned_at from pipeline.process_executions"
    " where execution_id = %s"
)

# -- landing and ingesting a response --------------------------------------------------------------
# (execution_id, endpoint, ticker, exchange_code, params, http_status, body, received_at, cost,
#  duration_ms, worker, error) -> payload_id (null when nothing was landed)
LAND = (
    "select raw.land_response(p_execution_id => %s, p_endpoint => %s, p_ticker => %s,"
    " p_exchange_code => %s, p_request_params => %s, p_http_status => %s, p_body => %s,"
    " p_received_at => %s, p_cost => %s, p_duration_ms => %s, p_worker => %s, p_error => %s)"
)
INGEST = {
    "eod": "select market.ingest_eod(%s, %s, %s)",
    "eod-bulk-last-day": "select market.ingest_bulk_day(%s, %s, %s)",
    "fundamentals": "select market.ingest_fundamentals(%s, %s)",
    "splits": "select market.ingest_corporate_actions(%s, %s)",
    "div": "select market.ingest_corporate_actions(%s, %s)",
}

# -- refresh-universe -------------------------------------------------------------------------------
UNIVERSES = "select universe, exchange_codes, listing_venue from market.universes order by universe"
ENDPOINT_COST = "select cost from pipeline.endpoints where endpoint = %s"

# -- universe files (fetcher/universe.py): the database judges every code ------------------------
MALFORMED_CODES = (
    "select coalesce(array_agg(t.code), '{}') from unnest(%s::text[]) as t (code)"
    " where not market.is_valid_ticker(t.code)"
)
UNIVERSE_EXCHANGES = "select universe, exchange_codes from market.universes"
COUNT_ACTIVE_ASSETS = "select count(*) from market.assets where universe = %s and is_active"
SYNC_UNIVERSE = "select pipeline.sync_universe(%s, %s, %s, p_allow_empty => %s)"
