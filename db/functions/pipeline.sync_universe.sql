-- pipeline.sync_universe: make market.assets and pipeline.asset_processing_state match one
-- universe file (config/tickers/<universe>.txt). Called by `python -m fetcher sync-universe`
-- and the collection DAGs. Idempotent: a second call with the same list changes nothing.
-- New codes get an asset and a state row; codes no longer listed become inactive (never
-- deleted); reappearing ones are reactivated. Invalid codes raise one error listing them all.
-- An empty list (which would deactivate the whole universe) is refused unless p_allow_empty.
create or replace function pipeline.sync_universe(
    p_exchange text,
    p_tickers text[],
    p_as_of date,
    p_allow_empty boolean default false
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_universe market.universes;
    v_invalid text[];
    v_codes text[];
    v_added integer;
    v_moved integer;
    v_reactivated integer;
    v_deactivated integer;
    v_listed integer;
begin
    select * into v_universe from market.universes u where u.universe = p_exchange;
    if not found then
        raise exception 'sync_universe: unknown universe "%" (known: %)', p_exchange,
            (select string_agg(u.universe, ', ' order by u.universe) from market.universes u)
            using errcode = 'invalid_parameter_value';
    end if;
    if p_as_of is null then
        raise exception 'sync_universe: p_as_of must not be null' using errcode = 'null_value_not_allowed';
    end if;

    select array_agg(distinct t order by t) into v_invalid
    from unnest(coalesce(p_tickers, '{}')) as t
    where t is null
       or not market.is_valid_ticker(t)
       or split_part(t, '.', 2) <> all (v_universe.exchange_codes);
    if v_invalid is not null then
        raise exception 'sync_universe: % invalid code(s) for universe % (allowed exchanges %): %',
            cardinality(v_invalid), p_exchange, v_universe.exchange_codes,
            array_to_string(v_invalid, ', ', '<null>')
            using errcode = 'invalid_parameter_value';
    end if;

    -- one sync per universe at a time (transaction-scoped: safe behind PgBouncer)
    perform pg_advisory_xact_lock(hashtext('pipeline.sync_universe'), hashtext(p_exchange));

    select coalesce(array_agg(distinct t order by t), '{}') into v_codes
    from unnest(p_tickers) as t;
    v_listed := cardinality(v_codes);
    if v_listed = 0 and not coalesce(p_allow_empty, false) then
        raise exception 'sync_universe: the list for universe % is empty: it would deactivate all % active asset(s); '
            'pass p_allow_empty => true to mean it',
            p_exchange, (select count(*) from market.assets as a where a.universe = p_exchange and a.is_active)
            using errcode = 'invalid_parameter_value';
    end if;

    with inserted as (
        insert into market.assets (ticker, symbol, exchange_code, universe, listing_venue, asset_type, listed_on)
        select l.ticker, split_part(l.ticker, '.', 1), split_part(l.ticker, '.', 2), p_exchange,
               coalesce(v_universe.listing_venue, split_part(l.ticker, '.', 2)),
               case when e.quotes_yields then 'bond' else 'stock' end,
               p_as_of
        from unnest(v_codes) as l (ticker)
        left join market.exchanges as e on split_part(l.ticker, '.', 2) = e.exchange_code
        on conflict (ticker) do nothing
        returning asset_id
    )
    insert into pipeline.asset_processing_state (asset_id)
    select asset_id from inserted;
    get diagnostics v_added = row_count;

    -- listed here now but last seen in another universe (e.g. moved from NYSE to NASDAQ)
    update market.assets a
       set universe = p_exchange,
           listing_venue = coalesce(v_universe.listing_venue, a.exchange_code),
           updated_at = now()
      from unnest(v_codes) as l (ticker)
     where a.ticker = l.ticker and a.universe is distinct from p_exchange;
    get diagnostics v_moved = row_count;

    with reactivated as (
        update market.assets a
           set is_active = true, delisted_on = null, updated_at = now()
          from unnest(v_codes) as l (ticker)
         where a.ticker = l.ticker and not a.is_active
        returning a.asset_id
    )
    update pipeline.asset_processing_state s
       set status = case when s.prices_last_date is null then 'new' else 'active' end,
           updated_at = now()
      from reactivated r
     where s.asset_id = r.asset_id;
    get diagnostics v_reactivated = row_count;

    with deactivated as (
        update market.assets a
           set is_active = false, delisted_on = p_as_of, updated_at = now()
         where a.universe = p_exchange and a.is_active
           and not (a.ticker = any (v_codes))
        returning a.asset_id
    )
    update pipeline.asset_processing_state s
       set status = 'inactive', updated_at = now()
      from deactivated d
     where s.asset_id = d.asset_id;
    get diagnostics v_deactivated = row_count;

    return jsonb_build_object(
        'universe', p_exchange,
        'listed', v_listed,
        'added', v_added,
        'moved', v_moved,
        'reactivated', v_reactivated,
        'deactivated', v_deactivated,
        'unchanged', v_listed - v_added - v_reactivated
    );
end;
$$;

comment on function pipeline.sync_universe(text, text[], date, boolean) is
'Sync one universe (config/tickers/<p_exchange>.txt) into market.assets and pipeline.asset_processing_state; idempotent; '
'returns counts as jsonb; an empty list is refused unless p_allow_empty.';
