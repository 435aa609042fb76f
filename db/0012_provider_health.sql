-- 0012_provider_health: the provider's faults are not the ticker's. The ledger's last attempts
-- per endpoint (pipeline.get_provider_fault of each) let pipeline.check_provider_health tell an
-- outage or a misconfigured base URL from one ticker's trouble; fetcher processes
-- register per execution (pipeline.execution_workers), so the items of a worker whose process is
-- gone are claimable at once instead of after their lease. Forward-only.

-- the circuit reads the last attempts of one endpoint of one execution
create index api_calls_execution_endpoint_idx on pipeline.api_calls (execution_id, endpoint, api_call_id);

comment on column pipeline.process_executions.stop_reason is
'Why claiming stopped: quota: ... (402), configuration: ... (401/403, broken deployment), provider: ... (the '
'provider failed for everyone: pipeline.check_provider_health).';

-- ---------------------------------------------------------------------------------------------
create table pipeline.execution_workers (
    execution_id bigint not null,
    worker text not null,
    session_id uuid not null,
    registered_at timestamptz not null,
    seen_at timestamptz not null,
    constraint execution_workers_pkey primary key (execution_id, worker),
    constraint execution_workers_execution_fkey foreign key (execution_id)
    references pipeline.process_executions (execution_id) on delete cascade,
    constraint execution_workers_worker_named check (worker <> ''),
    constraint execution_workers_seen_after_registered check (seen_at >= registered_at)
) with (fillfactor = 70);
comment on table pipeline.execution_workers is
'Fetcher processes of a running execution, one row per worker name: the live session and when it was last seen. '
'A new session of the same name (an Airflow retry) or a session unseen for long takes over its items at once.';
comment on column pipeline.execution_workers.worker is 'Worker name (claim_work p_worker; the DAG names them per mapped task).';
comment on column pipeline.execution_workers.session_id is 'The live process of that name (a new process registers a new one).';
comment on column pipeline.execution_workers.registered_at is 'When the live session registered.';
comment on column pipeline.execution_workers.seen_at is 'Last sign of life of the session (pipeline.touch_worker).';

-- ---------------------------------------------------------------------------------------------
-- the circuit's thresholds and the escalation of a ticker the provider keeps failing on
alter table pipeline.settings
add column circuit_window integer not null default 20,
add column circuit_min_failures integer not null default 10,
add column circuit_failure_ratio numeric not null default 0.8,
add column circuit_min_codes integer not null default 3,
add column transient_claims_limit integer not null default 3,
add column worker_dead_after interval not null default '45 seconds';
alter table pipeline.settings add constraint settings_circuit_sane check (
    circuit_window > 0 and circuit_min_failures between 1 and circuit_window
    and circuit_failure_ratio > 0 and circuit_failure_ratio <= 1 and circuit_min_codes > 0
);
alter table pipeline.settings add constraint settings_transient_claims_positive check (transient_claims_limit > 0);
alter table pipeline.settings add constraint settings_worker_dead_after_positive check (
    worker_dead_after > interval '0'
);
comment on column pipeline.settings.circuit_window is
'Provider circuit: how many of an endpoint''s most recent attempts in a run are looked at.';
comment on column pipeline.settings.circuit_min_failures is
'Provider circuit: provider-side failures among them (5xx, 429, no response, foreign 404) that open it.';
comment on column pipeline.settings.circuit_failure_ratio is
'Provider circuit: and at least this share of the attempts looked at failed on the provider''s side.';
comment on column pipeline.settings.circuit_min_codes is
'Provider circuit: and the failures span at least this many codes (one ticker''s retries never open it).';
comment on column pipeline.settings.transient_claims_limit is
'Claims of an item failing transiently (retries exhausted) before it counts as a failure of the ticker, '
'unless the provider circuit of the run is open.';
comment on column pipeline.settings.worker_dead_after is
'A fetcher session not seen for this long is gone: pipeline.claim_work takes over its items at once.';
