-- 0001_foundation: schemas, reference data, business tables, pipeline metadata, raw landing.
-- Forward-only: never edit after it has landed; add a new numbered migration instead.

create schema if not exists market;
create schema if not exists pipeline;
create schema if not exists raw;
create schema if not exists monitor;

comment on schema market is 'Business data: exchanges, sessions, assets, prices, fundamentals, indicators.';
comment on schema pipeline is 'Orchestration state: executions, per-asset state, work, API ledger, settings.';
comment on schema raw is 'Landed EODHD responses, as received (without the token).';
comment on schema monitor is 'Read-only views for people operating the pipeline.';

-- An EODHD instrument code: SYMBOL.EXCHANGE, upper case, share classes hyphenated.
create function market.is_valid_ticker(p_ticker text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select p_ticker ~ '^[A-Z0-9][A-Z0-9&_-]{0,29}\.[A-Z][A-Z0-9]{0,9}$'
$$;
comment on function market.is_valid_ticker(text) is
'True when the text is a well-formed EODHD code SYMBOL.EXCHANGE (e.g. AAPL.US, BRK-B.US, US10Y.GBOND).';

-- ---------------------------------------------------------------------------------------------
create table market.exchanges (
    exchange_code text not null,
    name text not null,
    country text not null,
    currency text not null,
    timezone text not null,
    calendar_code text,
    session_close time not null,
    publication_delay interval not null,
    constraint exchanges_pkey primary key (exchange_code),
    constraint exchanges_code_format check (exchange_code ~ '^[A-Z][A-Z0-9]{0,9}$'),
    constraint exchanges_country_format check (country ~ '^[A-Z]{2}$'),
    constraint exchanges_currency_format check (currency ~ '^[A-Z]{3}$'),
    constraint exchanges_delay_nonnegative check (publication_delay >= interval '0')
);
comment on table market.exchanges is 'Exchanges as EODHD names them, with their trading calendar and publication delay.';
comment on column market.exchanges.exchange_code is 'EODHD exchange code (US, LSE, F, XETRA, PA, ...).';
comment on column market.exchanges.name is 'Human-readable exchange name.';
comment on column market.exchanges.country is 'ISO 3166-1 alpha-2 country code.';
comment on column market.exchanges.currency is 'ISO 4217 trading currency (LSE quotes in GBX pence but settles in GBP).';
comment on column market.exchanges.timezone is 'IANA time zone of the exchange.';
comment on column market.exchanges.calendar_code is 'exchange-calendars code (XNYS, XLON, ...) whose sessions fill market.trading_sessions.';
comment on column market.exchanges.session_close is 'Regular session close, local time (half-days come from market.trading_sessions).';
comment on column market.exchanges.publication_delay is 'Usual delay after the close until EODHD publishes end-of-day data.';

insert into market.exchanges
(exchange_code, name, country, currency, timezone, calendar_code, session_close, publication_delay)
values
('US', 'US exchanges (NYSE, NASDAQ, ...)', 'US', 'USD', 'America/New_York', 'XNYS', '16:00', '30 minutes'),
('LSE', 'London Stock Exchange', 'GB', 'GBP', 'Europe/London', 'XLON', '16:30', '3 hours'),
('F', 'Frankfurt Stock Exchange', 'DE', 'EUR', 'Europe/Berlin', 'XFRA', '22:00', '2 hours'),
('XETRA', 'XETRA', 'DE', 'EUR', 'Europe/Berlin', 'XETR', '17:30', '3 hours'),
('PA', 'Euronext Paris', 'FR', 'EUR', 'Europe/Paris', 'XPAR', '17:30', '3 hours'),
('AS', 'Euronext Amsterdam', 'NL', 'EUR', 'Europe/Amsterdam', 'XAMS', '17:30', '3 hours'),
('BR', 'Euronext Brussels', 'BE', 'EUR', 'Europe/Brussels', 'XBRU', '17:30', '3 hours'),
('LS', 'Euronext Lisbon', 'PT', 'EUR', 'Europe/Lisbon', 'XLIS', '16:30', '3 hours'),
('MC', 'Bolsa de Madrid (BME)', 'ES', 'EUR', 'Europe/Madrid', 'XMAD', '17:30', '3 hours'),
('SW', 'SIX Swiss Exchange', 'CH', 'CHF', 'Europe/Zurich', 'XSWX', '17:30', '3 hours'),
('GBOND', 'Government bonds', 'US', 'USD', 'America/New_York', 'XNYS', '17:00', '2 hours');

-- ---------------------------------------------------------------------------------------------
create table market.trading_sessions (
    exchange_code text not null,
    session_date date not null,
    open_at timestamptz not null,
    close_at timestamptz not null,
    is_half_day boolean not null default false,
    constraint trading_sessions_pkey primary key (exchange_code, session_date),
    constraint trading_sessions_exchange_fkey foreign key (exchange_code)
    references market.exchanges (exchange_code),
    constraint trading_sessions_close_after_open check (close_at > open_at)
);
comment on table market.trading_sessions is
'Trading sessions per exchange from exchange-calendars (python -m fetcher load-calendars). SQL asks this table, never a weekday rule.';
comment on column market.trading_sessions.exchange_code is 'EODHD exchange code.';
comment on column market.trading_sessions.session_date is 'Local date of the session.';
comment on column market.trading_sessions.open_at is 'Session open (UTC instant).';
comment on column market.trading_sessions.close_at is 'Session close (UTC instant), early on half-days.';
comment on column market.trading_sessions.is_half_day is 'True when the session closes early.';

-- ---------------------------------------------------------------------------------------------
create table market.universes (
    universe text not null,
    description text not null,
    exchange_codes text[] not null,
    listing_venue text,
    constraint universes_pkey primary key (universe),
    constraint universes_name_format check (universe ~ '^[a-z][a-z0-9_]*$'),
    constraint universes_has_exchanges check (cardinality(exchange_codes) > 0)
);
comment on table market.universes is
'The instrument universes, one per config/tickers/<universe>.txt, and which EODHD exchanges their codes may use.';
comment on column market.universes.universe is 'Universe name = file name without .txt.';
comment on column market.universes.description is 'What the universe holds.';
comment on column market.universes.exchange_codes is 'EODHD exchange codes allowed in this universe file.';
comment on column market.universes.listing_venue is 'Listing venue written to market.assets (NYSE, NASDAQ, ...); null: the exchange code.';

insert into market.universes (universe, description, exchange_codes, listing_venue) values
('nyse', 'New York Stock Exchange listings', '{US}', 'NYSE'),
('nasdaq', 'NASDAQ listings', '{US}', 'NASDAQ'),
('lse', 'London Stock Exchange', '{LSE}', 'LSE'),
('frankfurt', 'Frankfurt Stock Exchange', '{F}', 'FRA'),
('xetra', 'XETRA', '{XETRA}', 'XETRA'),
('euronext', 'Euronext Paris, Amsterdam, Brussels and Lisbon', '{PA,AS,BR,LS}', null),
('bme', 'Bolsa de Madrid', '{MC}', 'BME'),
('six', 'SIX Swiss Exchange', '{SW}', 'SIX'),
('bonds', 'Government bond yields', '{GBOND}', 'GBOND');

-- ---------------------------------------------------------------------------------------------
create table market.assets (
    asset_id bigint generated always as identity,
    ticker text not null,
    symbol text not null,
    exchange_code text not null,
    universe text,
    listing_venue text,
    asset_type text not null default 'stock',
    name text,
    currency text,
    isin text,
    country text,
    sector text,
    industry text,
    is_active boolean not null default true,
    listed_on date,
    delisted_on date,
    first_seen_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint assets_pkey primary key (asset_id),
    constraint assets_ticker_key unique (ticker),
    constraint assets_exchange_fkey foreign key (exchange_code) references market.exchanges (exchange_code),
    constraint assets_universe_fkey foreign key (universe) references market.universes (universe),
    constraint assets_ticker_format check (market.is_valid_ticker(ticker)),
    constraint assets_ticker_parts check (ticker = symbol || '.' || exchange_code),
    constraint assets_type_known check (asset_type in ('stock', 'etf', 'fund', 'bond', 'index')),
    constraint assets_isin_format check (isin is null or isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    constraint assets_inactive_has_date check (is_active or delisted_on is not null)
);
comment on table market.assets is 'Every instrument ever in the universe; identity is the EODHD code SYMBOL.EXCHANGE. Never deleted.';
comment on column market.assets.ticker is 'EODHD code SYMBOL.EXCHANGE (AAPL.US, BP.LSE): unique across exchanges.';
comment on column market.assets.symbol is 'Symbol part of the code (AAPL, BRK-B).';
comment on column market.assets.exchange_code is 'EODHD exchange part of the code.';
comment on column market.assets.universe is 'Universe file the code was last listed in (config/tickers/<universe>.txt).';
comment on column market.assets.listing_venue is 'Listing venue (NYSE, NASDAQ, LSE, ...).';
comment on column market.assets.asset_type is 'stock, etf, fund, bond or index (set from fundamentals General.Type).';
comment on column market.assets.name is 'Instrument name.';
comment on column market.assets.currency is 'Quote currency (GBX for most LSE listings).';
comment on column market.assets.isin is 'ISIN when known.';
comment on column market.assets.country is 'ISO country of the issuer when known.';
comment on column market.assets.sector is 'Sector from fundamentals.';
comment on column market.assets.industry is 'Industry from fundamentals.';
comment on column market.assets.is_active is 'False once the code left the universe (kept for history).';
comment on column market.assets.listed_on is 'First day listed in the universe (or the IPO date when known).';
comment on column market.assets.delisted_on is 'Day the code left the universe; null while active.';
comment on column market.assets.first_seen_at is 'When the pipeline first saw the code.';
comment on column market.assets.updated_at is 'Last change of this row.';
create index assets_exchange_code_idx on market.assets (exchange_code);

-- ---------------------------------------------------------------------------------------------
create table market.stock_prices (
    asset_id bigint not null,
    trade_date date not null,
    open double precision not null,
    high double precision not null,
    low double precision not null,
    close double precision not null,
    adjusted_close double precision not null,
    volume double precision not null,
    constraint stock_prices_pkey primary key (asset_id, trade_date),
    constraint stock_prices_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint stock_prices_positive check (
        open > 0 and high > 0 and low > 0 and close > 0 and adjusted_close > 0
    ),
    constraint stock_prices_low_le_high check (low <= high),
    constraint stock_prices_open_in_range check (open between low and high),
    constraint stock_prices_close_in_range check (close between low and high),
    constraint stock_prices_volume_nonnegative check (volume >= 0),
    constraint stock_prices_finite check (
        open < 'Infinity' and high < 'Infinity' and low < 'Infinity'
        and close < 'Infinity' and adjusted_close < 'Infinity' and volume < 'Infinity'
    )
);
comment on table market.stock_prices is 'End-of-day bars as EODHD publishes them: raw OHLC, adjusted close, volume.';
comment on column market.stock_prices.trade_date is 'Session date (local to the exchange).';
comment on column market.stock_prices.open is 'Raw open.';
comment on column market.stock_prices.high is 'Raw high.';
comment on column market.stock_prices.low is 'Raw low.';
comment on column market.stock_prices.close is 'Raw close.';
comment on column market.stock_prices.adjusted_close is
'Close adjusted for splits and dividends (rewritten backwards by corporate actions); adjust OHLC by adjusted_close/close.';
comment on column market.stock_prices.volume is 'Traded volume (may be 0 on illiquid days, fractional for some instruments).';

-- ---------------------------------------------------------------------------------------------
create table market.fundamentals (
    asset_id bigint not null,
    payload jsonb not null,
    market_cap double precision,
    pe_ratio double precision,
    eps double precision,
    dividend_yield double precision,
    shares_outstanding double precision,
    book_value double precision,
    beta double precision,
    sector text,
    industry text,
    fetched_at timestamptz not null,
    updated_at timestamptz not null default now(),
    constraint fundamentals_pkey primary key (asset_id),
    constraint fundamentals_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint fundamentals_payload_object check (jsonb_typeof(payload) = 'object'),
    constraint fundamentals_shares_nonnegative check (shares_outstanding is null or shares_outstanding >= 0)
);
comment on table market.fundamentals is 'Latest fundamentals payload per asset, with the key figures extracted.';
comment on column market.fundamentals.payload is 'The /fundamentals response as received.';
comment on column market.fundamentals.market_cap is 'Highlights.MarketCapitalization.';
comment on column market.fundamentals.pe_ratio is 'Highlights.PERatio.';
comment on column market.fundamentals.eps is 'Highlights.EarningsShare.';
comment on column market.fundamentals.dividend_yield is 'Highlights.DividendYield (fraction).';
comment on column market.fundamentals.shares_outstanding is 'SharesStats.SharesOutstanding.';
comment on column market.fundamentals.book_value is 'Highlights.BookValue.';
comment on column market.fundamentals.beta is 'Technicals.Beta.';
comment on column market.fundamentals.sector is 'General.Sector.';
comment on column market.fundamentals.industry is 'General.Industry.';
comment on column market.fundamentals.fetched_at is 'When the payload was received.';
comment on column market.fundamentals.updated_at is 'Last change of this row.';

-- ---------------------------------------------------------------------------------------------
create table pipeline.settings (
    settings_id boolean not null default true,
    daily_quota integer not null default 100000,
    quota_buffer integer not null default 2000,
    failure_limit integer not null default 5,
    backoff_base interval not null default '1 hour',
    backoff_cap interval not null default '7 days',
    fundamentals_refresh_interval interval not null default '30 days',
    history_start date not null default '2000-01-01',
    raw_retention interval not null default '30 days',
    log_retention interval not null default '180 days',
    constraint settings_pkey primary key (settings_id),
    constraint settings_single_row check (settings_id),
    constraint settings_quota_positive check (daily_quota > 0),
    constraint settings_buffer_range check (quota_buffer >= 0 and quota_buffer < daily_quota),
    constraint settings_failure_limit_positive check (failure_limit > 0),
    constraint settings_backoff_order check (backoff_base > interval '0' and backoff_cap >= backoff_base)
);
comment on table pipeline.settings is 'The single row of pipeline settings (update it in psql; later migrations add columns).';
comment on column pipeline.settings.settings_id is 'Always true: the table holds one row.';
comment on column pipeline.settings.daily_quota is 'EODHD API calls per UTC day on the plan.';
comment on column pipeline.settings.quota_buffer is 'Calls kept in reserve: plans never use them.';
comment on column pipeline.settings.failure_limit is 'Consecutive permanent failures after which a ticker is skipped until reprocess.';
comment on column pipeline.settings.backoff_base is 'Wait after the first permanent failure (doubles each time).';
comment on column pipeline.settings.backoff_cap is 'Longest wait between attempts.';
comment on column pipeline.settings.fundamentals_refresh_interval is 'How often fundamentals are refreshed per asset.';
comment on column pipeline.settings.history_start is 'First date requested on an initial price load.';
comment on column pipeline.settings.raw_retention is 'How long landed raw payloads are kept.';
comment on column pipeline.settings.log_retention is 'How long API call and detail logs are kept.';
insert into pipeline.settings default values;

-- ---------------------------------------------------------------------------------------------
create table pipeline.process_executions (
    execution_id bigint generated always as identity,
    process_name text not null,
    run_id text not null,
    as_of timestamptz not null,
    parameters jsonb not null default '{}',
    status text not null default 'running',
    summary jsonb not null default '{}',
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    constraint process_executions_pkey primary key (execution_id),
    constraint process_executions_run_key unique (process_name, run_id),
    constraint process_executions_status_known check (status in ('running', 'success', 'partial', 'failed')),
    constraint process_executions_finished_when_done check ((status = 'running') = (finished_at is null)),
    constraint process_executions_parameters_object check (jsonb_typeof(parameters) = 'object')
);
comment on table pipeline.process_executions is 'One row per pipeline run (an Airflow DAG run, a manual run); idempotent on (process_name, run_id).';
comment on column pipeline.process_executions.process_name is 'What ran (data_collection_equities, calculate_indicators, ...).';
comment on column pipeline.process_executions.run_id is 'The caller''s run id (Airflow run_id).';
comment on column pipeline.process_executions.as_of is 'The business time the run works for (Airflow data_interval_end).';
comment on column pipeline.process_executions.parameters is 'Run parameters (dag_run.conf: tickers, exchanges, force, from_date).';
comment on column pipeline.process_executions.status is 'running, success, partial or failed.';
comment on column pipeline.process_executions.summary is 'What happened, aggregated by pipeline.finish_execution.';
comment on column pipeline.process_executions.started_at is 'When the run started.';
comment on column pipeline.process_executions.finished_at is 'When the run was finished; null while running.';

-- ---------------------------------------------------------------------------------------------
create table pipeline.asset_processing_state (
    asset_id bigint not null,
    status text not null default 'new',
    prices_first_date date,
    prices_last_date date,
    fundamentals_fetched_at timestamptz,
    consecutive_failures integer not null default 0,
    next_attempt_at timestamptz,
    is_skipped boolean not null default false,
    skip_reason text,
    reprocess_prices boolean not null default false,
    reprocess_prices_from date,
    reprocess_fundamentals boolean not null default false,
    reprocess_indicators boolean not null default false,
    needs_indicator_recompute boolean not null default false,
    last_success_at timestamptz,
    last_failure_at timestamptz,
    last_error text,
    updated_at timestamptz not null default now(),
    constraint asset_processing_state_pkey primary key (asset_id),
    constraint asset_processing_state_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint asset_processing_state_status_known check (status in ('new', 'active', 'failing', 'skipped', 'inactive')),
    constraint asset_processing_state_failures_nonnegative check (consecutive_failures >= 0),
    constraint asset_processing_state_price_window check (prices_first_date <= prices_last_date),
    constraint asset_processing_state_skip_has_reason check (not is_skipped or skip_reason is not null)
) with (fillfactor = 80);
comment on table pipeline.asset_processing_state is 'The per-asset state machine: watermarks, failures, backoff, skip and reprocess flags.';
comment on column pipeline.asset_processing_state.status is 'new (never loaded), active, failing (backing off), skipped (at the failure limit), inactive.';
comment on column pipeline.asset_processing_state.prices_first_date is 'First bar stored.';
comment on column pipeline.asset_processing_state.prices_last_date is 'Watermark: the last bar actually stored (never moved on an empty or failed fetch).';
comment on column pipeline.asset_processing_state.fundamentals_fetched_at is 'When fundamentals were last stored.';
comment on column pipeline.asset_processing_state.consecutive_failures is 'Permanent failures since the last success.';
comment on column pipeline.asset_processing_state.next_attempt_at is 'Backoff: not planned before this time.';
comment on column pipeline.asset_processing_state.is_skipped is 'True at the failure limit: not planned until a reprocess is requested.';
comment on column pipeline.asset_processing_state.skip_reason is 'Why the asset is skipped.';
comment on column pipeline.asset_processing_state.reprocess_prices is 'Reprocess requested for prices (cleared when done).';
comment on column pipeline.asset_processing_state.reprocess_prices_from is 'Backfill prices from this date (with reprocess_prices).';
comment on column pipeline.asset_processing_state.reprocess_fundamentals is 'Reprocess requested for fundamentals (cleared when done).';
comment on column pipeline.asset_processing_state.reprocess_indicators is 'Indicator recompute requested (cleared when done).';
comment on column pipeline.asset_processing_state.needs_indicator_recompute is 'History changed (backfill, corporate action): rebuild indicators in full.';
comment on column pipeline.asset_processing_state.last_success_at is 'Last successful result.';
comment on column pipeline.asset_processing_state.last_failure_at is 'Last failed result.';
comment on column pipeline.asset_processing_state.last_error is 'Last error message.';
comment on column pipeline.asset_processing_state.updated_at is 'Last change of this row.';

-- ---------------------------------------------------------------------------------------------
create table pipeline.asset_processing_details (
    detail_id bigint generated always as identity,
    execution_id bigint not null,
    asset_id bigint not null,
    component text not null,
    outcome text not null,
    error_class text,
    message text,
    rows_stored integer not null default 0,
    api_calls integer not null default 0,
    recorded_at timestamptz not null default now(),
    constraint asset_processing_details_pkey primary key (detail_id),
    constraint asset_processing_details_execution_fkey foreign key (execution_id)
    references pipeline.process_executions (execution_id),
    constraint asset_processing_details_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint asset_processing_details_component_known check (
        component in ('prices', 'fundamentals', 'bulk_prices', 'corporate_actions', 'indicators')
    ),
    constraint asset_processing_details_outcome_known check (outcome in ('success', 'failure', 'skipped')),
    constraint asset_processing_details_error_class_known check (
        error_class is null or error_class in ('transient', 'permanent', 'data', 'quota', 'configuration')
    ),
    constraint asset_processing_details_counts_nonnegative check (rows_stored >= 0 and api_calls >= 0)
);
comment on table pipeline.asset_processing_details is 'Append-only log: one row per result of a piece of work on an asset.';
comment on column pipeline.asset_processing_details.component is 'prices, fundamentals, bulk_prices, corporate_actions or indicators.';
comment on column pipeline.asset_processing_details.outcome is 'success, failure or skipped.';
comment on column pipeline.asset_processing_details.error_class is 'transient, permanent, data, quota or configuration.';
comment on column pipeline.asset_processing_details.message is 'Error or result message (never a secret).';
comment on column pipeline.asset_processing_details.rows_stored is 'Rows written to business tables.';
comment on column pipeline.asset_processing_details.api_calls is 'API calls spent on this result.';
comment on column pipeline.asset_processing_details.recorded_at is 'When the result was recorded.';
create index asset_processing_details_execution_idx on pipeline.asset_processing_details (execution_id);
create index asset_processing_details_asset_idx on pipeline.asset_processing_details (asset_id, recorded_at);

-- ---------------------------------------------------------------------------------------------
create table pipeline.api_calls (
    api_call_id bigint generated always as identity,
    execution_id bigint,
    endpoint text not null,
    ticker text,
    exchange_code text,
    cost integer not null,
    http_status integer,
    called_at timestamptz not null,
    duration_ms integer,
    worker text,
    error text,
    constraint api_calls_pkey primary key (api_call_id),
    constraint api_calls_execution_fkey foreign key (execution_id) references pipeline.process_executions (execution_id),
    constraint api_calls_endpoint_known check (
        endpoint in ('eod', 'eod-bulk-last-day', 'fundamentals', 'exchange-symbol-list', 'splits', 'div', 'user')
    ),
    constraint api_calls_cost_nonnegative check (cost >= 0),
    constraint api_calls_status_range check (http_status is null or http_status between 100 and 599),
    constraint api_calls_duration_nonnegative check (duration_ms is null or duration_ms >= 0)
);
comment on table pipeline.api_calls is 'The API ledger: one row per HTTP call with its true cost, recorded with its payload.';
comment on column pipeline.api_calls.endpoint is 'EODHD endpoint (eod, eod-bulk-last-day, fundamentals, ...).';
comment on column pipeline.api_calls.ticker is 'EODHD code the call was for, when per instrument.';
comment on column pipeline.api_calls.exchange_code is 'Exchange the call was for, when per exchange.';
comment on column pipeline.api_calls.cost is 'API calls the provider counts for it (failed calls too).';
comment on column pipeline.api_calls.http_status is 'HTTP status; null when no response arrived.';
comment on column pipeline.api_calls.called_at is 'When the call was made (UTC; the provider''s quota day is the UTC day).';
comment on column pipeline.api_calls.duration_ms is 'Round-trip time in milliseconds.';
comment on column pipeline.api_calls.worker is 'Fetcher worker that made the call.';
comment on column pipeline.api_calls.error is 'Error text (never the token).';
create index api_calls_called_at_idx on pipeline.api_calls (called_at);
create index api_calls_execution_idx on pipeline.api_calls (execution_id);

-- ---------------------------------------------------------------------------------------------
create table raw.eodhd_payloads (
    payload_id bigint generated always as identity,
    execution_id bigint,
    endpoint text not null,
    ticker text,
    exchange_code text,
    request_params jsonb not null default '{}',
    http_status integer not null,
    body jsonb,
    received_at timestamptz not null,
    ingested_at timestamptz,
    ingest_error text,
    constraint eodhd_payloads_pkey primary key (payload_id),
    constraint eodhd_payloads_execution_fkey foreign key (execution_id)
    references pipeline.process_executions (execution_id),
    constraint eodhd_payloads_no_token check (not request_params ? 'api_token'),
    constraint eodhd_payloads_status_range check (http_status between 100 and 599),
    constraint eodhd_payloads_params_object check (jsonb_typeof(request_params) = 'object')
);
comment on table raw.eodhd_payloads is 'Landed EODHD responses. The token is never stored.';
comment on column raw.eodhd_payloads.endpoint is 'EODHD endpoint.';
comment on column raw.eodhd_payloads.ticker is 'EODHD code requested, when per instrument.';
comment on column raw.eodhd_payloads.exchange_code is 'Exchange requested, when per exchange.';
comment on column raw.eodhd_payloads.request_params is 'Query parameters without api_token.';
comment on column raw.eodhd_payloads.http_status is 'HTTP status of the response.';
comment on column raw.eodhd_payloads.body is 'Response body as jsonb; null when it was not valid JSON.';
comment on column raw.eodhd_payloads.received_at is 'When the response arrived.';
comment on column raw.eodhd_payloads.ingested_at is 'When the ingest function parsed it successfully.';
comment on column raw.eodhd_payloads.ingest_error is 'Why ingest rejected it.';
create index eodhd_payloads_received_at_idx on raw.eodhd_payloads (received_at);
