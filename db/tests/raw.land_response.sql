-- raw.land_response: ledger row for every call, payload row for 200s, non-JSON bodies, no token,
-- bodies refused before parsing (size, nesting depth, \u0000) without raising.
begin;
select plan(30);

-- setup
select tests.create_asset('AAPL.US') as aapl \gset

-- test: a 200 JSON response lands a payload linked to its ledger row with the true cost
select raw.land_response(null, 'eod', 'AAPL.US', null, '{"from": "2026-01-02", "fmt": "json"}', 200,
    '[{"date": "2026-01-02", "open": 1, "high": 1, "low": 1, "close": 1, "adjusted_close": 1, "volume": 0}]',
    '2026-03-02 22:00:01+00', 1, 1000, 'w1') as ok_id \gset
select isnt(:ok_id::bigint, null::bigint, 'a 200 response returns its payload_id');
select is((select jsonb_typeof(body) from raw.eodhd_payloads where payload_id = :ok_id), 'array',
    'the body is stored as jsonb');
select row_eq(
    format('select c.endpoint, c.ticker, c.cost, c.http_status, c.called_at, c.duration_ms, c.worker, c.error
            from raw.eodhd_payloads p join pipeline.api_calls c using (api_call_id) where p.payload_id = %s', :ok_id),
    row('eod'::text, 'AAPL.US'::text, 1, 200, '2026-03-02 22:00:00+00'::timestamptz, 1000, 'w1'::text, null::text),
    'the ledger row carries endpoint, cost, status, call time (received minus duration) and worker'
);
select is((select request_params from raw.eodhd_payloads where payload_id = :ok_id),
    '{"from": "2026-01-02", "fmt": "json"}'::jsonb, 'request parameters are kept');

-- test: an HTML body lands nothing but the error
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, '<html><body>Bad gateway</body></html>',
    '2026-03-02 22:00+00', 1, 10, 'w1') as html_id \gset
select row_eq(
    format('select body, ingest_error from raw.eodhd_payloads where payload_id = %s', :html_id),
    row(null::jsonb, 'response is not JSON: Token "<" is invalid.'::text),
    'an HTML body: body null, ingest_error says why'
);

-- test: a truncated body lands nothing but the error
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, '[{"date": "2026-01-02", "open": 1',
    '2026-03-02 22:00+00', 1, 10, 'w1') as cut_id \gset
select ok(
    (select body is null and ingest_error like 'response is not JSON: %' from raw.eodhd_payloads where payload_id = :cut_id),
    'a truncated body: body null, ingest_error set'
);
select is((select error from pipeline.api_calls c join raw.eodhd_payloads p using (api_call_id) where p.payload_id = :cut_id),
    (select ingest_error from raw.eodhd_payloads where payload_id = :cut_id), 'the ledger row carries the same error');

-- test: an empty 200 body
select raw.land_response(null, 'eod', 'AAPL.US', null, '{}', 200, null, '2026-03-02 22:00+00', 1, 10, 'w1') as empty_id \gset
select is((select ingest_error from raw.eodhd_payloads where payload_id = :empty_id), 'response is not JSON: empty body',
    'an empty body is not JSON');

-- test: a 404 is counted in the ledger and lands no payload
select is(raw.land_response(null, 'eod', 'GONE.US', null, '{}', 404, 'Ticker Not Found.', '2026-03-02 22:00+00', 1, 10, 'w1'),
    null::bigint, 'a 404 returns no payload_id');
select row_eq(
    $$select cost, http_status, error from pipeline.api_calls where ticker = 'GONE.US'$$,
    row(1, 404, 'HTTP 404: Ticker Not Found.'::text), 'the 404 is in the ledger with its cost and body text'
);
select is((select count(*)::integer from raw.eodhd_payloads where ticker = 'GONE.US'), 0, 'no payload row for a 404');

-- test: no response at all (timeout) is still a ledger row with the caller's error
select is(raw.land_response(null, 'fundamentals', 'SLOW.US', null, '{}', null, null, '2026-03-02 22:00+00', 10, 30000,
    'w2', 'read timeout'), null::bigint, 'a timed-out call returns no payload_id');
select row_eq(
    $$select cost, http_status, error from pipeline.api_calls where ticker = 'SLOW.US'$$,
    row(10, null::integer, 'read timeout'::text), 'the timed-out call is counted at its true cost'
);

-- test: the token is never stored
select throws_ok(
    $$select raw.land_response(null, 'eod', 'AAPL.US', null, '{"api_token": "secret123"}', 200, '[]',
      '2026-03-02 22:00+00', 1, 10, 'w1')$$,
    '22023', null, 'request_params with api_token are refused'
);
select is((select count(*)::integer from pipeline.api_calls where error like '%secret%' or error like '%s3cr3t%'), 0,
    'nothing was written for the refused call');
select raw.land_response(null, 'eod', 'ERR.US', null, '{}', 500, null, '2026-03-02 22:00+00', 1, 10, 'w1',
    'GET /eod/ERR.US?api_token=s3cr3t&fmt=json failed');
select is((select error from pipeline.api_calls where ticker = 'ERR.US'), 'GET /eod/ERR.US?api_token=***&fmt=json failed',
    'a token inside an error text is masked');

