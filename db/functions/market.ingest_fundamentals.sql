-- market.ingest_fundamentals: store one landed /fundamentals payload in market.fundamentals
-- (payload + key figures) and set the asset's type, name, currency, ISIN, country, sector and
-- industry from General. Called by the fetcher after raw.land_response, same transaction.
-- Idempotent: the same payload again changes nothing (fetched_at is when the stored content
-- first arrived). ETFs and funds lack Highlights: their figures come from ETF_Data /
-- MutualFund_Data where there is one, else stay null. null, "" and "0000-00-00" are missing;
-- a non-numeric key figure is stored as null and named in the message. Bonds (asset type
-- bond, or of an exchange that quotes yields: market.exchanges.quotes_yields) never get fundamentals: data_error, nothing written.
-- The payload must name the asset it was asked for: General.Code = the asset's symbol, and
-- General.Exchange, when it names an exchange of market.exchanges (the US venues NYSE, NASDAQ,
-- ... stand for US), the asset's exchange; otherwise data_error, nothing written (the asset is
-- not renamed after another instrument). General.Type moves an asset only among stock, etf and
-- fund: a bond or index type in the fundamentals of such an asset is named, never taken.
create or replace function market.ingest_fundamentals(p_payload_id bigint, p_asset_id bigint)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_payload raw.eodhd_payloads;
    v_asset market.assets;
    v_body jsonb;
    v_general jsonb;
    v_highlights jsonb;
    v_etf jsonb;
    v_fund jsonb;
    v_figures jsonb;
    v_bad text[];
    v_type text;
    v_type_named text;
    v_code text;
    v_venue text;
    v_isin text;
    v_changed integer;
