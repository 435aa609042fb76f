-- pipeline._merge_parts: one result from the results of an item's requests.
begin;
select plan(4);

-- test: counts summed, the price part's dates, messages joined, parts kept
select is(pipeline._merge_parts('[{"endpoint": "fundamentals", "status": "ok", "rows_stored": 1, "api_calls": 10},
                                  {"endpoint": "eod", "status": "ok", "rows_stored": 20, "rows_rejected": 1,
                                   "first_date": "2026-10-01", "last_date": "2026-11-24",
                                   "message": "1 bar quarantined", "api_calls": 1, "requests": 1}]') - 'parts',
          '{"api_calls": 11, "requests": 1, "rows_stored": 21, "rows_rejected": 1, "first_date": "2026-10-01",
            "last_date": "2026-11-24", "message": "eod: 1 bar quarantined"}'::jsonb,
          'the price part''s dates win, whatever its place');
select is(jsonb_array_length(pipeline._merge_parts('[{"endpoint": "splits"}, {"endpoint": "div"}]') -> 'parts'), 2,
          'the parts are kept');

-- test: without a price part, the first part naming dates
select is(pipeline._merge_parts('[{"endpoint": "splits", "first_date": "2020-01-01", "last_date": "2021-01-01"},
                                  {"endpoint": "div", "first_date": "2019-01-01", "last_date": "2024-01-01"}]')
          ->> 'first_date', '2020-01-01', 'the first part''s dates');

-- test: an empty list merges to zeros
select is(pipeline._merge_parts('[]'),
          '{"api_calls": 0, "requests": 0, "rows_stored": 0, "rows_rejected": 0, "parts": []}'::jsonb,
          'nothing: zero counts, no dates, no message');

select * from finish();
rollback;
