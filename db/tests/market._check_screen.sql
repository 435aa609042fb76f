-- market._check_screen: the trigger that lets only a sound screen into market.screens.
begin;
select plan(4);

-- test: a sound screen is saved
select lives_ok($$insert into market.screens (screen_name, description, predicate, order_by, columns)
                  values ('t_ok', 'test', 'rsi_14 < 50', 'rsi_14', array['rsi_14'])$$, 'a boolean predicate is saved');

-- test: what does not test-run is refused
select throws_ok($$insert into market.screens (screen_name, description, predicate)
                   values ('t_num', 'test', 'rsi_14 + 1')$$, null, null, 'a predicate that is not boolean');
select throws_ok($$insert into market.screens (screen_name, description, predicate, columns)
                   values ('t_col', 'test', 'true', array['no_such_column'])$$, null, null, 'an unknown column');
select throws_ok($$update market.screens set predicate = 'true); drop table market.assets; --' where screen_name = 't_ok'$$,
                 null, null, 'an update that escapes the expression');

select * from finish();
rollback;
