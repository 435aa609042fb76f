-- market._ingest_payload: the payload, or an error for a missing one or another endpoint.
begin;
select plan(3);

-- setup
select tests.land('div', 'KO.US', '[]') as p \gset

-- test
select is((market._ingest_payload(:p, array['splits', 'div'], 'x')).endpoint, 'div', 'the payload is returned');
select throws_ok(format('select market._ingest_payload(%s, array[%L], %L)', :p, 'eod', 'x'), '22023',
    format('x: payload %s is from endpoint div, expected eod', :p), 'another endpoint is refused');
select throws_ok('select market._ingest_payload(-1, array[''eod''], ''x'')', 'P0002', null, 'a missing payload is refused');

select * from finish();
rollback;
