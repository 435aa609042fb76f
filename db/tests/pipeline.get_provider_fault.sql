-- pipeline.get_provider_fault: the provider-side fault of a recorded attempt.
begin;
select plan(8);

-- test: the provider's faults
select is(pipeline.get_provider_fault(null, 'ReadTimeout: read timed out'), 'no_response', 'no status: no response');
select is(pipeline.get_provider_fault(429, 'HTTP 429: Too Many Requests'), 'rate_limited', '429');
select is(pipeline.get_provider_fault(503, 'HTTP 503: Service Unavailable'), 'server_error', '5xx');
select is(pipeline.get_provider_fault(404, 'HTTP 404: Not Found'), 'foreign_404', 'a 404 that is not EODHD''s');

-- test: not the provider's
select is(pipeline.get_provider_fault(404, 'HTTP 404: Ticker Not Found.'), null, 'EODHD''s 404: the ticker''s');
select is(pipeline.get_provider_fault(404, 'HTTP 404: <html><p>Exchange Not Found.</p></html>'), null,
          'EODHD''s exchange 404, also inside a page');
select is(pipeline.get_provider_fault(402, 'HTTP 402: You exceeded your daily API requests limit.'), null,
          'the quota is the plan''s');
select is(pipeline.get_provider_fault(200, null), null, 'an answer');

select * from finish();
rollback;
