-- pipeline.request_reprocess: ask for fundamentals, prices (optionally from a date: a
-- backfill), indicators or all of them again for the assets whose ticker matches a LIKE
-- pattern. Clears the failure counter, backoff and skip; the flag is cleared when the work is
-- done. A pattern that matches every active asset, or more active assets than the largest
-- exchange has, is refused unless p_all => true says so ('%' and '_%' match everything).
-- Called by operators (psql). Idempotent; returns the count.
create or replace function pipeline.request_reprocess(
    p_ticker_pattern text,
    p_component text,
    p_from date default null,
    p_now timestamptz default null,
    p_all boolean default false
)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_matched integer;
    v_active integer;
    v_largest integer;
    v_count integer;
begin
    if p_component is null or p_component not in ('fundamentals', 'prices', 'indicators', 'all') then
        raise exception 'request_reprocess: unknown component % (fundamentals, prices, indicators, all)',
            coalesce(p_component, '<null>') using errcode = 'invalid_parameter_value';
    end if;
    if p_from is not null and p_component not in ('prices', 'all') then
        raise exception 'request_reprocess: a from date applies to prices only, not %', p_component
            using errcode = 'invalid_parameter_value';
    end if;

    -- a pattern that selects everything must say so
    select count(*) filter (where a.ticker like p_ticker_pattern), count(*) into v_matched, v_active
    from market.assets as a where a.is_active;
    select coalesce(max(n), 0) into v_largest
    from (select count(*) as n from market.assets as a where a.is_active group by a.exchange_code) as e;
    if not coalesce(p_all, false) and v_matched > 1 and (v_matched = v_active or v_matched > v_largest) then
        raise exception 'request_reprocess: the ticker pattern % matches % of % active assets (%); '
            'pass p_all => true to mean it',
            quote_literal(p_ticker_pattern), v_matched, v_active,
            case when v_matched = v_active then 'every one'
                 else format('more than the largest exchange has, %s', v_largest) end
            using errcode = 'invalid_parameter_value';
    end if;

    update pipeline.asset_processing_state as s
       set reprocess_prices = s.reprocess_prices or p_component in ('prices', 'all'),
           reprocess_prices_from = case when p_component in ('prices', 'all')
                                        then p_from else s.reprocess_prices_from end,
           reprocess_fundamentals = s.reprocess_fundamentals or p_component in ('fundamentals', 'all'),
           reprocess_indicators = s.reprocess_indicators or p_component in ('indicators', 'all'),
           needs_indicator_recompute = s.needs_indicator_recompute or p_component in ('indicators', 'all'),
           reprocess_requested_at = v_now,
           consecutive_failures = 0,
           next_attempt_at = null,
           is_skipped = false,
           skip_reason = null,
           status = case when s.status = 'inactive' then 'inactive'
                         when s.last_success_at is null then 'new' else 'active' end,
           updated_at = v_now
      from market.assets as a
     where a.asset_id = s.asset_id and a.ticker like p_ticker_pattern;
    get diagnostics v_count = row_count;
    if v_count = 0 then
        raise exception 'request_reprocess: no asset matches the ticker pattern %', coalesce(p_ticker_pattern, '<null>')
            using errcode = 'invalid_parameter_value';
    end if;
    return v_count;
end;
$$;

comment on function pipeline.request_reprocess(text, text, date, timestamptz, boolean) is
'Request a reprocess (fundamentals, prices [from a date], indicators, all) for tickers LIKE the pattern; clears failures '
'and skip; a pattern matching every active asset (or more than the largest exchange has) needs p_all => true.';
