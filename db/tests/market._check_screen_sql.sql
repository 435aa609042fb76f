-- market._check_screen_sql: screen SQL stays inside its expression.
begin;
select plan(8);

-- test: accepted
select lives_ok($$select market._check_screen_sql('s', 'predicate', 'rsi_14 < 40 and (a > b or c)')$$,
                'an ordinary expression');
select lives_ok($$select market._check_screen_sql('s', 'predicate', 'name like ''%)%'' and "close" > 1')$$,
                'parentheses inside literals and identifiers do not count');

-- test: refused (22023)
select throws_like($$select market._check_screen_sql('s', 'predicate', 'true; delete from market.assets')$$,
                   'screen s: the predicate contains a semicolon%', 'a semicolon');
select throws_like($$select market._check_screen_sql('s', 'predicate', 'true -- rest')$$,
                   'screen s: the predicate contains a comment%', 'a line comment');
select throws_like($$select market._check_screen_sql('s', 'predicate', 'true /* x */')$$,
                   'screen s: the predicate contains a comment%', 'a block comment');
select throws_like($$select market._check_screen_sql('s', 'predicate', 'true) or (true')$$,
                   'screen s: the predicate contains a parenthesis it did not open%', 'a closing parenthesis first');
select throws_like($$select market._check_screen_sql('s', 'predicate', 'name = $q$x$q$')$$,
                   'screen s: the predicate contains a semicolon, dollar sign or backslash%', 'a dollar quote');
select throws_ok($$select market._check_screen_sql('s', 'order_by', '(rsi_14')$$, '22023',
                 'screen s: the order_by contains an unclosed parenthesis: (rsi_14', 'an unclosed parenthesis');

select * from finish();
rollback;
