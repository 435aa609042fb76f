-- pipeline.get_work_requests: the requests of a work item from pipeline.work_kind_requests.
begin;
select plan(6);

-- test: the request shapes of each kind
select is(pipeline.get_work_requests('initial_load', 'AAPL.US', 'US', '2020-01-01', '2026-01-09', false),
          '[{"endpoint": "eod", "code": "AAPL.US", "cost": 1,
             "params": {"from": "2020-01-01", "to": "2026-01-09", "period": "d", "order": "a"}},
            {"endpoint": "fundamentals", "code": "AAPL.US", "cost": 10, "params": {}}]'::jsonb,
          'initial load: prices first, then fundamentals');
select is(pipeline.get_work_requests('initial_load', 'US10Y.GBOND', 'GBOND', '2020-01-01', '2026-01-09', true),
          '[{"endpoint": "eod", "code": "US10Y.GBOND", "cost": 1,
             "params": {"from": "2020-01-01", "to": "2026-01-09", "period": "d", "order": "a"}}]'::jsonb,
          'initial load of a yield series: only the eod request');
select is(pipeline.get_work_requests('corporate_actions', 'AAPL.US', 'US', '2024-01-01', '2026-01-09', false),
          '[{"endpoint": "splits", "code": "AAPL.US", "cost": 1, "params": {"from": "2024-01-01"}},
            {"endpoint": "div", "code": "AAPL.US", "cost": 1, "params": {"from": "2024-01-01"}}]'::jsonb,
          'corporate actions: splits, then dividends, from the item''s date');
select is(pipeline.get_work_requests('bulk_prices', null, 'US', '2026-01-09', '2026-01-09', false),
          '[{"endpoint": "eod-bulk-last-day", "code": "US", "cost": 100, "params": {"date": "2026-01-09"}}]'::jsonb,
          'bulk: the exchange''s code and the day');
select is(pipeline.get_work_requests('fundamentals', 'AAPL.US', 'US', null, null, false),
          '[{"endpoint": "fundamentals", "code": "AAPL.US", "cost": 10, "params": {}}]'::jsonb,
          'fundamentals: no parameters');
select is(pipeline.get_work_requests('fundamentals', 'US10Y.GBOND', 'GBOND', null, null, true), '[]'::jsonb,
          'a kind without a step for yield series has no request');

select * from finish();
rollback;
