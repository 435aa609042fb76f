-- monitor.history_completeness: the history invariant as of now, one row per active asset
-- (pipeline.check_history_completeness): every asset either has its history complete from the
-- date it is owed from to its exchange's expected session, or carries a reason. Rows with
-- is_unexplained are losses nothing else shows. Read-only, for people (scans the prices).
create or replace view monitor.history_completeness as
select
    c.asset_id,
    c.ticker,
    c.exchange_code,
    c.history_from,
    c.expected_session,
    c.missing_sessions,
    c.first_missing,
    c.last_missing,
    c.reason,
    c.is_unexplained
from pipeline.check_history_completeness(now()) as c;

comment on view monitor.history_completeness is
'Per active asset as of now: sessions missing from its owed history, the reason its state gives, unexplained losses.';
comment on column monitor.history_completeness.history_from is 'First date the history is owed from.';
comment on column monitor.history_completeness.missing_sessions is
'Sessions without a bar between history_from and the expected session, outside the window the vendor answered.';
comment on column monitor.history_completeness.reason is
'skipped, initial load owed, history owed, gap, behind or failing (pipeline.get_attention_reason); null: fine.';
comment on column monitor.history_completeness.is_unexplained is 'Sessions missing and no reason: a silent loss.';
