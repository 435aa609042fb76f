-- market._json_date: ISO dates, missing dates, impossible dates.
begin;
select plan(7);

-- test: valid dates
select is(market._json_date('"2024-02-29"'), '2024-02-29'::date, 'a leap day');
select is(market._json_date('"1999-12-31"'), '1999-12-31'::date, 'an ordinary date');
-- test: missing dates
select is(market._json_date('"0000-00-00"'), null::date, '0000-00-00 is missing');
select is(market._json_date('""'), null::date, 'an empty string is missing');
select is(market._json_date('null'), null::date, 'null is missing');
-- test: invalid dates are infinity
select is(market._json_date('"2023-02-29"'), 'infinity'::date, 'no leap day in 2023');
select is(market._json_date('20240229'), 'infinity'::date, 'a number is not a date');

select * from finish();
rollback;
