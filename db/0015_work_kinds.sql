-- 0015_work_kinds: work kinds as data. What one served request of each EODHD endpoint costs
-- (pipeline.endpoints), and the requests each kind of work item makes, in order
-- (pipeline.work_kind_requests): the planner prices items from them (pipeline.get_work_cost),
-- claim_work hands them to the fetcher (pipeline.get_work_requests), which performs them.
-- A change of a price or a request shape is one row. Also: the error class 'unfetched' (an item
-- handed back without a request because the run stops) and the parts of a multi-request item
-- stored on the item until its last response. Safe to run twice.

create table if not exists pipeline.endpoints (
    endpoint text not null,
    cost integer not null,
    description text not null,
    constraint endpoints_pkey primary key (endpoint),
    constraint endpoints_cost_not_negative check (cost >= 0)
);
comment on table pipeline.endpoints is
'EODHD endpoints and the API calls one served request costs (the ledger''s price; which attempts are charged '
'is the fetcher client''s rule).';
comment on column pipeline.endpoints.endpoint is 'Path segment of the endpoint, e.g. eod, fundamentals.';
comment on column pipeline.endpoints.cost is 'API calls the provider counts for one served request.';
comment on column pipeline.endpoints.description is 'What the endpoint answers, for people.';

insert into pipeline.endpoints (endpoint, cost, description) values
('eod', 1, 'daily bars of one code, from..to'),
('eod-bulk-last-day', 100, 'one day''s bars of every code of an exchange'),
('fundamentals', 10, 'fundamentals of one code'),
('splits', 1, 'splits of one code'),
('div', 1, 'dividends of one code'),
('exchange-symbol-list', 1, 'the listings of an exchange (refresh-universe)'),
('user', 0, 'the account''s quota counters')
on conflict (endpoint) do nothing;

create table if not exists pipeline.work_kinds (
    kind text not null,
    description text not null,
    constraint work_kinds_pkey primary key (kind)
);
comment on table pipeline.work_kinds is 'The kinds of work item (pipeline.work_items.kind) and what they fetch.';
comment on column pipeline.work_kinds.kind is 'Kind of work item.';
comment on column pipeline.work_kinds.description is 'What the kind fetches, for people.';

insert into pipeline.work_kinds (kind, description) values
('initial_load', 'a new listing: its price history, then its fundamentals'),
('prices', 'the bars behind, one code'),
('backfill', 'a window of bars owed, requested or missing, one code'),
('fundamentals', 'fundamentals of one code'),
('corporate_actions', 'splits and dividends of one code'),
('bulk_prices', 'one day''s bars of a whole exchange')
on conflict (kind) do nothing;

create table if not exists pipeline.work_kind_requests (
    kind text not null,
    step integer not null,
    endpoint text not null,
    code_of text not null,
    params jsonb not null default '{}',
    for_yields boolean not null default true,
    constraint work_kind_requests_pkey primary key (kind, step),
    constraint work_kind_requests_kind_fkey foreign key (kind) references pipeline.work_kinds (kind),
    constraint work_kind_requests_endpoint_fkey foreign key (endpoint) references pipeline.endpoints (endpoint),
    constraint work_kind_requests_step_positive check (step > 0),
    constraint work_kind_requests_code_of_known check (code_of in ('ticker', 'exchange')),
    constraint work_kind_requests_params_object check (jsonb_typeof(params) = 'object')
);
comment on table pipeline.work_kind_requests is
'The HTTP requests of each work kind, in step order: endpoint, whose code, parameters. A step with '
'for_yields false is left out for a series of an exchange that quotes yields (market.exchanges.quotes_yields).';
comment on column pipeline.work_kind_requests.kind is 'The work kind (pipeline.work_kinds) the request belongs to.';
comment on column pipeline.work_kind_requests.endpoint is 'The endpoint asked (pipeline.endpoints, its cost).';
comment on column pipeline.work_kind_requests.step is 'Order of the request within the item (1 first).';
comment on column pipeline.work_kind_requests.code_of is 'ticker: the asset''s code; exchange: the item''s exchange.';
comment on column pipeline.work_kind_requests.params is
'Query parameters; the values "{from}" and "{to}" are the item''s from_date and to_date (ISO dates).';
comment on column pipeline.work_kind_requests.for_yields is 'Whether the step is made for a yield series too.';

insert into pipeline.work_kind_requests (kind, step, endpoint, code_of, params, for_yields) values
-- prices first: a history stored is kept even when the fundamentals then fail
('initial_load', 1, 'eod', 'ticker', '{"from": "{from}", "to": "{to}", "period": "d", "order": "a"}', true),
('initial_load', 2, 'fundamentals', 'ticker', '{}', false),
('prices', 1, 'eod', 'ticker', '{"from": "{from}", "to": "{to}", "period": "d", "order": "a"}', true),
('backfill', 1, 'eod', 'ticker', '{"from": "{from}", "to": "{to}", "period": "d", "order": "a"}', true),
('fundamentals', 1, 'fundamentals', 'ticker', '{}', false),
('corporate_actions', 1, 'splits', 'ticker', '{"from": "{from}"}', false),
('corporate_actions', 2, 'div', 'ticker', '{"from": "{from}"}', false),
('bulk_prices', 1, 'eod-bulk-last-day', 'exchange', '{"date": "{to}"}', true)
on conflict (kind, step) do nothing;

-- one bond attribute: an asset of an exchange that quotes yields is a bond
update market.assets as a
set asset_type = 'bond'
from market.exchanges as e
where e.exchange_code = a.exchange_code and e.quotes_yields and a.asset_type is distinct from 'bond';

-- the error class of an item handed back without a request (the run stops): never escalated
alter table pipeline.work_items drop constraint if exists work_items_error_class_known;
alter table pipeline.work_items add constraint work_items_error_class_known check (
    error_class is null
    or error_class in ('transient', 'permanent', 'data', 'quota', 'configuration', 'unfetched')
);
comment on column pipeline.work_items.error_class is
'Class of the last failure reported (unfetched: handed back without a request, the run stopping).';
alter table pipeline.asset_processing_details drop constraint if exists asset_processing_details_error_class_known;
alter table pipeline.asset_processing_details add constraint asset_processing_details_error_class_known check (
    error_class is null
    or error_class in ('transient', 'permanent', 'data', 'quota', 'configuration', 'unfetched')
);
comment on column pipeline.asset_processing_details.error_class is
'transient, permanent, data, quota, configuration or unfetched (handed back without a request).';
-- the old form of an unfetched item: class transient, message 'not fetched: ...'
update pipeline.work_items set error_class = 'unfetched'
where error_class = 'transient' and last_error like 'not fetched:%';
update pipeline.asset_processing_details set error_class = 'unfetched'
where error_class = 'transient' and message like 'not fetched:%';

-- the results of the requests of a multi-request item answered so far (pipeline.record_part)
alter table pipeline.work_items add column if not exists parts jsonb not null default '[]';
comment on column pipeline.work_items.parts is
'Results of the item''s requests answered before its last one (pipeline.record_part); merged by record_success.';

-- claim_work returns the item's requests (a new result column)
drop function if exists pipeline.claim_work(bigint, text, integer, interval, timestamptz);
