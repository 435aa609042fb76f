-- market._asset_type_of: market.assets.asset_type for an EODHD General.Type, or null when the
-- type is unknown (the asset keeps its type). Called by market.ingest_fundamentals. Pure.
create or replace function market._asset_type_of(p_type text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when lower(btrim(p_type)) in ('common stock', 'preferred stock', 'preferred share', 'stock') then 'stock'
        when lower(btrim(p_type)) in ('etf', 'etc', 'etn') then 'etf'
        when lower(btrim(p_type)) in ('fund', 'mutual fund') then 'fund'
        when lower(btrim(p_type)) = 'index' then 'index'
        when lower(btrim(p_type)) in ('bond', 'government bond') then 'bond'
    end
$$;

comment on function market._asset_type_of(text) is
'EODHD General.Type -> stock | etf | fund | index | bond; null when unknown (Common Stock, Preferred Stock -> stock).';
