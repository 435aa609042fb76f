-- 0013_operations: what operators and screener users need around the pipeline: saved screens
-- (market.screens, run by market.run_screen), alert thresholds and the observations the alerts
-- compare against (pipeline.check_alerts), and the batch size of retention
-- (pipeline.prune_logs_batch). Forward-only: never edit after it has landed.

-- ---------------------------------------------------------------------------------------------
create table market.screens (
    screen_name text not null,
    description text not null,
    predicate text not null,
    order_by text,
    columns text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint screens_pkey primary key (screen_name),
    constraint screens_name_format check (screen_name ~ '^[a-z][a-z0-9_]{0,62}$'),
    constraint screens_description_given check (btrim(description) <> ''),
    constraint screens_predicate_given check (btrim(predicate) <> ''),
    constraint screens_order_by_given check (order_by is null or btrim(order_by) <> '')
);
comment on table market.screens is
'Saved screens: a named SQL boolean expression over the columns of market.screener_latest, run by '
'market.run_screen(name). Operator-written SQL, run with the caller''s rights: grant writes only to people '
'you would let run that SQL. A predicate is checked when saved (trigger market._check_screen).';
comment on column market.screens.screen_name is 'Name to run it by: lowercase letters, digits and _.';
comment on column market.screens.description is 'What the screen finds, for people.';
comment on column market.screens.predicate is
'SQL boolean expression over market.screener_latest columns (e.g. rsi_14 < 40 and adjusted_close > sma_200); '
'no semicolon, no comment, balanced parentheses.';
comment on column market.screens.order_by is 'Optional SQL ordering over the same columns (e.g. rsi_14 desc); null: by ticker.';
comment on column market.screens.columns is 'Columns worth showing besides ticker and close (for the CLI); each must exist in the view.';
comment on column market.screens.created_at is 'When the screen was saved first.';
comment on column market.screens.updated_at is 'When it was last changed.';

-- the README's screens (thresholds that find something on an ordinary day) and a few more
insert into market.screens (screen_name, description, predicate, order_by, columns) values
(
    'oversold_uptrend', 'Oversold (RSI 14 below 40) but above the 200-day average',
    'rsi_14 < 40 and adjusted_close > sma_200', 'rsi_14', '{rsi_14,sma_200,change_pct}'
),
(
    'macd_cross_up', 'MACD histogram crossing above zero today',
    'macd_hist > 0 and macd_hist_prev <= 0', 'macd_hist desc', '{macd_line,macd_signal,macd_hist,macd_hist_prev}'
),
(
    'new_high_on_volume', 'New 52-week high today, on volume above its 30-day average',
    'high_52w > high_52w_prev and volume > avg_volume_30', 'volume / nullif(avg_volume_30, 0) desc nulls last',
    '{adjusted_high,high_52w,volume,avg_volume_30}'
),
(
    'golden_cross', 'The 50-day average crossing above the 200-day average today',
    'sma_50 > sma_200 and sma_50_prev <= sma_200_prev', 'sma_50 / sma_200 desc', '{sma_50,sma_200,sma_50_prev,sma_200_prev}'
),
(
    'overbought', 'Overbought: RSI 14 above 70',
    'rsi_14 > 70', 'rsi_14 desc', '{rsi_14,change_pct,bb_percent_b_20}'
),
(
    'new_low', 'New 52-week low today',
    'low_52w < low_52w_prev', 'change_pct', '{low_52w,low_52w_prev,change_pct}'
);

-- ---------------------------------------------------------------------------------------------
alter table pipeline.settings
add column alert_quota_ratio numeric not null default 0.9,
add column alert_attention_limit integer not null default 25,
add column retention_batch_size integer not null default 5000;
alter table pipeline.settings add constraint settings_alert_quota_ratio_range check (
    alert_quota_ratio > 0 and alert_quota_ratio <= 1
);
alter table pipeline.settings add constraint settings_alert_attention_limit_nonnegative check (
    alert_attention_limit >= 0
);
alter table pipeline.settings add constraint settings_retention_batch_size_range check (
    retention_batch_size between 1 and 100000
);
comment on column pipeline.settings.alert_quota_ratio is
'Alert when the calls recorded this UTC day exceed this share of daily_quota (0.9: above 90 %).';
comment on column pipeline.settings.alert_attention_limit is
'Alert when more than this many active assets of a collection run''s exchanges are behind or owe history after it.';
comment on column pipeline.settings.retention_batch_size is
'Rows per table per pipeline.prune_logs_batch call (one short transaction each).';

-- ---------------------------------------------------------------------------------------------
create table pipeline.alert_observations (
    execution_id bigint not null,
    process_name text not null,
    observed_at timestamptz not null,
    skipped integer not null,
    behind integer not null,
    history_owed integer not null,
    constraint alert_observations_pkey primary key (execution_id),
    constraint alert_observations_execution_fkey foreign key (execution_id)
    references pipeline.process_executions (execution_id) on delete cascade,
    constraint alert_observations_counts_nonnegative check (skipped >= 0 and behind >= 0 and history_owed >= 0)
);
comment on table pipeline.alert_observations is
'What pipeline.check_alerts saw after each collection run (one row per execution): the next run compares its '
'skipped count with the previous one of the same process.';
comment on column pipeline.alert_observations.process_name is 'The run''s process (DAG id): runs are compared within one.';
comment on column pipeline.alert_observations.observed_at is 'When check_alerts looked.';
comment on column pipeline.alert_observations.skipped is 'Active assets of the run''s exchanges that are skipped.';
comment on column pipeline.alert_observations.behind is 'Of them, behind the run''s expected session (reason behind or gap).';
comment on column pipeline.alert_observations.history_owed is 'Of them, owing history (initial load or history owed).';
create index alert_observations_process_idx on pipeline.alert_observations (process_name, execution_id);

-- ---------------------------------------------------------------------------------------------
-- retention deletes API calls: each delete checks the payloads citing the call (foreign key
-- eodhd_payloads_api_call_fkey), which without this index is a scan of every payload per call
create index eodhd_payloads_api_call_idx on raw.eodhd_payloads (api_call_id);
-- and each deleted payload checks the corporate actions citing it (corporate_actions_payload_fkey)
create index corporate_actions_payload_idx on market.corporate_actions (payload_id);
