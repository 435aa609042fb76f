-- pipeline.get_attention_reason: why an asset needs attention, from its state row alone (cheap:
-- no price scan): skipped, initial load owed, history owed, gap, behind, failing; null when
-- nothing is wrong. Used by monitor.asset_status and pipeline.check_history_completeness, so
-- the operator's view and the invariant speak the same words. Pure.
create or replace function pipeline.get_attention_reason(
    p_state pipeline.asset_processing_state,
    p_is_active boolean,
    p_expected_session date
)
returns text
language sql
immutable
set search_path = ''
as $$
    select case
        when not p_is_active or p_state.status = 'inactive' then null
        when p_state.is_skipped then 'skipped'
        when p_state.history_owed_from is not null and p_state.last_success_at is null then 'initial load owed'
        when p_state.history_owed_from is not null then 'history owed'
        when p_state.prices_gap_from is not null then 'gap'
        when p_expected_session is not null
             and (p_state.prices_last_date is null or p_state.prices_last_date < p_expected_session) then 'behind'
        when p_state.consecutive_failures > 0 then 'failing'
    end
$$;

comment on function pipeline.get_attention_reason(pipeline.asset_processing_state, boolean, date) is
'Why an asset needs attention (skipped, initial load owed, history owed, gap, behind, failing) or null, from its state.';
