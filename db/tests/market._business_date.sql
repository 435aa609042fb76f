-- market._business_date: the UTC date of the payload's run as_of, else of its arrival.
begin;
select plan(3);

-- setup
insert into pipeline.process_executions (process_name, run_id, as_of) values ('test', 'r1', '2026-01-20 23:30+00')
returning execution_id as e \gset
select raw.land_response(:e, 'eod', 'KO.US', null, '{}', 200, '[]', '2026-02-15 10:00+00', 1, 5, 'test') as with_run \gset
select raw.land_response(null, 'eod', 'KO.US', null, '{}', 200, '[]', '2026-02-15 23:30-05', 1, 5, 'test') as without_run \gset

-- test: a payload of a run: its as_of, not its arrival
select is(market._business_date(:with_run), '2026-01-20'::date, 'the run''s as_of decides');
-- test: without a run, when it arrived, in UTC
select is(market._business_date(:without_run), '2026-02-16'::date, 'the arrival decides, as a UTC date');
-- test: no such payload
select is(market._business_date(-1), null::date, 'null for a payload that does not exist');

select * from finish();
rollback;
