-- pipeline.get_history_start: the first date an initial price load asks for
-- (pipeline.settings.history_start). The default of asset_processing_state.history_from and
-- history_owed_from, so every new asset owes its history from there. Read-only.
create or replace function pipeline.get_history_start()
returns date
language sql
stable
set search_path = ''
as $$
    select s.history_start from pipeline.settings as s
$$;

comment on function pipeline.get_history_start() is
'settings.history_start: the date a new asset''s history is owed from (default of the state''s history columns).';
