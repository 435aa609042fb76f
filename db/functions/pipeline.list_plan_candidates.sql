-- pipeline.list_plan_candidates: the assets a run may plan work for, with what the planner needs
-- of each: active, not skipped, backoff over, in the run's selection, no open work item (checked
-- only when p_has_open), and something to do (never answered, forced, history owed, a reprocess
-- flag, a gap, prices behind the exchange's expected session, corporate actions asked for or due,
-- fundamentals due). p_exchanges, p_expected, p_previous and p_quotes_yields describe the run's
-- exchanges (same order). Read by both passes of pipeline.discover_delta. Pure read; a
-- SQL-standard body: bound when created and inlined by the planner.
create or replace function pipeline.list_plan_candidates(
    p_now timestamptz,
    p_as_of timestamptz,
    p_refresh_interval interval,
    p_tickers text[],
    p_force boolean,
    p_components text[],
    p_has_open boolean,
    p_exchanges text[],
    p_expected date[],
    p_previous date[],
    p_quotes_yields boolean[]
)
returns table (
    asset_id bigint,
    ticker text,
    exchange_code text,
    first_seen_at timestamptz,
    prices_first_date date,
    prices_last_date date,
    fundamentals_fetched_at timestamptz,
    reprocess_prices boolean,
    reprocess_prices_from date,
    reprocess_fundamentals boolean,
    requested_at timestamptz,
    prices_gap_from date,
    corporate_actions_due boolean,
    history_owed_from date,
    last_success_at timestamptz,
    is_new boolean,
    expected date,
    previous date,
    quotes_yields boolean,
    is_fundamentals_due boolean
)
language sql
stable
parallel safe
-- the parameters are unqualified names here (sqlfluff takes them for columns)
-- noqa: disable=RF02
begin atomic
    select
        a.asset_id,
        a.ticker,
        a.exchange_code,
        a.first_seen_at,
        s.prices_first_date,
        s.prices_last_date,
        s.fundamentals_fetched_at,
        s.reprocess_prices,
        s.reprocess_prices_from,
        s.reprocess_fundamentals,
        coalesce(s.reprocess_requested_at, s.updated_at) as requested_at,
        s.prices_gap_from,
        s.corporate_actions_due,
        s.history_owed_from,
        s.last_success_at,
        -- never answered by a per-ticker request: bulk bars stored meanwhile do not count
        (s.history_owed_from is not null and s.last_success_at is null) as is_new,
        x.expected,
        x.previous,
        x.quotes_yields,
        pipeline.is_fundamentals_due(
            s.fundamentals_fetched_at, a.ticker, x.quotes_yields, x.expected, p_as_of, p_refresh_interval
        ) as is_fundamentals_due
    from market.assets as a
    inner join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
    inner join
        unnest(p_exchanges, p_expected, p_previous, p_quotes_yields)
            as x (exchange_code, expected, previous, quotes_yields)
        on a.exchange_code = x.exchange_code
    where
        a.is_active and s.status <> 'inactive' and not s.is_skipped
        and (s.next_attempt_at is null or s.next_attempt_at <= p_now)
        and (p_tickers is null or a.ticker = any(p_tickers))
        and (not p_has_open or not exists (
            select 1 from pipeline.work_items as w
            where w.asset_id = a.asset_id and w.status in ('pending', 'claimed')
        ))
        and (
            s.last_success_at is null or p_force or s.history_owed_from is not null
            or s.reprocess_prices or s.reprocess_fundamentals or s.prices_gap_from is not null
            or s.prices_last_date is null or s.prices_last_date < x.expected
            or 'corporate_actions' = any(p_components)
            or (
                s.corporate_actions_due
                and ('prices' = any(p_components) or 'corporate_actions' = any(p_components))
            )
            or pipeline.is_fundamentals_due(
                s.fundamentals_fetched_at, a.ticker, x.quotes_yields, x.expected, p_as_of, p_refresh_interval
            )
        );
end;
-- noqa: enable=RF02

comment on function pipeline.list_plan_candidates(
    timestamptz, timestamptz, interval, text[], boolean, text[], boolean, text[], date[], date[], boolean[]
) is
'The assets a run may plan work for (eligible and with something to do), with the planner''s inputs; both '
'passes of discover_delta read it.';
