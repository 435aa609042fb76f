-- pipeline.sync_universe: add, keep, deactivate, reactivate, reject; idempotent; an empty list
-- needs p_allow_empty.
begin;
select plan(17);

-- test: new codes get an asset and a state row
select is(
    pipeline.sync_universe('nyse', array['IBM.US', 'KO.US', 'JPM.US'], '2026-01-05') ->> 'added',
    '3', 'three new codes are added'
);
select is(
    (select count(*)::integer from market.assets a join pipeline.asset_processing_state s using (asset_id)
     where a.universe = 'nyse' and a.is_active and s.status = 'new' and a.listing_venue = 'NYSE'),
    3, 'each has an active asset, venue NYSE, and a state row in status new'
);

-- test: running twice changes nothing
select is(
    pipeline.sync_universe('nyse', array['IBM.US', 'KO.US', 'JPM.US'], '2026-01-06'),
    '{"universe": "nyse", "listed": 3, "added": 0, "moved": 0, "reactivated": 0, "deactivated": 0, "unchanged": 3}'::jsonb,
    'a second identical sync changes nothing'
);
select is(
    (select max(listed_on) from market.assets), '2026-01-05'::date, 'listing dates are kept'
);

-- test: a code no longer listed becomes inactive, never deleted
select is(
    pipeline.sync_universe('nyse', array['IBM.US', 'KO.US'], '2026-02-02') ->> 'deactivated',
    '1', 'JPM.US is deactivated'
);
select row_eq(
    $$select a.is_active, a.delisted_on, s.status from market.assets a
      join pipeline.asset_processing_state s using (asset_id) where ticker = 'JPM.US'$$,
    row(false, '2026-02-02'::date, 'inactive'::text),
    'the inactive asset is kept with its delisting date and state inactive'
);

-- test: a reappearing code is reactivated
select is(
    pipeline.sync_universe('nyse', array['IBM.US', 'KO.US', 'JPM.US'], '2026-03-02') ->> 'reactivated',
    '1', 'JPM.US is reactivated'
);
select row_eq(
    $$select a.is_active, a.delisted_on, s.status from market.assets a
      join pipeline.asset_processing_state s using (asset_id) where ticker = 'JPM.US'$$,
    row(true, null::date, 'new'::text),
    'the reactivated asset is active again'
);

-- test: other universes are untouched
select is(
    pipeline.sync_universe('lse', array['BP.LSE'], '2026-03-02') ->> 'deactivated',
    '0', 'syncing LSE deactivates nothing on NYSE'
);
select is(
    (select count(*)::integer from market.assets where universe = 'nyse' and is_active), 3,
    'NYSE assets stay active'
);

-- test: invalid codes are rejected, all of them named, nothing written
select throws_ok(
    $$select pipeline.sync_universe('nyse', array['GE.US', 'bad code', 'SAP.XETRA'], '2026-03-02')$$,
    '22023',
    'sync_universe: 2 invalid code(s) for universe nyse (allowed exchanges {US}): SAP.XETRA, bad code',
    'invalid codes are listed in the error'
);
select throws_ok(
    $$select pipeline.sync_universe('moon', array['X.US'], '2026-03-02')$$,
    '22023', null, 'an unknown universe is refused'
);

-- test: an empty list would deactivate the whole universe: refused unless p_allow_empty
select throws_ok(
    $$select pipeline.sync_universe('nyse', array[]::text[], '2026-03-03')$$,
    '22023',
    'sync_universe: the list for universe nyse is empty: it would deactivate all 3 active asset(s); '
    'pass p_allow_empty => true to mean it',
    'an empty list is refused, saying what it would do'
);
select throws_ok(
    $$select pipeline.sync_universe('nyse', null, '2026-03-03')$$,
    '22023', null, 'a null list is refused too'
);
select is(
    (select count(*)::integer from market.assets where universe = 'nyse' and is_active), 3,
    'nothing is deactivated'
);
select is(
    pipeline.sync_universe('nyse', array[]::text[], '2026-03-03', p_allow_empty => true) ->> 'deactivated',
    '3', 'p_allow_empty => true empties the universe'
);
select is(
    (select count(*)::integer from market.assets where universe = 'nyse' and is_active), 0,
    'every NYSE asset is inactive'
);

select * from finish();
rollback;
