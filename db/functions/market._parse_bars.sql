-- market._parse_bars: parse EODHD bars into typed rows and say what is wrong with each.
-- Called by market._store_bars for market.ingest_eod and market.ingest_bulk_day. Pure.
-- p_rows: [{"asset_id": n, "item": i, "bar": {date, open, high, low, close, adjusted_close,
-- volume}}]. shape_error: the payload is not what EODHD sends (the whole payload is refused);
-- reject_reason: the bar breaks a price rule (the bar goes to market.price_quarantine).
create or replace function market._parse_bars(p_rows jsonb, p_as_of date)
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
        select
            (r.value ->> 'item')::integer as item_no,
            (r.value ->> 'asset_id')::bigint as asset_id,
            r.value -> 'bar' as bar
        from jsonb_array_elements(p_rows) as r (value)
    ),
    typed as (
        select
            i.item_no,
            i.asset_id,
            i.bar,
            market._json_date(i.bar -> 'date') as trade_date,
            market._json_number(i.bar -> 'open') as open,
            market._json_number(i.bar -> 'high') as high,
            market._json_number(i.bar -> 'low') as low,
            market._json_number(i.bar -> 'close') as close,
            market._json_number(i.bar -> 'adjusted_close') as adjusted_close,
            coalesce(market._json_number(i.bar -> 'volume'), 0) as volume,
            jsonb_typeof(i.bar) = 'object' as is_object
        from items as i
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
            case when c.open <= 0 or c.high <= 0 or c.low <= 0 or c.close <= 0 or c.adjusted_close <= 0
                then 'non-positive price' end,
            case when c.low > c.high then 'low above high' end,
            case when c.low <= c.high and c.open not between c.low and c.high then 'open outside [low, high]' end,
            case when c.low <= c.high and c.close not between c.low and c.high then 'close outside [low, high]' end,
            case when c.volume < 0 then 'negative volume' end,
            case when c.trade_date > p_as_of then 'date after as_of ' || p_as_of end,
            case when c.same_date > 1 then 'duplicate date in payload' end
        ), '') as reject_reason
    from checked as c
$$;

comment on function market._parse_bars(jsonb, date) is
'Typed EODHD bars with their shape error (payload refused) or reject reason (bar quarantined); used by market._store_bars.';
