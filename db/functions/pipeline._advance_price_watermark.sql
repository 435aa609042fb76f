-- pipeline._advance_price_watermark: after a per-ticker price request (initial load, prices,
-- backfill) settled, success or counted failure: the watermarks follow what
-- market.stock_prices holds, a back-filled first bar flags a full indicator recompute, and the
-- window the vendor answered is remembered as checked (gaps_checked_from / _through), so a
-- session it does not have is not planned again every run. An answer reaching back to the date
-- the history is owed from pays the debt (history_owed_from cleared). p_from / p_to null: the
-- request was not answered (nothing checked, nothing paid). Called by pipeline.record_success
-- and pipeline.record_failure. Idempotent.
create or replace function pipeline._advance_price_watermark(p_asset_id bigint, p_from date, p_to date)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_gap date;
begin
    update pipeline.asset_processing_state as s
       set prices_first_date = b.first_date,
           prices_last_date = b.last_date,
           needs_indicator_recompute = s.needs_indicator_recompute
               or b.first_date is distinct from s.prices_first_date
      from (
          select min(p.trade_date) as first_date, max(p.trade_date) as last_date
          from market.stock_prices as p where p.asset_id = p_asset_id
      ) as b
     where s.asset_id = p_asset_id;

    if p_from is not null and p_to is not null then
        -- the vendor answered from p_from: whatever was owed from there on is paid
        update pipeline.asset_processing_state as s
           set history_owed_from = null
         where s.asset_id = p_asset_id and s.history_owed_from >= p_from;
    end if;

    v_gap := pipeline.find_first_gap(p_asset_id);
    if p_from is not null and p_to is not null and (v_gap is null or v_gap >= p_from) then
        -- no unanswered hole before the window: the checked window grows to cover it
        update pipeline.asset_processing_state as s
           set gaps_checked_through = greatest(s.gaps_checked_through, p_to),
               gaps_checked_from = least(s.gaps_checked_from, p_from)
         where s.asset_id = p_asset_id;
        v_gap := pipeline.find_first_gap(p_asset_id);
    end if;
    update pipeline.asset_processing_state as s
       set prices_gap_from = v_gap
     where s.asset_id = p_asset_id;
end;
$$;

comment on function pipeline._advance_price_watermark(bigint, date, date) is
'Watermarks from the stored bars, back-fill recompute flag, the answered window checked and the owed history '
'paid after a per-ticker price request (null window: not answered).';
