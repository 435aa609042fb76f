-- market._ingest_asset: the asset, or an error for a missing one or a payload of another ticker.
begin;
select plan(3);

-- setup
select tests.create_asset('KO.US') as ko \gset
select tests.create_asset('PEP.US') as pep \gset
select tests.land('eod', 'KO.US', '[]') as p \gset

-- test
select is((market._ingest_asset(:ko, (select p from raw.eodhd_payloads p where payload_id = :p), 'x')).ticker, 'KO.US',
    'the asset is returned');
select throws_ok(format('select market._ingest_asset(%s, (select p from raw.eodhd_payloads p where payload_id = %s), %L)',
    :pep, :p, 'x'), '22023', null, 'a payload of another ticker is refused');
select throws_ok(format('select market._ingest_asset(-1, (select p from raw.eodhd_payloads p where payload_id = %s), %L)',
    :p, 'x'), 'P0002', null, 'a missing asset is refused');

select * from finish();
rollback;
