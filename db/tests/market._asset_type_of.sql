-- market._asset_type_of: EODHD General.Type to market.assets.asset_type.
begin;
select plan(6);

-- test
select is(market._asset_type_of('Common Stock'), 'stock', 'Common Stock is a stock');
select is(market._asset_type_of('Preferred Stock'), 'stock', 'Preferred Stock is a stock');
select is(market._asset_type_of('ETF'), 'etf', 'ETF is an etf');
select is(market._asset_type_of('FUND'), 'fund', 'FUND is a fund');
select is(market._asset_type_of('Mutual Fund'), 'fund', 'Mutual Fund is a fund');
select is(market._asset_type_of('Warrant'), null, 'an unknown type gives null');

select * from finish();
rollback;
