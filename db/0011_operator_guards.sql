-- 0011_operator_guards: guards against operator mistakes (issue 11, item 6). Retention intervals
-- must be positive: a negative one made pipeline.prune_logs delete today's ledger, so the quota
-- view showed nothing used. Three functions gain an explicit opt-in parameter (start_execution
-- p_defaults, sync_universe p_allow_empty, request_reprocess p_all): their old signatures are
-- dropped here and db/functions/ (desired state, applied after the migrations) creates the new
-- ones, so a call in the old shape still resolves, to exactly one function. Forward-only.

-- A non-positive retention set by hand could only delete too much: it goes back to the default
-- (30 days raw, 180 days logs) before the constraint is added, and the migration says so.
do $$
begin
    if exists (select 1 from pipeline.settings as s
               where s.raw_retention <= interval '0' or s.log_retention <= interval '0') then
        raise warning '0011_operator_guards: a non-positive retention in pipeline.settings is reset to its default';
    end if;
end;
$$;

update pipeline.settings
set raw_retention = interval '30 days'
where raw_retention <= interval '0';

update pipeline.settings
set log_retention = interval '180 days'
where log_retention <= interval '0';

alter table pipeline.settings
add constraint settings_raw_retention_positive check (raw_retention > interval '0'),
add constraint settings_log_retention_positive check (log_retention > interval '0');

comment on column pipeline.settings.raw_retention is
'How long landed raw payloads are kept (positive; prune_logs never deletes rows of the current UTC day).';
comment on column pipeline.settings.log_retention is
'How long API call and detail logs are kept (positive; prune_logs never deletes rows of the current UTC day).';

-- the signatures replaced by db/functions/ (one more parameter, with a default)
drop function if exists pipeline.start_execution(text, text, timestamptz, jsonb);
drop function if exists pipeline.sync_universe(text, text[], date);
drop function if exists pipeline.request_reprocess(text, text, date, timestamptz);
