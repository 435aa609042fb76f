-- pipeline.prune_logs_batch: one short step of retention: at most p_batch_size (default
-- settings.retention_batch_size) rows of each log table past its retention (pipeline._prune_batch),
-- with lock_timeout 1 s so it never queues for long behind another lock. Call it in autocommit until
-- "done" (the maintenance DAG does): each call is its own transaction, so no lock is held for long
-- and vacuum can reclaim as it goes. Same guards as pipeline.prune_logs. Idempotent.
create or replace function pipeline.prune_logs_batch(p_now timestamptz default null, p_batch_size integer default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
set lock_timeout = '1s'
as $$
declare
    v_cut record;
    v_limit integer;
    v_counts jsonb;
begin
    if p_batch_size is not null and p_batch_size not between 1 and 100000 then
        raise exception 'prune_logs_batch: p_batch_size must be between 1 and 100000, got %', p_batch_size
            using errcode = 'invalid_parameter_value';
    end if;
    select * into v_cut from pipeline._retention_cutoffs('prune_logs_batch', p_now);
    v_limit := coalesce(p_batch_size, (select s.retention_batch_size from pipeline.settings as s));
    v_counts := pipeline._prune_batch(v_cut.log_before, v_cut.raw_before, v_limit);
    return v_counts || jsonb_build_object(
        'done', (select bool_and(v.value::integer < v_limit) from jsonb_each_text(v_counts) as v)
    );
end;
$$;

comment on function pipeline.prune_logs_batch(timestamptz, integer) is
'One retention step: at most p_batch_size rows per log table past retention (lock_timeout 1 s); call until done.';
