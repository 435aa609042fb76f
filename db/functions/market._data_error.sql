-- market._data_error: the ingest result of a payload refused as a whole (nothing written).
-- Called by the market.ingest_* functions. Pure.
create or replace function market._data_error(p_message text)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select jsonb_build_object(
        'status', 'data_error', 'rows_stored', 0, 'rows_rejected', 0,
        'first_date', null, 'last_date', null, 'message', p_message
    )
$$;

comment on function market._data_error(text) is 'Ingest result for a payload refused as a whole: status data_error, nothing stored.';
