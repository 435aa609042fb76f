-- market._finish_ingest: ingested_at on success or partial storage, ingest_error on data errors.
begin;
select plan(3);

-- setup
select tests.land('eod', 'KO.US', '[]') as p \gset

-- test: a data error with nothing stored
select is(market._finish_ingest(:p, market._data_error('bad')) ->> 'message', 'bad', 'the result is returned unchanged');
select row_eq(format('select ingested_at is null, ingest_error from raw.eodhd_payloads where payload_id = %s', :p),
    row(true, 'bad'::text), 'a refused payload gets ingest_error only');
-- test: success clears the error and sets ingested_at
select market._finish_ingest(:p, '{"status": "ok", "rows_stored": 0, "message": "fine"}');
select row_eq(format('select ingested_at is not null, ingest_error from raw.eodhd_payloads where payload_id = %s', :p),
    row(true, null::text), 'a successful ingest sets ingested_at and clears the error');

select * from finish();
rollback;
