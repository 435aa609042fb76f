-- 0009_history_owed: what each asset is owed. A bulk bar may extend a loaded history but never
-- stand in for the initial load: the history owed to an asset (from settings.history_start when
-- it is listed, or from a requested from_date) stays owed until a per-ticker price request that
-- reached back to that date was answered, whatever else succeeds for the asset meanwhile.
-- Forward-only.

-- The default of the new columns: the first date an initial load asks for. Re-applied with the
-- other functions from db/functions/pipeline.get_history_start.sql.
create or replace function pipeline.get_history_start()
returns date
language sql
stable
set search_path = ''
as $$
    select s.history_start from pipeline.settings as s
$$;

alter table pipeline.asset_processing_state
add column history_from date default pipeline.get_history_start(),
add column history_owed_from date default pipeline.get_history_start(),
add column gaps_checked_from date;

comment on column pipeline.asset_processing_state.history_from is
'First date the asset''s price history is owed from: settings.history_start when it was listed, or the '
'from_date of a run before its first answer; lowered by a later from_date. Never cleared: the anchor of '
'monitor.history_completeness.';
comment on column pipeline.asset_processing_state.history_owed_from is
'History still owed from this date: set for a new listing and by a from_date request, cleared only when a '
'per-ticker price request from that date or earlier was answered (a bulk bar never clears it); null: paid.';
comment on column pipeline.asset_processing_state.gaps_checked_from is
'Start of the window answered by per-ticker price requests (with gaps_checked_through): a session missing '
'inside it is one the vendor does not have.';

alter table pipeline.asset_processing_state
add constraint asset_processing_state_owed_within_history check (history_owed_from >= history_from);

-- Existing rows. An asset never answered by a per-ticker price request (gaps_checked_through is
-- null: never loaded, or carried only by bulk bars) owes its whole history; the others were
-- answered from history_start or from their first bar, whichever is earlier.
update pipeline.asset_processing_state as s
set
    history_from = least(coalesce(s.prices_first_date, st.history_start), st.history_start),
    history_owed_from = case
        when s.gaps_checked_through is null
            then least(coalesce(s.prices_first_date, st.history_start), st.history_start)
    end,
    gaps_checked_from = case
        when s.gaps_checked_through is not null
            then least(coalesce(s.prices_first_date, st.history_start), st.history_start)
    end
from pipeline.settings as st;

alter table pipeline.asset_processing_state alter column history_from set not null;
