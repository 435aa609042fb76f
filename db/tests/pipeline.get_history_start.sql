-- pipeline.get_history_start: settings.history_start, the default of the owed history.
begin;
select plan(3);

-- test: it reads the setting
update pipeline.settings set history_start = '2010-03-01';
select is(pipeline.get_history_start(), '2010-03-01'::date, 'the setting''s date');

-- test: a new asset owes its history from there; the one before the change keeps its own
select tests.create_asset('NEW.US') as new_id \gset
select row_eq(format('select history_from, history_owed_from from pipeline.asset_processing_state where asset_id = %s',
                     :new_id),
              row('2010-03-01'::date, '2010-03-01'::date), 'a new asset owes its history from history_start');
update pipeline.settings set history_start = '2012-01-02';
select is((select history_owed_from from pipeline.asset_processing_state where asset_id = :new_id), '2010-03-01'::date,
          'a later change of the setting leaves existing debts alone');

select * from finish();
rollback;
