-- market.ingest_fundamentals: stocks, ETFs and funds, missing values, bonds refused, shapes,
-- idempotency, payloads naming another instrument refused, asset types moved only among stock,
-- etf and fund.
begin;
select plan(26);

-- setup
select tests.create_asset('AAPL.US') as aapl \gset
select tests.create_asset('VTI.US') as vti \gset
select tests.create_asset('VFIAX.US') as vfiax \gset
select tests.create_asset('BAC-PL.US') as bacpl \gset
select tests.create_asset('US10Y.GBOND') as bond \gset
select tests.land('fundamentals', 'AAPL.US', $${
  "General": {"Code": "AAPL", "Type": "Common Stock", "Name": "Apple Inc", "Exchange": "NASDAQ", "CurrencyCode": "USD",
              "CountryISO": "US", "ISIN": "US0378331005", "Sector": "Technology", "Industry": "Consumer Electronics",
              "IPODate": "1980-12-12", "IsDelisted": false, "UpdatedAt": "2026-02-27"},
  "Highlights": {"MarketCapitalization": 3421000000000, "PERatio": "35.12", "EarningsShare": 6.43,
                 "DividendYield": 0.0044, "BookValue": "4.438", "MostRecentQuarter": "0000-00-00"},
  "Valuation": {"TrailingPE": 35.12},
  "SharesStats": {"SharesOutstanding": 15204100000},
  "Technicals": {"Beta": 1.24},
  "SplitsDividends": {"LastSplitDate": "2020-08-31", "LastSplitFactor": "4:1"},
  "Earnings": {"History": {}, "Trend": {}},
  "Financials": {"Balance_Sheet": {"currency_symbol": "USD", "quarterly": {"2025-12-31": {"totalAssets": "359241000000.00"}}}}
}$$) as p1 \gset

-- test: a common stock: key figures, asset attributes
select is(market.ingest_fundamentals(:p1, :aapl) - 'message',
    '{"status": "ok", "rows_stored": 1, "rows_rejected": 0, "rows_changed": 1, "first_date": null, "last_date": null,
      "asset_type": "stock"}'::jsonb, 'the stock payload is stored');
