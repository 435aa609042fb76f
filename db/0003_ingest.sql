-- 0003_ingest: what landing and ingest need besides 0001: the link from a payload to its API
-- call, the vendor date each stored adjusted close reflects, the price quarantine and the
-- corporate actions. Forward-only: never edit after it has landed.

alter table raw.eodhd_payloads add column api_call_id bigint;
alter table raw.eodhd_payloads add constraint eodhd_payloads_api_call_fkey
foreign key (api_call_id) references pipeline.api_calls (api_call_id);
comment on column raw.eodhd_payloads.api_call_id is 'The pipeline.api_calls row of the call that returned this response.';

alter table market.stock_prices add column adjusted_as_of date;
comment on column market.stock_prices.adjusted_as_of is
'Business date of the fetch that wrote adjusted_close: the vendor value reflects corporate actions up to this date; '
'later actions are applied by market.ingest_corporate_actions. Null: unknown (treated as reflecting none).';

-- ---------------------------------------------------------------------------------------------
create table market.price_quarantine (
    quarantine_id bigint generated always as identity,
    payload_id bigint not null,
    item_no integer not null,
    asset_id bigint not null,
    trade_date date,
    bar jsonb not null,
    reason text not null,
    quarantined_at timestamptz not null default now(),
    constraint price_quarantine_pkey primary key (quarantine_id),
    constraint price_quarantine_item_key unique (payload_id, item_no),
    constraint price_quarantine_payload_fkey foreign key (payload_id) references raw.eodhd_payloads (payload_id),
    constraint price_quarantine_asset_fkey foreign key (asset_id) references market.assets (asset_id)
);
comment on table market.price_quarantine is
'Bars rejected by ingest (non-positive price, low above high, open/close outside [low, high], negative volume, '
'date after the business date, duplicate date in one payload), one row per rejected bar of a payload.';
comment on column market.price_quarantine.item_no is 'Position of the bar in the payload array (1-based).';
comment on column market.price_quarantine.trade_date is 'Date of the bar as sent.';
comment on column market.price_quarantine.bar is 'The bar as received.';
comment on column market.price_quarantine.reason is 'Every rule the bar broke, separated by "; ".';
comment on column market.price_quarantine.quarantined_at is 'When the bar was rejected.';
create index price_quarantine_asset_idx on market.price_quarantine (asset_id, trade_date);

-- ---------------------------------------------------------------------------------------------
create table market.corporate_actions (
    asset_id bigint not null,
    action_date date not null,
    action_type text not null,
    split_numerator double precision,
    split_denominator double precision,
    dividend_value double precision,
    dividend_unadjusted_value double precision,
    currency text,
    adjustment_factor double precision,
    bars_adjusted integer not null default 0,
    payload_id bigint not null,
    recorded_at timestamptz not null default now(),
    constraint corporate_actions_pkey primary key (asset_id, action_date, action_type),
    constraint corporate_actions_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint corporate_actions_payload_fkey foreign key (payload_id) references raw.eodhd_payloads (payload_id),
    constraint corporate_actions_type_known check (action_type in ('split', 'dividend')),
    constraint corporate_actions_split_ratio check (
        action_type <> 'split' or (split_numerator > 0 and split_denominator > 0)
    ),
    constraint corporate_actions_dividend_amount check (
        action_type <> 'dividend' or dividend_value >= 0
    ),
    constraint corporate_actions_factor_positive check (adjustment_factor is null or adjustment_factor > 0),
    constraint corporate_actions_bars_nonnegative check (bars_adjusted >= 0)
);
comment on table market.corporate_actions is
'Splits and dividends per asset from /splits and /div. A new action corrects adjusted_close of the stored bars '
'before its date that do not reflect it yet (market.ingest_corporate_actions).';
comment on column market.corporate_actions.action_date is 'Ex-date of the action.';
comment on column market.corporate_actions.action_type is 'split or dividend.';
comment on column market.corporate_actions.split_numerator is 'Split "new/old": shares after (4 in 4.000000/1.000000).';
comment on column market.corporate_actions.split_denominator is 'Split "new/old": shares before (1 in 4.000000/1.000000).';
comment on column market.corporate_actions.dividend_value is 'Dividend per share as EODHD sends it (value, split-adjusted).';
comment on column market.corporate_actions.dividend_unadjusted_value is 'Dividend per share as paid (unadjustedValue).';
comment on column market.corporate_actions.currency is 'Dividend currency.';
comment on column market.corporate_actions.adjustment_factor is
'Factor applied to adjusted closes before action_date: denominator/numerator for a split, '
'1 - dividend / previous raw close for a dividend; null when no earlier bar was stored to price it.';
comment on column market.corporate_actions.bars_adjusted is 'Stored bars whose adjusted_close was corrected when the action landed.';
comment on column market.corporate_actions.recorded_at is 'When the action was first stored.';