begin
    v_payload := market._ingest_payload(p_payload_id, array['fundamentals'], 'ingest_fundamentals');
    v_asset := market._ingest_asset(p_asset_id, v_payload, 'ingest_fundamentals');
    v_body := v_payload.body;

    if v_asset.asset_type = 'bond' or exists (
        select 1 from market.exchanges as e where e.exchange_code = v_asset.exchange_code and e.quotes_yields
    ) then
        return market._finish_ingest(p_payload_id,
            market._data_error('bonds have no fundamentals: ' || v_asset.ticker || ' loads prices only'));
    end if;
    if v_body is null then
        return market._finish_ingest(p_payload_id,
            market._data_error(coalesce(v_payload.ingest_error, 'payload has no body')));
    end if;
    if jsonb_typeof(v_body) <> 'object' then
        return market._finish_ingest(p_payload_id,
            market._data_error('expected a JSON object, got ' || jsonb_typeof(v_body)));
    end if;
    if jsonb_typeof(v_body -> 'General') is distinct from 'object' or v_body -> 'General' = '{}' then
        return market._finish_ingest(p_payload_id, market._data_error('fundamentals without a General section'));
    end if;

    v_general := v_body -> 'General';
    -- the instrument the payload describes must be the one asked for
    v_code := upper(btrim(v_general ->> 'Code'));
    v_venue := upper(btrim(v_general ->> 'Exchange'));
    if v_venue in ('NYSE', 'NASDAQ', 'NYSE ARCA', 'NYSE MKT', 'NYSE AMERICAN', 'AMEX', 'BATS', 'CBOE', 'NMFQS',
                   'OTC', 'OTCQX', 'OTCQB', 'OTCMKTS', 'OTCGREY', 'OTCCE', 'PINK') then
        v_venue := 'US';
    end if;
    if v_code is distinct from upper(v_asset.symbol) then
        return market._finish_ingest(p_payload_id, market._data_error(format(
            'fundamentals of another instrument: General.Code %s, expected %s for %s',
            coalesce(to_jsonb(left(v_general ->> 'Code', 40))::text, 'missing'), v_asset.symbol, v_asset.ticker)));
    end if;
    if v_venue <> v_asset.exchange_code and exists (select from market.exchanges as e where e.exchange_code = v_venue) then
        return market._finish_ingest(p_payload_id, market._data_error(format(
            'fundamentals of another listing: General.Exchange %s, expected %s for %s',
            to_jsonb(left(v_general ->> 'Exchange', 40))::text, v_asset.exchange_code, v_asset.ticker)));
    end if;
    v_highlights := case when jsonb_typeof(v_body -> 'Highlights') = 'object' then v_body -> 'Highlights' end;
    v_etf := case when jsonb_typeof(v_body -> 'ETF_Data') = 'object' then v_body -> 'ETF_Data' end;
    v_fund := case when jsonb_typeof(v_body -> 'MutualFund_Data') = 'object' then v_body -> 'MutualFund_Data' end;

    -- the key figures as sent (jsonb), then typed; NaN marks a value that is not a number
    v_figures := jsonb_strip_nulls(jsonb_build_object(
        'market_cap', coalesce(v_highlights -> 'MarketCapitalization', v_etf -> 'TotalAssets',
                               v_fund -> 'Portfolio_Net_Assets'),
        'pe_ratio', v_highlights -> 'PERatio',
        'eps', v_highlights -> 'EarningsShare',
        'dividend_yield', v_highlights -> 'DividendYield',
        'etf_yield_percent', coalesce(v_etf -> 'Yield', v_fund -> 'Yield'),
        'shares_outstanding', v_body -> 'SharesStats' -> 'SharesOutstanding',
        'book_value', v_highlights -> 'BookValue',
        'beta', v_body -> 'Technicals' -> 'Beta'
    ));
    select array_agg(f.key order by f.key) into v_bad
    from jsonb_each(v_figures) as f
    where market._json_number(f.value) = 'NaN'
       or (f.key in ('market_cap', 'shares_outstanding') and market._json_number(f.value) < 0);

    -- fundamentals move an asset only among stock, etf and fund (bonds and indices are known by their exchange)
    v_type_named := market._asset_type_of(v_general ->> 'Type');
    v_type := case when v_type_named in ('stock', 'etf', 'fund') and v_asset.asset_type in ('stock', 'etf', 'fund')
        then v_type_named end;
    v_isin := upper(nullif(btrim(v_general ->> 'ISIN'), ''));
    if v_isin !~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$' then
        v_isin := null;
    end if;

    insert into market.fundamentals as f (
        asset_id, payload, market_cap, pe_ratio, eps, dividend_yield, shares_outstanding, book_value, beta,
        sector, industry, fetched_at
    )
    select p_asset_id, v_body, n.market_cap, n.pe_ratio, n.eps,
           coalesce(n.dividend_yield, n.etf_yield_percent / 100), n.shares_outstanding, n.book_value, n.beta,
           nullif(btrim(v_general ->> 'Sector'), ''), nullif(btrim(v_general ->> 'Industry'), ''),
           v_payload.received_at
    from (
        select
            case when k.market_cap >= 0 then k.market_cap end as market_cap,
            nullif(k.pe_ratio, 'NaN') as pe_ratio,
            nullif(k.eps, 'NaN') as eps,
            nullif(k.dividend_yield, 'NaN') as dividend_yield,
            nullif(k.etf_yield_percent, 'NaN') as etf_yield_percent,
            case when k.shares_outstanding >= 0 then k.shares_outstanding end as shares_outstanding,
            nullif(k.book_value, 'NaN') as book_value,
            nullif(k.beta, 'NaN') as beta
        from (
            select
                market._json_number(v_figures -> 'market_cap') as market_cap,
                market._json_number(v_figures -> 'pe_ratio') as pe_ratio,
                market._json_number(v_figures -> 'eps') as eps,
                market._json_number(v_figures -> 'dividend_yield') as dividend_yield,
                market._json_number(v_figures -> 'etf_yield_percent') as etf_yield_percent,
                market._json_number(v_figures -> 'shares_outstanding') as shares_outstanding,
                market._json_number(v_figures -> 'book_value') as book_value,
                market._json_number(v_figures -> 'beta') as beta
        ) as k
    ) as n
    on conflict on constraint fundamentals_pkey do update
    set payload = excluded.payload, market_cap = excluded.market_cap, pe_ratio = excluded.pe_ratio,
        eps = excluded.eps, dividend_yield = excluded.dividend_yield,
        shares_outstanding = excluded.shares_outstanding, book_value = excluded.book_value,
        beta = excluded.beta, sector = excluded.sector, industry = excluded.industry,
        fetched_at = excluded.fetched_at, updated_at = now()
    where (f.payload, f.sector, f.industry) is distinct from (excluded.payload, excluded.sector, excluded.industry);
    get diagnostics v_changed = row_count;

    update market.assets as a
    set asset_type = coalesce(v_type, a.asset_type),
        name = coalesce(nullif(btrim(v_general ->> 'Name'), ''), a.name),
        currency = coalesce(nullif(btrim(v_general ->> 'CurrencyCode'), ''), a.currency),
        isin = coalesce(v_isin, a.isin),
        country = coalesce(nullif(btrim(v_general ->> 'CountryISO'), ''), a.country),
        sector = coalesce(nullif(btrim(v_general ->> 'Sector'), ''), a.sector),
        industry = coalesce(nullif(btrim(v_general ->> 'Industry'), ''), a.industry),
        updated_at = now()
    where a.asset_id = p_asset_id
      and (a.asset_type, a.name, a.currency, a.isin, a.country, a.sector, a.industry) is distinct from (
          coalesce(v_type, a.asset_type),
          coalesce(nullif(btrim(v_general ->> 'Name'), ''), a.name),
          coalesce(nullif(btrim(v_general ->> 'CurrencyCode'), ''), a.currency),
          coalesce(v_isin, a.isin),
          coalesce(nullif(btrim(v_general ->> 'CountryISO'), ''), a.country),
          coalesce(nullif(btrim(v_general ->> 'Sector'), ''), a.sector),
          coalesce(nullif(btrim(v_general ->> 'Industry'), ''), a.industry)
      );

    return market._finish_ingest(p_payload_id, jsonb_build_object(
        'status', 'ok', 'rows_stored', 1, 'rows_rejected', 0, 'rows_changed', v_changed,
        'first_date', null, 'last_date', null,
        'asset_type', coalesce(v_type, v_asset.asset_type),
        'message', 'fundamentals of ' || v_asset.ticker || ' stored'
        || case when v_changed = 0 then ' (unchanged)' else '' end
        || case when v_type_named is null
                then '; unknown type "' || coalesce(left(v_general ->> 'Type', 40), '') || '", asset type kept'
            when v_type is null
                then '; type "' || left(v_general ->> 'Type', 40) || '" not taken: fundamentals set stock, etf or fund only, '
                    || 'asset type ' || v_asset.asset_type || ' kept'
            else '' end
        || case when v_bad is not null then '; not a number, stored as null: ' || array_to_string(v_bad, ', ')
            else '' end
    ));
end;
$$;

comment on function market.ingest_fundamentals(bigint, bigint) is
'Ingest one /fundamentals payload: market.fundamentals (payload + key figures) and the asset''s type (among stock, '
'etf, fund), name, currency, ISIN, country, sector, industry; bonds and payloads naming another instrument '
'(General.Code, General.Exchange) are refused; returns the ingest result jsonb.';
