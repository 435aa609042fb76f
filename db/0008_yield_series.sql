-- 0008_yield_series: government bond yields (EODHD exchange GBOND) are quotes in percent that can be
-- zero or negative (German, Swiss, Japanese and French 10-year yields in 2015-2022). Forward-only.

-- which exchanges quote yields rather than prices
alter table market.exchanges add column quotes_yields boolean not null default false;
comment on column market.exchanges.quotes_yields is
'True when the exchange''s series are yields in percent (GBOND): zero and negative values are valid bars.';
update market.exchanges set quotes_yields = true
where exchange_code = 'GBOND';

-- The price rule moves to ingest (market._parse_bars refuses non-positive prices except for yield
-- series); the table keeps a last line: a non-positive bar must be unadjusted (a yield has no
-- splits or dividends: adjusted_close = close).
alter table market.stock_prices drop constraint stock_prices_positive;
alter table market.stock_prices add constraint stock_prices_positive_unless_yield check (
    (open > 0 and high > 0 and low > 0 and close > 0 and adjusted_close > 0) or adjusted_close = close
);

-- market._parse_bars takes the yield series of the payload as a fourth argument (its file creates
-- the new signature); the three-argument one would make calls ambiguous.
drop function if exists market._parse_bars(jsonb, bigint[], date);

-- the indicators on a series that can touch zero: no division by a zero close or middle band
update market.indicator_catalog
set formula = '(bb_upper_20 - bb_lower_20) / bb_middle_20; 0 when bb_middle_20 is 0'
where column_name = 'bb_bandwidth_20';
update market.indicator_catalog
set
    formula = 'r[t] = close[t] / close[t-1] - 1 (0 when close[t-1] is 0); '
    || 'sample standard deviation (n - 1) of r over the last 30 bars * sqrt(252) * 100'
where column_name = 'volatility_30';
