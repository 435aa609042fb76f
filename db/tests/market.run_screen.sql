-- market.run_screen and market.screens: saved screens run by name, in their order; an unknown
-- name is refused; a bad predicate, ordering or column cannot be saved (trigger
-- market._check_screen); a predicate that writes fails, read-only; the seeded screens run.
begin;
select plan(16);

-- setup: two active assets with rising bars (AAA above BBB), indicators and the screener
select tests.add_sessions('US', '2024-01-01', '2024-02-29');
select tests.create_asset('AAA.US') as aaa \gset
select tests.create_asset('BBB.US') as bbb \gset
select tests.add_bars(:aaa, '2024-01-01', '2024-02-29', 200);
select tests.add_bars(:bbb, '2024-01-01', '2024-02-29', 100);
select market.refresh_indicators('2024-02-29');
refresh materialized view market.screener_latest;
insert into market.screens (screen_name, description, predicate, order_by, columns)
values ('above_150', 'closing above 150', 'adjusted_close > 150', null, '{sma_20}'),
       ('everything_by_close', 'all, cheapest first', 'close is not null', 'close desc', '{}');

-- test: the interface
select has_table('market', 'screens', 'market.screens exists');
select col_is_pk('market', 'screens', 'screen_name', 'screens are keyed by name');
select function_returns('market', 'run_screen', array['text'], 'setof market.screener_latest',
                        'run_screen returns rows of market.screener_latest');
select volatility_is('market', 'run_screen', array['text'], 'stable', 'run_screen is stable');

-- test: rows and order
select results_eq($$select ticker from market.run_screen('above_150')$$, $$values ('AAA.US')$$,
                  'the predicate selects the rows');
select results_eq($$select ticker from market.run_screen('everything_by_close')$$,
                  $$values ('AAA.US'), ('BBB.US')$$, 'in the screen''s order');
select throws_like($$select * from market.run_screen('no_such_screen')$$,
                   'run_screen: unknown screen ''no_such_screen''; saved screens: above_150, %',
                   'an unknown screen is refused, naming the saved ones');
select throws_ok($$select * from market.run_screen('no_such_screen')$$, '22023', null, 'with errcode 22023');

-- test: the seeded screens (the README's and a few more) all run
select is((select count(*)::integer from market.screens
           where screen_name in ('oversold_uptrend', 'macd_cross_up', 'new_high_on_volume', 'golden_cross',
                                 'overbought', 'new_low')), 6, 'the six seeded screens exist');
select lives_ok($$select count(*) from market.screens as s cross join lateral market.run_screen(s.screen_name)$$,
                'every saved screen runs');

-- test: bad SQL cannot be saved
select throws_like($$insert into market.screens (screen_name, description, predicate) values ('x', 'x', 'rsi_14 <')$$,
                   'screen x: syntax error%', 'a predicate that does not parse');
select throws_like($$insert into market.screens (screen_name, description, predicate) values ('x', 'x', 'rsi_14')$$,
                   'screen x: argument of WHERE must be type boolean%', 'a predicate that is not boolean');
select throws_like($$update market.screens set predicate = 'true) union all (select 1' where screen_name = 'above_150'$$,
                   'screen above_150: the predicate contains a parenthesis it did not open%',
                   'an update that would break out of the expression');
select throws_like($$insert into market.screens (screen_name, description, predicate, columns)
                     values ('x', 'x', 'true', '{rsi_14,nope}')$$,
                   'screen x: unknown column(s) of market.screener_latest: nope', 'an unknown column');

-- test: a predicate that calls a function which writes fails read-only and writes nothing
insert into market.screens (screen_name, description, predicate)
values ('writes', 'asks for a reprocess', 'pipeline.request_reprocess(''AAA.US'', ''prices'') > 0');
select throws_ok($$select * from market.run_screen('writes')$$, '25006', null,
                 'a writing predicate fails: the screen runs read-only');
select run_screen.ticker from market.run_screen('above_150') as run_screen;
update pipeline.settings set quota_buffer = quota_buffer;
select is((select reprocess_prices from pipeline.asset_processing_state where asset_id = :aaa), false,
          'nothing was written, and the transaction writes again after a screen ran');

select * from finish();
rollback;
