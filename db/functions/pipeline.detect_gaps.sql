-- pipeline.detect_gaps: recompute prices_gap_from (first session missing inside the stored
-- history) for the given assets, or all active ones; discover_delta plans a backfill for them.
-- Called by the maintenance DAG (record_success keeps it current per asset). Idempotent.
create or replace function pipeline.detect_gaps(p_asset_ids bigint[] default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_count integer;
begin
    update pipeline.asset_processing_state as s
       set prices_gap_from = g.first_gap, updated_at = now()
      from (
          select a.asset_id, pipeline.find_first_gap(a.asset_id) as first_gap
          from market.assets as a
          where (p_asset_ids is null and a.is_active) or a.asset_id = any(p_asset_ids)
      ) as g
     where s.asset_id = g.asset_id and s.prices_gap_from is distinct from g.first_gap;
    select count(*) into v_count
    from pipeline.asset_processing_state as s
    inner join market.assets as a on s.asset_id = a.asset_id
    where s.prices_gap_from is not null
      and ((p_asset_ids is null and a.is_active) or a.asset_id = any(p_asset_ids));
    return v_count;
end;
$$;

comment on function pipeline.detect_gaps(bigint[]) is
'Recompute prices_gap_from for the given assets (all active when null); returns how many have a gap.';
