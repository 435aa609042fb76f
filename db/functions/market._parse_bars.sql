-- market._parse_bars: parse EODHD bars into typed rows and say what is wrong with each.
-- Called by market._store_bars for market.ingest_eod and market.ingest_bulk_day. Pure.
-- p_bars: the payload's array of bars {date, open, high, low, close, adjusted_close, volume};
-- p_asset_ids: the asset of each bar, same positions (null: skip the item). shape_error: the
-- payload is not what EODHD sends (the whole payload is refused); reject_reason: the bar breaks
-- a price rule (the bar goes to market.price_quarantine). p_yield_asset_ids: the assets whose
-- series are yields (market.exchanges.quotes_yields): zero and negative values are valid for them,
-- but only unadjusted (adjusted_close = close). p_bar_date: the date every bar must carry (a bulk
-- payload's day), null for none.
-- Plausibility (reject reasons): a date before 1970-01-01 or after p_as_of; prices outside
-- [1e-6, 1e9] (yields: |value| above 1e9); adjusted_close / close outside [1e-6, 1e6] (compounded
-- splits and dividends over decades reach about 1e-4, AAPL 1980 about 0.0035, a 1:20 reverse
-- split 20, serial reverse splits of penny stocks 1e4-1e5); volume above 1e13. Numbers are double
-- precision: digits beyond its 15-17 significant ones are rounded, text over 60 characters is
-- not a number (a shape error).
drop function if exists market._parse_bars(jsonb, date);
create or replace function market._parse_bars(
    p_bars jsonb, p_asset_ids bigint[], p_as_of date, p_yield_asset_ids bigint[] default '{}',
    p_bar_date date default null
)
returns table (
    item_no integer,
    asset_id bigint,
    trade_date date,
    open double precision,
    high double precision,
    low double precision,
    close double precision,
    adjusted_close double precision,
    volume double precision,
    bar jsonb,
    shape_error text,
    reject_reason text
)
language sql
immutable
parallel safe
set search_path = ''
as $$
    with items as (
        select r.item_no::integer, r.asset_id, r.bar
        from rows from (jsonb_array_elements(p_bars), unnest(p_asset_ids)) with ordinality as r (bar, asset_id, item_no)
        where r.asset_id is not null and r.bar is not null
    ),
    -- numbers by market._number_text (inlined): null / "" / absent is missing (null; a missing
    -- volume is 0), anything else that is not a finite number is NaN (a shape error); dates inline
    typed as (
        select
            i.item_no,
            i.asset_id,
            i.bar,
            case
                when nullif(btrim(x.date), '') is null or x.date = '0000-00-00' then null
                when x.date ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
                    and (substr(x.date, 9, 2) <= '28' or substr(x.date, 9, 2)::integer <= extract(day from
                        (substr(x.date, 1, 8) || '01')::date + interval '1 month - 1 day'))
                    then x.date::date
                else 'infinity'::date
            end as trade_date,
            market._number_text(x.open) as open,
            market._number_text(x.high) as high,
            market._number_text(x.low) as low,
            market._number_text(x.close) as close,
            market._number_text(x.adjusted_close) as adjusted_close,
            coalesce(market._number_text(x.volume), 0) as volume,
            jsonb_typeof(i.bar) = 'object' as is_object
        from items as i
        left join lateral jsonb_to_record(case when jsonb_typeof(i.bar) = 'object' then i.bar end) as x (
            date text, open text, high text, low text, close text, adjusted_close text, volume text
        ) on true
    ),
    checked as (
        select
            t.*,
            case
                when not t.is_object then 'item ' || t.item_no || ' is not an object'
                when not t.bar ?& array['date', 'open', 'high', 'low', 'close', 'adjusted_close', 'volume']
                    then 'item ' || t.item_no || ' lacks '
                    || array_to_string(array(
                        select k from unnest(array['date', 'open', 'high', 'low', 'close', 'adjusted_close', 'volume']) as k
                        where not t.bar ? k
                    ), ', ')
                when t.trade_date is null or t.trade_date = 'infinity'
                    then 'item ' || t.item_no || ' has no valid date: ' || coalesce(t.bar ->> 'date', 'null')
                when 'NaN' in (t.open, t.high, t.low, t.close, t.adjusted_close, t.volume)
                    then 'item ' || t.item_no || ' has a non-numeric value'
            end as shape_error,
            count(*) over (partition by t.asset_id, t.trade_date) as same_date
        from typed as t
    )
    select
        c.item_no, c.asset_id, c.trade_date, c.open, c.high, c.low, c.close, c.adjusted_close, c.volume, c.bar,
        c.shape_error,
        nullif(concat_ws('; ',
            case when c.open is null or c.high is null or c.low is null or c.close is null or c.adjusted_close is null
                then 'missing price' end,
            case when (c.open <= 0 or c.high <= 0 or c.low <= 0 or c.close <= 0 or c.adjusted_close <= 0)
                      and not coalesce(c.asset_id = any(p_yield_asset_ids), false)
                then 'non-positive price' end,
            case when (c.open <= 0 or c.high <= 0 or c.low <= 0 or c.close <= 0 or c.adjusted_close <= 0)
                      and c.asset_id = any(p_yield_asset_ids) and c.adjusted_close <> c.close
                then 'non-positive yield with adjusted_close different from close' end,
            case when greatest(abs(c.open), abs(c.high), abs(c.low), abs(c.close), abs(c.adjusted_close)) > 1e9
                      or (least(  -- the smallest positive price (non-positive ones have their own reason)
                              nullif(greatest(c.open, 0), 0), nullif(greatest(c.high, 0), 0), nullif(greatest(c.low, 0), 0),
                              nullif(greatest(c.close, 0), 0), nullif(greatest(c.adjusted_close, 0), 0)
                          ) < 1e-6
                          and not coalesce(c.asset_id = any(p_yield_asset_ids), false))
                then 'price outside [1e-6, 1e9]' end,
            case when c.close > 0 and c.adjusted_close > 0
                      and c.adjusted_close / c.close not between 1e-6 and 1e6
                then 'adjusted_close / close outside [1e-6, 1e6]' end,
            case when c.low > c.high then 'low above high' end,
            case when c.low <= c.high and c.open not between c.low and c.high then 'open outside [low, high]' end,
            case when c.low <= c.high and c.close not between c.low and c.high then 'close outside [low, high]' end,
            case when c.volume < 0 then 'negative volume' end,
            case when c.volume > 1e13 then 'volume above 1e13' end,
            case when c.trade_date < '1970-01-01' then 'date before 1970-01-01' end,
            case when c.trade_date > p_as_of then 'date after as_of ' || p_as_of end,
            case when c.trade_date <> p_bar_date then 'date other than the bulk day ' || p_bar_date end,
            case when c.same_date > 1 then 'duplicate date in payload' end
        ), '') as reject_reason
    from checked as c
$$;

comment on function market._parse_bars(jsonb, bigint[], date, bigint[], date) is
'Typed EODHD bars with their shape error (payload refused) or reject reason (bar quarantined); used by market._store_bars.';
