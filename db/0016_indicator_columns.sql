-- 0016_indicator_columns: the 42 indicator columns get one definition that code can use,
-- the composite type market.indicator_values: the kernel (market._compute_indicators) returns
-- one per bar and every writer expands it, `insert ... select asset_id, trade_date, (x).*`.
-- market.technical_indicators keeps its real columns; the type is made from its indicator columns
-- (after asset_id and trade_date: name, order and type), so the list stays written once;
-- db/tests/market.indicator_values.sql checks they agree. Adding an indicator: a migration that adds the
-- column to the table and the attribute to the type (`alter type ... add attribute`), both at
-- the end, and the kernel's code for it. Also drops pipeline.asset_staleness (no caller;
-- monitor.asset_status shows the same). Forward-only; safe to run twice.

do $$
begin
    -- the attributes are the table's indicator columns, read from the catalog: the list is
    -- written once, in market.technical_indicators (0004)
    if to_regtype('market.indicator_values') is null then
        execute (
            select format('create type market.indicator_values as (%s)',
                          string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
                                     ', ' order by a.attnum))
            from pg_catalog.pg_attribute as a
            where a.attrelid = 'market.technical_indicators'::regclass
              and a.attnum > 0 and not a.attisdropped
              and a.attname not in ('asset_id', 'trade_date')
        );
    end if;
end;
$$;

comment on type market.indicator_values is
'The indicator values of one bar, in the order of the indicator columns of market.technical_indicators '
'(definitions: the column comments there and market.indicator_catalog). Returned by market._compute_indicators.';

drop view if exists pipeline.asset_staleness;

-- the kernel and its per-asset wrapper now return the type: their files re-create them
drop function if exists market._compute_asset_indicators(bigint, date, date[], double precision[]);
drop function if exists market._compute_indicators(
    date[], double precision[], double precision[], double precision[], double precision[],
    double precision[], date[], double precision[], integer, integer, double precision[]
);
