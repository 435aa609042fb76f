-- pipeline._advance_bulk_watermarks: after a bulk_prices item, move the price watermark of every
-- asset of its exchange that now has the day's bar in market.stock_prices (a gap noted when the
-- asset was more than one session behind) and flag a split-like close jump (corporate actions
-- due). An asset that owes history keeps the debt, its failures and backoff (the bar is no
-- initial load). Called by record_success and by record_failure (a data error in a bulk payload still
-- stores the valid bars). Idempotent; returns assets moved.
create or replace function pipeline._advance_bulk_watermarks(
    p_exchange_code text,
    p_day date,
    p_now timestamptz
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_rows integer;
begin
    -- an asset that still owes its history (never answered by a per-ticker request from its
    -- owed date) keeps the debt, its failure count and backoff: the bulk bar extends the stored
    -- bars, it does not stand in for the initial load or a requested backfill
    update pipeline.asset_processing_state as s
       set prices_first_date = coalesce(s.prices_first_date, p_day),
           prices_last_date = (select max(p.trade_date) from market.stock_prices as p where p.asset_id = s.asset_id),
           prices_gap_from = coalesce(s.prices_gap_from, case
               when s.history_owed_from is null
                and s.prices_last_date < (select max(t.session_date) from market.trading_sessions as t
                                          where t.exchange_code = p_exchange_code
                                            and t.session_date < p_day)
               then pipeline.find_first_gap(s.asset_id) end),
           consecutive_failures = case when (s.status = 'new' or s.history_owed_from is not null) then s.consecutive_failures else 0 end,
           next_attempt_at = case when (s.status = 'new' or s.history_owed_from is not null) then s.next_attempt_at end,
           status = case when s.status = 'failing' and not (s.status = 'new' or s.history_owed_from is not null) then 'active' else s.status end,
           last_success_at = case when (s.status = 'new' or s.history_owed_from is not null) then s.last_success_at else p_now end,
           updated_at = p_now
      from market.assets as a
     where a.asset_id = s.asset_id
       and a.exchange_code = p_exchange_code
       and (s.prices_last_date is null or s.prices_last_date < p_day)
       and exists (
           select 1 from market.stock_prices as p
           where p.asset_id = s.asset_id and p.trade_date = p_day
       );
    get diagnostics v_rows = row_count;

    -- a split-like jump of the raw close against the asset's previous bar: corporate actions due
    update pipeline.asset_processing_state as s
       set corporate_actions_due = true, updated_at = p_now
      from market.assets as a
      inner join market.exchanges as e on a.exchange_code = e.exchange_code
      inner join market.stock_prices as p on a.asset_id = p.asset_id and p.trade_date = p_day
     where a.asset_id = s.asset_id
       and a.exchange_code = p_exchange_code
       and not e.quotes_yields
       and not s.corporate_actions_due
       and p.close / nullif((select q.close from market.stock_prices as q
                             where q.asset_id = p.asset_id and q.trade_date < p_day
                             order by q.trade_date desc limit 1), 0) not between 0.55 and 1.8;
    return v_rows;
end;
$$;

comment on function pipeline._advance_bulk_watermarks(text, date, timestamptz) is
'Move the watermarks of the assets of an exchange that have the bulk day''s bar stored; returns how many moved.';
