-- market._number_text: numeric text, blanks, garbage; inlined into its callers.
begin;
select plan(9);

-- test: numbers as EODHD prints them
select is(market._number_text('1358'), 1358::float8, 'an integer');
select is(market._number_text(' -1.5e3 '), -1500::float8, 'exponent and spaces');
select is(market._number_text('.5'), 0.5::float8, 'a leading dot');
-- test: missing values
select is(market._number_text(null), null::float8, 'null is missing');
select is(market._number_text('  '), null::float8, 'blanks are missing');
-- test: garbage and out-of-range values are NaN
select is(market._number_text('NaN'), 'NaN'::float8, '"NaN" is not a number');
select is(market._number_text('12,5'), 'NaN'::float8, 'a decimal comma is not a number');
select is(market._number_text('1e400'), 'NaN'::float8, 'a three-digit exponent is refused (out of range)');

-- test: inlined (no call per field in the ingest's plans)
select ok(
    not exists (
        select 1 from tests.explain_lines('(verbose) select market._number_text(x) from (values (''1''), (''2'')) as v (x)') as l
        where l ~ '_number_text'
    ),
    'the planner inlines it'
);

select * from finish();
rollback;