-- test: a body nested 20,000 levels deep is refused before parsing, without raising
select tests.create_asset('DEEP.US') as deep_asset \gset
select lives_ok(
    $$select raw.land_response(null, 'eod', 'DEEP.US', null, '{}', 200, repeat('[', 20000) || repeat(']', 20000),
      '2026-03-02 22:00+00', 1, 10, 'w1')$$,
    'a body nested 20,000 levels deep does not raise'
);
select row_eq(
    $$select c.cost, c.http_status, p.body, p.ingest_error, c.error
      from raw.eodhd_payloads p join pipeline.api_calls c using (api_call_id) where p.ticker = 'DEEP.US'$$,
    row(1, 200, null::jsonb, 'response refused: JSON nested deeper than 64 levels, or brackets unbalanced'::text,
        'response refused: JSON nested deeper than 64 levels, or brackets unbalanced'::text),
    'the deep body: ledger row at its true cost, payload landed with body null and the limit named'
);
select is(
    market.ingest_eod((select payload_id from raw.eodhd_payloads where ticker = 'DEEP.US'), :deep_asset, '2026-03-02')
    - 'message',
    '{"status": "data_error", "rows_stored": 0, "rows_rejected": 0, "first_date": null, "last_date": null}'::jsonb,
    'its ingest answers a data error and stores nothing'
);

-- test: the limit is 64 levels of arrays and objects; brackets inside strings do not count
select raw.land_response(null, 'eod', 'D64.US', null, '{}', 200, repeat('[', 64) || repeat(']', 64),
    '2026-03-02 22:00+00', 1, 10, 'w1') as d64 \gset
select is((select jsonb_typeof(body) from raw.eodhd_payloads where payload_id = :d64), 'array', '64 levels are landed');
select raw.land_response(null, 'eod', 'D65.US', null, '{}', 200, repeat('{"a": [', 33) || repeat(']}', 33),
    '2026-03-02 22:00+00', 1, 10, 'w1') as d66 \gset
select is((select ingest_error from raw.eodhd_payloads where payload_id = :d66),
    'response refused: JSON nested deeper than 64 levels, or brackets unbalanced', '66 levels are refused');
select raw.land_response(null, 'fundamentals', 'STR.US', null, '{}', 200,
    '{"General": {"Description": "' || repeat('[{', 100) || ' \"]]]} \\"}, "Officers": [[{"0": "}}}"}]]}',
    '2026-03-02 22:00+00', 10, 10, 'w1') as str \gset
select is((select body #>> '{General,Description}' from raw.eodhd_payloads where payload_id = :str),
    repeat('[{', 100) || ' "]]]} \', 'brackets and escaped quotes inside strings do not count');

-- test: an unbalanced deep prefix (a body broken off in the middle) is refused without parsing it
select lives_ok(
    $$select raw.land_response(null, 'eod', 'OPEN.US', null, '{}', 200, repeat('[{"a":', 100000), '2026-03-02 22:00+00',
      1, 10, 'w1')$$,
    'a body of 100,000 unclosed brackets does not raise'
);
select is((select ingest_error from raw.eodhd_payloads where ticker = 'OPEN.US'),
    'response refused: JSON nested deeper than 64 levels, or brackets unbalanced', 'and is refused as such');

-- test: a body over 32 MiB is refused by its size, before any scan
select raw.land_response(null, 'eod-bulk-last-day', null, 'US', '{}', 200, '[' || repeat(' ', 32 * 1024 * 1024) || ']',
    '2026-03-02 22:00+00', 100, 10, 'w1') as huge \gset
select row_eq(
    format('select c.cost, p.body, p.ingest_error from raw.eodhd_payloads p join pipeline.api_calls c using (api_call_id)
            where p.payload_id = %s', :huge),
    row(100, null::jsonb, 'response refused: body of 33554434 bytes over the limit of 33554432 bytes'::text),
    'a body over 32 MiB: ledger row at its true cost, body null, the size limit named'
);

-- test: a \u0000 escape (PostgreSQL text cannot hold NUL) is refused clearly; an escaped backslash before u0000 is text
select raw.land_response(null, 'fundamentals', 'NUL.US', null, '{}', 200, '{"General": {"Name": "A\u0000B"}}',
    '2026-03-02 22:00+00', 10, 10, 'w1') as nul \gset
select is((select ingest_error from raw.eodhd_payloads where payload_id = :nul),
    'response refused: holds a \u0000 escape (NUL), which PostgreSQL text cannot store', 'a \u0000 escape is refused');
select raw.land_response(null, 'fundamentals', 'NUL.US', null, '{}', 200, '{"General": {"Name": "C:\\u0000"}}',
    '2026-03-02 22:00+00', 10, 10, 'w1') as not_nul \gset
select is((select body #>> '{General,Name}' from raw.eodhd_payloads where payload_id = :not_nul), 'C:\u0000',
    'an escaped backslash followed by u0000 is ordinary text');
select raw.land_response(null, 'eod', 'UNI.US', null, '{}', 200, '["\ud800"]', '2026-03-02 22:00+00', 1, 10, 'w1') as uni \gset
select is((select ingest_error from raw.eodhd_payloads where payload_id = :uni),
    'response is not JSON: Unicode low surrogate must follow a high surrogate.', 'a lone surrogate escape is not JSON');

-- test: a genuine database error still raises (an execution that does not exist), and writes nothing
select throws_ok(
    $$select raw.land_response(-1, 'eod', 'FK.US', null, '{}', 200, '[]', '2026-03-02 22:00+00', 1, 10, 'w1')$$,
    '23503', null, 'a foreign key violation is not swallowed'
);
select is((select count(*)::integer from pipeline.api_calls where ticker = 'FK.US'), 0, 'nothing was written for it');

select * from finish();
rollback;
