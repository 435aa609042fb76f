-- 0005_state_fixes: per-asset state for gaps already tried and corporate actions due, and the
-- 'corporate_action' planning reason. Forward-only.

alter table pipeline.asset_processing_state
add column gaps_checked_through date,
add column corporate_actions_due boolean not null default false;
comment on column pipeline.asset_processing_state.gaps_checked_through is
'Sessions up to this date were covered by a successful per-ticker price fetch: a session still missing '
'there is one the vendor does not have, not a gap to plan again (pipeline.find_first_gap ignores them).';
comment on column pipeline.asset_processing_state.corporate_actions_due is
'Stored data shows signs of a new split or dividend: pipeline.discover_delta plans a corporate_actions item; '
'cleared on its success.';

alter table pipeline.work_items drop constraint work_items_reason_known;
alter table pipeline.work_items add constraint work_items_reason_known check (
    reason in ('fresh', 'reprocess', 'new_listing', 'gap', 'backfill', 'schedule', 'requested', 'corporate_action')
);
comment on column pipeline.work_items.reason is
'Why it was planned: fresh, reprocess, new_listing, gap, backfill (from_date), schedule (fundamentals), requested, '
'corporate_action (signs of a new split or dividend).';
