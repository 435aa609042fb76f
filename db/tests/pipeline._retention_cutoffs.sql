-- pipeline._retention_cutoffs: the cutoffs of log and raw retention, never inside today.
begin;
select plan(5);

-- setup: log 180 days, raw 30 days (the defaults)
update pipeline.settings set log_retention = '180 days', raw_retention = '30 days';

-- test: the cutoffs are p_now minus each retention
select row_eq($$select log_before, raw_before from pipeline._retention_cutoffs('t', '2026-06-30 12:00+00')$$,
              row('2026-01-01 12:00+00'::timestamptz, '2026-05-31 12:00+00'::timestamptz),
              'p_now minus log_retention and raw_retention');

-- test: a retention shorter than a day never reaches into the current UTC day
update pipeline.settings set raw_retention = '1 hour';
select is((select raw_before from pipeline._retention_cutoffs('t', '2026-06-30 12:00+00')),
          '2026-06-30 00:00+00'::timestamptz, 'capped at the start of the UTC day');

-- test: refusals name the caller
select throws_ok($$select pipeline._retention_cutoffs('prune_x', now() + interval '3 days')$$, '22023',
                 null, 'a p_now more than a day ahead is refused');
select throws_like($$select pipeline._retention_cutoffs('prune_x', now() + interval '3 days')$$,
                   'prune_x: p_now % is in the future%', 'the message names the caller');
alter table pipeline.settings drop constraint settings_log_retention_positive;
update pipeline.settings set log_retention = '-1 day';
select throws_like($$select pipeline._retention_cutoffs('prune_x', now())$$,
                   'prune_x: settings.log_retention must be positive%', 'a non-positive retention is refused');

select * from finish();
rollback;
