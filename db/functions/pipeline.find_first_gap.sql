-- pipeline.find_first_gap: the first session of the asset's exchange missing between its
-- first and last stored bar (null: no gap), ignoring sessions up to the asset's
-- gaps_checked_through (already asked for: the vendor has no bar there). Called by
-- record_success, _advance_bulk_watermarks and detect_gaps. Read-only.
create or replace function pipeline.find_first_gap(p_asset_id bigint)
returns date
language sql
stable
set search_path = ''
as $$
    select min(t.session_date)
    from market.assets as a
    inner join market.trading_sessions as t on a.exchange_code = t.exchange_code
    where a.asset_id = p_asset_id
      and t.session_date > (select min(p.trade_date) from market.stock_prices as p where p.asset_id = p_asset_id)
      and t.session_date < (select max(p.trade_date) from market.stock_prices as p where p.asset_id = p_asset_id)
      and t.session_date > coalesce((select s.gaps_checked_through from pipeline.asset_processing_state as s
                                     where s.asset_id = p_asset_id), '-infinity'::date)
      and not exists (
          select 1 from market.stock_prices as p
          where p.asset_id = p_asset_id and p.trade_date = t.session_date
      )
$$;

comment on function pipeline.find_first_gap(bigint) is
'First session missing between the first and last bar of the asset, after its gaps_checked_through (null: no gap).';
