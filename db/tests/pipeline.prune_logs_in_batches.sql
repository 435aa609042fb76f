-- pipeline.prune_logs_in_batches: the procedure commits after each batch, so it cannot run inside
-- a pgTAP transaction; tests/test_retention.py runs it for real (what goes, claims meanwhile).
-- Here: it exists as a procedure, and inside a transaction block it refuses to run.
begin;
select plan(2);

-- test: shape
select is((select p.prokind::text from pg_proc p where p.oid = 'pipeline.prune_logs_in_batches'::regproc), 'p',
          'a procedure');

-- test: it commits, so a transaction block is refused
select throws_ok('call pipeline.prune_logs_in_batches()', '2D000', null,
                 'refused inside a transaction block (it commits per batch)');

select * from finish();
rollback;
