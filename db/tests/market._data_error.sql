-- market._data_error: the whole-payload refusal result.
begin;
select plan(1);

-- test
select is(market._data_error('bad shape'),
    '{"status": "data_error", "rows_stored": 0, "rows_rejected": 0, "first_date": null, "last_date": null,
      "message": "bad shape"}'::jsonb, 'status data_error, nothing stored, the message');

select * from finish();
rollback;
