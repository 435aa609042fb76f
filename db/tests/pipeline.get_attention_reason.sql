-- pipeline.get_attention_reason: why an asset needs attention, from its state row.
begin;
select plan(8);

-- setup: one state row, changed per case
select tests.create_asset('R1.US') as r \gset

-- test: each reason, in order of precedence
select is(pipeline.get_attention_reason(st, true, date '2026-01-16') , 'initial load owed', 'new: initial load owed') from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set last_success_at = '2026-01-10 22:00+00', prices_last_date = '2026-01-16' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), 'history owed', 'answered before, still owed: history owed')
from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set history_owed_from = null, prices_gap_from = '2026-01-08' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), 'gap', 'a gap') from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set prices_gap_from = null, prices_last_date = '2026-01-15' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), 'behind', 'behind the expected session') from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set prices_last_date = '2026-01-16', consecutive_failures = 2, status = 'failing' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), 'failing', 'current but failing') from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set consecutive_failures = 0, status = 'active' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), null, 'nothing wrong') from pipeline.asset_processing_state st where st.asset_id = :r;
update pipeline.asset_processing_state set is_skipped = true, skip_reason = 'limit', status = 'skipped', history_owed_from = '2026-01-01' where asset_id = :r;
select is(pipeline.get_attention_reason(st, true, date '2026-01-16'), 'skipped', 'skipped wins') from pipeline.asset_processing_state st where st.asset_id = :r;

-- test: an inactive asset needs nothing
select is(pipeline.get_attention_reason(st, false, date '2026-01-16'), null, 'inactive: no reason') from pipeline.asset_processing_state st where st.asset_id = :r;

select * from finish();
rollback;
