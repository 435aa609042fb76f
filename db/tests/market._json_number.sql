-- market._json_number: numbers and numeric strings, missing values, garbage.
begin;
select plan(10);

-- test: numbers and numeric strings
select is(market._json_number('1358'), 1358::float8, 'an integer number');
select is(market._json_number('"123.4500"'), 123.45::float8, 'a numeric string');
select is(market._json_number('" -1.5e3 "'), -1500::float8, 'a numeric string with exponent and spaces');
select is(market._json_number('".5"'), 0.5::float8, 'a leading dot');
-- test: missing values
select is(market._json_number('null'), null::float8, 'null is missing');
select is(market._json_number('""'), null::float8, 'an empty string is missing');
select is(market._json_number(null), null::float8, 'an absent key is missing');
-- test: garbage is NaN
select is(market._json_number('"NaN"'), 'NaN'::float8, '"NaN" is not a number');
select is(market._json_number('"12,5"'), 'NaN'::float8, 'a decimal comma is not a number');
select is(market._json_number('1e400'), 'NaN'::float8, 'an out-of-range number is not a number');

select * from finish();
rollback;
