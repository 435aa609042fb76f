-- market.is_valid_ticker and the assets CHECKs on codes.
begin;
select plan(12);

-- test: well-formed codes
select ok(market.is_valid_ticker('AAPL.US'), 'AAPL.US is valid');
select ok(market.is_valid_ticker('BRK-B.US'), 'share class with hyphen is valid');
select ok(market.is_valid_ticker('BT-A.LSE'), 'BT-A.LSE is valid');
select ok(market.is_valid_ticker('US10Y.GBOND'), 'bond code is valid');
select ok(market.is_valid_ticker('0R2V.LSE'), 'a code starting with a digit is valid');

-- test: malformed codes
select ok(not market.is_valid_ticker('AAPL'), 'a bare symbol is invalid');
select ok(not market.is_valid_ticker('aapl.us'), 'lower case is invalid');
select ok(not market.is_valid_ticker('AAPL.'), 'an empty exchange is invalid');
select ok(not market.is_valid_ticker('AA PL.US'), 'a space is invalid');
select ok(not market.is_valid_ticker('.US'), 'an empty symbol is invalid');

-- test: the assets table enforces it
select throws_ok(
    $$insert into market.assets (ticker, symbol, exchange_code) values ('bad.US', 'bad', 'US')$$,
    '23514', 'new row for relation "assets" violates check constraint "assets_ticker_format"',
    'a malformed ticker is rejected by assets_ticker_format'
);
select throws_ok(
    $$insert into market.assets (ticker, symbol, exchange_code) values ('BP.LSE', 'BP', 'US')$$,
    '23514', 'new row for relation "assets" violates check constraint "assets_ticker_parts"',
    'a ticker that does not match symbol and exchange is rejected'
);

select * from finish();
rollback;
