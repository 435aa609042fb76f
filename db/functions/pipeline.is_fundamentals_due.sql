-- pipeline.is_fundamentals_due: whether an asset's scheduled fundamentals fall due in a run as of
-- p_as_of: never for a yield series, only on a session day of its exchange (its expected session
-- is the run's day), when never fetched, older than the refresh interval, or older than half of
-- it on the asset's slot day (hash of the ticker: the refreshes spread over the interval).
-- Called by pipeline.list_plan_candidates (for pipeline.discover_delta). Stable (timestamptz
-- arithmetic); a SQL-standard body:
-- bound when created (no search_path to pin) and inlined by the planner.
create or replace function pipeline.is_fundamentals_due(
    p_fetched_at timestamptz,
    p_ticker text,
    p_quotes_yields boolean,
    p_expected date,
    p_as_of timestamptz,
    p_refresh_interval interval
)
returns boolean
language sql
stable
parallel safe
return not p_quotes_yields
and p_expected = (p_as_of at time zone 'UTC')::date
and (
    p_fetched_at is null
    or p_fetched_at <= p_as_of - p_refresh_interval
    or (
        p_fetched_at <= p_as_of - p_refresh_interval / 2
        and ((p_as_of at time zone 'UTC')::date - date '2000-01-01' + abs(hashtext(p_ticker)::bigint))
        % greatest(1, (extract(epoch from p_refresh_interval) / 86400)::integer) = 0
    )
);

comment on function pipeline.is_fundamentals_due(timestamptz, text, boolean, date, timestamptz, interval) is
'Whether an asset''s scheduled fundamentals are due in a run as of p_as_of (session day, interval, slot day).';
