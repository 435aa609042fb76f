-- market.indicator_values: the one definition of the indicator columns. Its attributes and the
-- indicator columns of market.technical_indicators (after asset_id and trade_date) agree in name,
-- order and type, so that `insert ... select asset_id, trade_date, (x).*` writes each value to its column.
begin;
select plan(5);

-- setup: the type's attributes and the table's indicator columns, numbered in order
create temporary table type_columns as
select
    a.attname::text as column_name,
    format_type(a.atttypid, a.atttypmod) as data_type,
    row_number() over (order by a.attnum) as position
from pg_catalog.pg_attribute as a
where a.attrelid = (select t.typrelid from pg_catalog.pg_type as t where t.oid = 'market.indicator_values'::regtype)
    and a.attnum > 0 and not a.attisdropped;
create temporary table table_columns as
select
    a.attname::text as column_name,
    format_type(a.atttypid, a.atttypmod) as data_type,
    row_number() over (order by a.attnum) as position
from pg_catalog.pg_attribute as a
where a.attrelid = 'market.technical_indicators'::regclass
    and a.attnum > 0 and not a.attisdropped and a.attname not in ('asset_id', 'trade_date');

-- test: the type exists and describes every indicator
select has_composite('market', 'indicator_values', 'market.indicator_values is a composite type');
select is((select count(*)::integer from type_columns), 42, 'it has the 42 indicators');

-- test: the same columns as the table, in the same order, of the same types
select results_eq(
    'select column_name, data_type, position from type_columns order by position',
    'select column_name, data_type, position from table_columns order by position',
    'its attributes are the indicator columns of market.technical_indicators: names, order and types'
);

-- test: the catalog documents each of them
select set_eq(
    'select column_name from market.indicator_catalog',
    'select column_name from type_columns',
    'market.indicator_catalog has one row per attribute'
);

-- test: the kernel and its per-asset wrapper return it
select is(
    (
        select array_agg(p.proname::text order by p.proname)
        from pg_catalog.pg_proc as p
        where
            p.pronamespace = 'market'::regnamespace
            and 'market.indicator_values'::regtype = any(p.proallargtypes)
    ),
    array['_compute_asset_indicators', '_compute_indicators'],
    'market._compute_indicators and market._compute_asset_indicators return market.indicator_values'
);

select * from finish();
rollback;
