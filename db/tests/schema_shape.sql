-- Schema shape: schemas, tables, keys, named constraints and comments on everything.
begin;
select plan(35);

-- test: schemas
select has_schema('market', 'schema market exists');
select has_schema('pipeline', 'schema pipeline exists');
select has_schema('raw', 'schema raw exists');
select has_schema('monitor', 'schema monitor exists');

-- test: tables
select has_table('market', 'exchanges', 'market.exchanges exists');
select has_table('market', 'trading_sessions', 'market.trading_sessions exists');
select has_table('market', 'assets', 'market.assets exists');
select has_table('market', 'stock_prices', 'market.stock_prices exists');
select has_table('market', 'fundamentals', 'market.fundamentals exists');
select has_table('pipeline', 'process_executions', 'pipeline.process_executions exists');
select has_table('pipeline', 'asset_processing_state', 'pipeline.asset_processing_state exists');
select has_table('pipeline', 'asset_processing_details', 'pipeline.asset_processing_details exists');
select has_table('pipeline', 'api_calls', 'pipeline.api_calls exists');
select has_table('pipeline', 'settings', 'pipeline.settings exists');
select has_table('raw', 'eodhd_payloads', 'raw.eodhd_payloads exists');

-- test: keys
select col_is_pk('market', 'stock_prices', array['asset_id', 'trade_date'], 'stock_prices keyed by (asset_id, trade_date)');
select col_is_pk('market', 'trading_sessions', array['exchange_code', 'session_date'], 'sessions keyed by (exchange, date)');
select col_is_unique('market', 'assets', array['ticker'], 'assets.ticker is unique');
select col_is_unique('pipeline', 'process_executions', array['process_name', 'run_id'], 'one execution per process and run id');
select col_type_is('market', 'stock_prices', 'close', 'double precision', 'prices are double precision');
select col_type_is('market', 'stock_prices', 'adjusted_close', 'double precision', 'adjusted_close is stored');
select col_type_is('market', 'fundamentals', 'payload', 'jsonb', 'fundamentals payload is jsonb');
select col_type_is('raw', 'eodhd_payloads', 'body', 'jsonb', 'raw bodies are jsonb');
select col_not_null('pipeline', 'asset_processing_state', 'consecutive_failures', 'failure counter is not nullable');
select col_not_null('pipeline', 'asset_processing_state', 'is_skipped', 'skip flag is not nullable');

-- test: every table, view and function of the project schemas carries a comment
select is(
    (select array_agg(c.relnamespace::regnamespace || '.' || c.relname order by 1)
     from pg_class c
     where c.relnamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and c.relkind in ('r', 'v', 'm', 'p')
       and obj_description(c.oid, 'pg_class') is null),
    null,
    'every table and view has a comment'
);
select is(
    (select array_agg(p.oid::regprocedure::text order by 1)
     from pg_proc p
     where p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and obj_description(p.oid, 'pg_proc') is null
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')),
    null,
    'every function has a comment'
);
select is(
    (select array_agg(c.relname || '.' || a.attname order by 1)
     from pg_attribute a join pg_class c on c.oid = a.attrelid
     where c.relnamespace::regnamespace::text in ('market', 'pipeline', 'raw')
       and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
       and col_description(c.oid, a.attnum) is null
       and a.attname not like '%\_id' and c.relname <> 'schema_migrations'),
    null,
    'every non-key column has a comment'
);
select is(
    (select array_agg(p.oid::regprocedure::text order by 1)
     from pg_proc p
     where p.pronamespace::regnamespace::text in ('market', 'pipeline', 'raw', 'monitor')
       and p.prokind = 'f'
       and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
       and p.prosqlbody is null  -- SQL-standard bodies are bound when created: no search_path at run time
       and not coalesce(array_to_string(p.proconfig, ',') like '%search_path=%', false)),
    null,
    'every function pins search_path (or has a SQL-standard body, bound when created)'
);
select is(
    (select array_agg(conrelid::regclass || ':' || conname order by 1)
     from pg_constraint
     where connamespace::regnamespace::text in ('market', 'pipeline', 'raw')
       and conname ~ '_check$|_fkey1$|_key1$'),
    null,
    'constraints are named, not generated'
);

-- test: reference data
select set_eq(
    'select exchange_code from market.exchanges',
    array['US', 'LSE', 'F', 'XETRA', 'PA', 'AS', 'BR', 'LS', 'MC', 'SW', 'GBOND'],
    'the exchanges of the universe are present'
);
select is(
    (select count(*)::integer from market.exchanges where calendar_code is null),
    0,
    'every exchange names its trading calendar'
);
select set_eq(
    'select universe from market.universes',
    array['nyse', 'nasdaq', 'lse', 'frankfurt', 'xetra', 'euronext', 'bme', 'six', 'bonds'],
    'one universe per config/tickers file'
);
select is((select count(*)::integer from pipeline.settings), 1, 'settings hold exactly one row');
select throws_ok(
    'insert into pipeline.settings (settings_id) values (false)',
    '23514', null, 'a second settings row is refused'
);

select * from finish();
rollback;
