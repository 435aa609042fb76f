-- 0002_work_items: the planned work of a run (pipeline.work_items), the columns the state
-- machine needs on executions, asset state and the detail log. Forward-only.

create table pipeline.work_items (
    work_item_id bigint generated always as identity,
    execution_id bigint not null,
    kind text not null,
    reason text not null,
    asset_id bigint,
    exchange_code text not null,
    from_date date,
    to_date date,
    planned_cost integer not null,
    priority smallint not null,
    claim_order integer not null,
    status text not null default 'pending',
    attempt integer not null default 0,
    lease_token uuid,
    lease_expires_at timestamptz,
    claimed_by text,
    claimed_at timestamptz,
    finished_at timestamptz,
    error_class text,
    last_error text,
    result jsonb,
    created_at timestamptz not null default now(),
    constraint work_items_pkey primary key (work_item_id),
    constraint work_items_execution_fkey foreign key (execution_id)
    references pipeline.process_executions (execution_id),
    constraint work_items_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint work_items_exchange_fkey foreign key (exchange_code) references market.exchanges (exchange_code),
    constraint work_items_order_key unique (execution_id, claim_order),
    constraint work_items_kind_known check (
        kind in ('initial_load', 'prices', 'backfill', 'bulk_prices', 'fundamentals', 'corporate_actions')
    ),
    constraint work_items_reason_known check (
        reason in ('fresh', 'reprocess', 'new_listing', 'gap', 'backfill', 'schedule', 'requested')
    ),
    constraint work_items_status_known check (status in ('pending', 'claimed', 'done', 'failed', 'cancelled')),
    constraint work_items_scope check ((kind = 'bulk_prices') = (asset_id is null)),
    constraint work_items_cost_positive check (planned_cost > 0),
    constraint work_items_priority_range check (priority between 0 and 9),
    constraint work_items_attempt_nonnegative check (attempt >= 0),
    constraint work_items_date_window check (from_date is null or to_date is null or from_date <= to_date),
    constraint work_items_claimed_has_lease check (
        (status = 'claimed') = (lease_expires_at is not null) and (status <> 'claimed' or lease_token is not null)
    ),
    constraint work_items_finished_when_done check ((status in ('done', 'failed', 'cancelled')) = (finished_at is not null)),
    constraint work_items_error_class_known check (
        error_class is null or error_class in ('transient', 'permanent', 'data', 'quota', 'configuration')
    )
) with (fillfactor = 80);
comment on table pipeline.work_items is
'The plan of a run: one row per unit of API work, written by pipeline.discover_delta and handed out by pipeline.claim_work.';
comment on column pipeline.work_items.execution_id is 'The run that planned the item.';
comment on column pipeline.work_items.kind is
'initial_load, prices, backfill, bulk_prices, fundamentals or corporate_actions (docs/interfaces.md).';
comment on column pipeline.work_items.reason is
'Why it was planned: fresh, reprocess, new_listing, gap, backfill (from_date), schedule (fundamentals), requested.';
comment on column pipeline.work_items.asset_id is 'The asset; null for bulk_prices (exchange scope).';
comment on column pipeline.work_items.exchange_code is 'Exchange of the asset, or of the bulk call.';
comment on column pipeline.work_items.from_date is 'First date requested (eod/backfill/initial_load/corporate_actions).';
comment on column pipeline.work_items.to_date is 'Last date requested (the bulk date for bulk_prices).';
comment on column pipeline.work_items.planned_cost is 'True cost in API calls (docs/interfaces.md).';
comment on column pipeline.work_items.priority is
'0 bulk, 1 keep fresh, 2 reprocess/gap/backfill, 3 new listings, 4 scheduled fundamentals: lower first.';
comment on column pipeline.work_items.claim_order is
'Order in which items are handed out: priority, then oldest waiting, round-robin across exchanges.';
comment on column pipeline.work_items.status is 'pending, claimed, done, failed (permanent/data) or cancelled (run finished first).';
comment on column pipeline.work_items.attempt is 'How many times the item was claimed.';
comment on column pipeline.work_items.lease_token is 'Token of the current (or last) claim; results must carry it.';
comment on column pipeline.work_items.lease_expires_at is 'Claimed until then; after it the item may be claimed again.';
comment on column pipeline.work_items.claimed_by is 'Worker holding (or last holding) the item.';
comment on column pipeline.work_items.claimed_at is 'When the current claim was made.';
comment on column pipeline.work_items.finished_at is 'When the item reached done, failed or cancelled.';
comment on column pipeline.work_items.error_class is 'Class of the last failure reported.';
comment on column pipeline.work_items.last_error is 'Message of the last failure reported.';
comment on column pipeline.work_items.result is 'The result reported with the success (as the ingest function returned it).';
comment on column pipeline.work_items.created_at is 'When the item was planned.';

-- the claim: pending items of one execution in claim order (small, only pending rows)
create index work_items_claim_idx on pipeline.work_items (execution_id, claim_order) where status = 'pending';
-- expired leases of one execution
create index work_items_lease_idx on pipeline.work_items (execution_id, lease_expires_at) where status = 'claimed';
-- open work per asset (not planned twice by concurrent runs) and reserved quota
create index work_items_open_asset_idx on pipeline.work_items (asset_id) where status in ('pending', 'claimed');
create index work_items_execution_idx on pipeline.work_items (execution_id, status);

-- ---------------------------------------------------------------------------------------------
alter table pipeline.process_executions
add column planned_at timestamptz,
add column plan_summary jsonb,
add column claiming_stopped_at timestamptz,
add column stop_reason text;
comment on column pipeline.process_executions.planned_at is
'When pipeline.discover_delta stored the plan (a second call returns plan_summary).';
comment on column pipeline.process_executions.plan_summary is 'What pipeline.discover_delta planned (counts and cost).';
comment on column pipeline.process_executions.claiming_stopped_at is
'Set when a quota or configuration error stopped the run: no further claims.';
comment on column pipeline.process_executions.stop_reason is 'Why claiming stopped (quota: ..., configuration: ...).';
create index process_executions_running_idx on pipeline.process_executions (started_at) where status = 'running';

-- ---------------------------------------------------------------------------------------------
alter table pipeline.asset_processing_state
add column prices_gap_from date,
add column reprocess_requested_at timestamptz;
comment on column pipeline.asset_processing_state.prices_gap_from is
'First session missing between the first and last bar (null: no known gap); planned as a backfill.';
comment on column pipeline.asset_processing_state.reprocess_requested_at is 'When the last reprocess was requested.';

-- ---------------------------------------------------------------------------------------------
alter table pipeline.asset_processing_details
alter column asset_id drop not null,
add column work_item_id bigint,
add column attempt integer,
add constraint asset_processing_details_work_item_fkey foreign key (work_item_id)
references pipeline.work_items (work_item_id) on delete cascade,
add constraint asset_processing_details_result_key unique (work_item_id, attempt);
comment on column pipeline.asset_processing_details.asset_id is 'The asset; null for an exchange-wide result (bulk_prices).';
comment on column pipeline.asset_processing_details.work_item_id is 'The work item whose result this row records.';
comment on column pipeline.asset_processing_details.attempt is 'Claim attempt of the work item: one row per recorded result.';