select row_eq(format('select market_cap, pe_ratio, eps, dividend_yield, shares_outstanding, book_value, beta, sector, industry,
                             fetched_at from market.fundamentals where asset_id = %s', :aapl),
    row(3421000000000::float8, 35.12::float8, 6.43::float8, 0.0044::float8, 15204100000::float8, 4.438::float8,
        1.24::float8, 'Technology'::text, 'Consumer Electronics'::text, '2026-03-02 22:00+00'::timestamptz),
    'the key figures are extracted, strings or numbers');
select row_eq(format('select asset_type, name, currency, isin, country, sector, industry from market.assets where asset_id = %s', :aapl),
    row('stock'::text, 'Apple Inc'::text, 'USD'::text, 'US0378331005'::text, 'US'::text, 'Technology'::text,
        'Consumer Electronics'::text), 'the asset takes type, name, currency, ISIN, country, sector and industry');
select is((select payload -> 'General' ->> 'Code' from market.fundamentals where asset_id = :aapl), 'AAPL', 'the payload is kept');

-- test: idempotent
select md5(f::text || a::text) as d1 from market.fundamentals f join market.assets a using (asset_id) where asset_id = :aapl \gset
select is(market.ingest_fundamentals(tests.land('fundamentals', 'AAPL.US',
    (select body::text from raw.eodhd_payloads where payload_id = :p1), null, '{}', '2026-03-03 22:00+00'), :aapl) ->> 'rows_changed',
    '0', 're-landing the same payload changes nothing');
select is((select md5(f::text || a::text) from market.fundamentals f join market.assets a using (asset_id) where asset_id = :aapl),
    :'d1', 'fundamentals and asset rows are unchanged');

-- test: an ETF has ETF_Data instead of Highlights
select is(market.ingest_fundamentals(tests.land('fundamentals', 'VTI.US', $${
  "General": {"Code": "VTI", "Type": "ETF", "Name": "Vanguard Total Stock Market Index Fund ETF Shares",
              "CurrencyCode": "USD", "CountryISO": "US", "ISIN": "US9229087690", "Sector": "", "Industry": null},
  "Technicals": {"Beta": "1.01"},
  "ETF_Data": {"Yield": "1.290000", "TotalAssets": "1750000000000", "Holdings": {}, "Top_10_Holdings": {}}
}$$), :vti) ->> 'asset_type', 'etf', 'an ETF payload makes the asset an etf');
select row_eq(format('select market_cap, pe_ratio, dividend_yield, beta, sector from market.fundamentals where asset_id = %s', :vti),
    row(1750000000000::float8, null::float8, 0.0129::float8, 1.01::float8, null::text),
    'ETF figures come from ETF_Data (total assets, yield in percent); missing ones stay null');

-- test: a mutual fund
select is(market.ingest_fundamentals(tests.land('fundamentals', 'VFIAX.US', $${
  "General": {"Code": "VFIAX", "Type": "FUND", "Name": "Vanguard 500 Index Admiral", "CurrencyCode": "USD", "ISIN": null},
  "MutualFund_Data": {"Portfolio_Net_Assets": "1300000000000", "Yield": "1.2"}
}$$), :vfiax) ->> 'asset_type', 'fund', 'a FUND payload makes the asset a fund');

-- test: preferred stock is a stock; a non-numeric figure is stored as null and named
select is(market.ingest_fundamentals(tests.land('fundamentals', 'BAC-PL.US', $${
  "General": {"Code": "BAC-PL", "Type": "Preferred Stock", "Name": "Bank of America Pref L", "ISIN": "not-an-isin"},
  "Highlights": {"PERatio": "NA", "MarketCapitalization": null, "EarningsShare": ""}
}$$), :bacpl) ->> 'message', 'fundamentals of BAC-PL.US stored; not a number, stored as null: pe_ratio',
    'a non-numeric figure is named in the message');
select row_eq(format('select a.asset_type, a.isin, f.pe_ratio, f.eps from market.assets a join market.fundamentals f using (asset_id)
                      where asset_id = %s', :bacpl),
    row('stock'::text, null::text, null::float8, null::float8), 'preferred stock is a stock; bad ISIN and figures are null');

-- test: bonds never get fundamentals
select is(market.ingest_fundamentals(tests.land('fundamentals', 'US10Y.GBOND', '{"General": {"Type": "BOND"}}'), :bond) ->> 'status',
    'data_error', 'a bond is refused');

-- test: wrong shapes are refused whole
select is(market.ingest_fundamentals(tests.land('fundamentals', 'VTI.US', '[]'), :vti) ->> 'message',
    'expected a JSON object, got array', 'an array is a data error');
select is(market.ingest_fundamentals(tests.land('fundamentals', 'VTI.US', '{}'), :vti) ->> 'message',
    'fundamentals without a General section', 'an empty object is a data error');
select is(market.ingest_fundamentals(tests.land('fundamentals', 'VTI.US', '<html>'), :vti) ->> 'status',
    'data_error', 'an HTML body is a data error');
select is((select count(*)::integer from market.fundamentals where asset_id = :bond), 0, 'the bond has no fundamentals row');
select ok((select payload ? 'ETF_Data' from market.fundamentals where asset_id = :vti),
    'the refused payloads left the stored ETF fundamentals as they were');

-- test: fundamentals naming another instrument are refused whole; the asset is not renamed
select tests.create_asset('MSFT.US') as msft \gset
update market.assets set name = 'Microsoft Corp', currency = 'USD', isin = 'US5949181045' where asset_id = :msft;
select md5(a::text) as msft_row from market.assets a where asset_id = :msft \gset
select is(market.ingest_fundamentals(tests.land('fundamentals', 'MSFT.US', $${
  "General": {"Code": "AAPL", "Type": "Common Stock", "Name": "Apple Inc", "Exchange": "NASDAQ", "CurrencyCode": "EUR",
              "ISIN": "US0378331005"}, "Highlights": {"MarketCapitalization": 1}}$$), :msft) ->> 'message',
    'fundamentals of another instrument: General.Code "AAPL", expected MSFT for MSFT.US',
    'a payload whose General.Code is another ticker is a data error');
select is(market.ingest_fundamentals(tests.land('fundamentals', 'MSFT.US',
    '{"General": {"Type": "ETF", "Name": "Something Else"}}'), :msft) ->> 'message',
    'fundamentals of another instrument: General.Code missing, expected MSFT for MSFT.US',
    'a payload without General.Code names no instrument: a data error');
select tests.create_asset('BP.LSE') as bp \gset
select is(market.ingest_fundamentals(tests.land('fundamentals', 'BP.LSE', $${
  "General": {"Code": "BP", "Type": "Common Stock", "Name": "BP p.l.c. ADR", "Exchange": "NYSE", "CurrencyCode": "USD"}}$$),
    :bp) ->> 'message', 'fundamentals of another listing: General.Exchange "NYSE", expected LSE for BP.LSE',
    'the NYSE listing''s payload (same code, a US venue) is refused for BP.LSE');
select is(market.ingest_fundamentals(tests.land('fundamentals', 'MSFT.US', $${
  "General": {"Code": "MSFT", "Type": "Common Stock", "Name": "Microsoft (Xetra)", "Exchange": "XETRA"}}$$), :msft) ->> 'status',
    'data_error', 'a payload naming another exchange of market.exchanges is refused');
select is((select md5(a::text) from market.assets a where asset_id = :msft), :'msft_row',
    'the refused payloads left the asset as it was (name, type, currency, ISIN)');
select is((select count(*)::integer from market.fundamentals where asset_id in (:msft, :bp)), 0,
    'and stored no fundamentals');
select is(market.ingest_fundamentals(tests.land('fundamentals', 'BP.LSE', $${
  "General": {"Code": "bp", "Type": "Common Stock", "Name": "BP p.l.c.", "Exchange": "LSE", "CurrencyCode": "GBX"}}$$),
    :bp) ->> 'status', 'ok', 'the code is compared without case; the exchange code of the asset is fine');

-- test: a bond type never turns an equity into a bond (types move only among stock, etf and fund)
select is(market.ingest_fundamentals(tests.land('fundamentals', 'MSFT.US', $${
  "General": {"Code": "MSFT", "Type": "Bond", "Name": "Microsoft Corp", "Exchange": "NASDAQ"}}$$), :msft) ->> 'message',
    'fundamentals of MSFT.US stored; type "Bond" not taken: fundamentals set stock, etf or fund only, asset type stock kept',
    'a Bond type is named, not taken');
select is((select asset_type from market.assets where asset_id = :msft), 'stock', 'the asset stays a stock');

select * from finish();
rollback;
