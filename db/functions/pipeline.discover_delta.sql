-- pipeline.discover_delta: plan a run. Finds what is behind (calendar-aware), new listings,
-- reprocess requests, gaps, corporate actions due and due fundamentals, prices it in API calls
-- (pipeline.get_work_cost: the work kinds' requests and the endpoints' costs, as data),
-- keeps the plan within the day's remaining quota (item by item: one that does not fit is
-- deferred, cheaper ones after it may still be planned) and stores it in pipeline.work_items. Called by the collection DAG
-- after start_execution. Idempotent: a second call for the same execution returns the stored summary.
create or replace function pipeline.discover_delta(p_execution_id bigint, p_now timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_now timestamptz := coalesce(p_now, clock_timestamp());
    v_exec pipeline.process_executions;
    v_set pipeline.settings;
    v_tickers text[];
    v_exchanges text[];
    v_force boolean;
    v_from date;
    v_components text[];
    v_remaining integer;
    v_has_open boolean;
    v_ex text[];
    v_yields boolean[];
    v_bulk_cost integer;
    v_ticker_cost integer;
    v_expected date[];
    v_previous date[];
    v_bulk text[];
    v_bulk_all text[];
    v_bulk_only bigint[];
    v_ca boolean;
    v_budget integer;
    v_min integer;
    v_extra integer[] := '{}';
    v_item record;
    v_candidates bigint;
    v_only_bulk bigint;
    v_scan boolean;
    v_summary jsonb;
begin
    select * into v_exec from pipeline.process_executions as x where x.execution_id = p_execution_id for update;
    if not found then
        raise exception 'discover_delta: unknown execution %', p_execution_id using errcode = 'invalid_parameter_value';
    end if;
    if v_exec.planned_at is not null then
        return v_exec.plan_summary;
    end if;
    if v_exec.status <> 'running' then
        raise exception 'discover_delta: execution % is %, not running', p_execution_id, v_exec.status
            using errcode = 'invalid_parameter_value';
    end if;

    -- one planner at a time, so the quota reserved by other runs is counted right
    perform pg_advisory_xact_lock(hashtext('pipeline.discover_delta'));

    select * into v_set from pipeline.settings;
    v_tickers := array(select jsonb_array_elements_text(v_exec.parameters -> 'tickers'));
    if not v_exec.parameters ? 'tickers' then v_tickers := null; end if;
    v_exchanges := array(select jsonb_array_elements_text(v_exec.parameters -> 'exchanges'));
    if not v_exec.parameters ? 'exchanges' then v_exchanges := null; end if;
    v_force := coalesce((v_exec.parameters ->> 'force')::boolean, false);
    v_from := (v_exec.parameters ->> 'from_date')::date;
    v_components := coalesce(
        array(select jsonb_array_elements_text(v_exec.parameters -> 'components')),
        array['prices', 'fundamentals']
    );
    if not v_exec.parameters ? 'components' then v_components := array['prices', 'fundamentals']; end if;
    -- corporate actions flagged by record_success ride along with the prices component
    v_ca := 'prices' = any(v_components) or 'corporate_actions' = any(v_components);
    v_remaining := greatest(pipeline.get_remaining_quota(v_now, p_execution_id), 0);
    -- a bulk call serves an exchange's one-behind assets when it costs less than one call each
    v_bulk_cost := pipeline.get_work_cost('bulk_prices', false);
    v_ticker_cost := greatest(pipeline.get_work_cost('prices', false), 1);
    v_has_open := exists (select 1 from pipeline.work_items as w where w.status in ('pending', 'claimed'));

    -- a requested from_date is a debt of the selected assets whose answered window does not reach
    -- back to it: owed until a per-ticker request from there is answered, in this run or a later
    -- one. For an asset never answered yet it is where its history starts (instead of
    -- settings.history_start): the operator asked for the history from that date
    if v_from is not null and 'prices' = any(v_components) then
        update pipeline.asset_processing_state as s
           set history_from = case when s.last_success_at is null and s.gaps_checked_from is null
                                   then v_from else least(s.history_from, v_from) end,
               history_owed_from = case when s.last_success_at is null and s.gaps_checked_from is null
                                        then v_from else least(s.history_owed_from, v_from) end,
               updated_at = v_now
          from market.assets as a
         where a.asset_id = s.asset_id and a.is_active
           and (v_tickers is null or a.ticker = any(v_tickers))
           and (v_exchanges is null or a.exchange_code = any(v_exchanges))
           and ((s.last_success_at is null and s.gaps_checked_from is null
                 and s.history_owed_from is distinct from v_from)
                or (coalesce(s.gaps_checked_from, 'infinity') > v_from
                    and coalesce(s.history_owed_from, 'infinity') > v_from));
    end if;

    -- force: the operator's selection is fetched now, whatever its backoff or skip (as a
    -- reprocess request would; start_execution refuses a force without a selection)
    if v_force then
        update pipeline.asset_processing_state as s
           set consecutive_failures = 0, next_attempt_at = null, is_skipped = false, skip_reason = null,
               status = case when s.status not in ('failing', 'skipped') then s.status
                             when s.last_success_at is null then 'new' else 'active' end,
               updated_at = v_now
          from market.assets as a
         where a.asset_id = s.asset_id and a.is_active and s.status <> 'inactive'
           and (v_tickers is null or a.ticker = any(v_tickers))
           and (v_exchanges is null or a.exchange_code = any(v_exchanges))
           and (s.next_attempt_at is not null or s.is_skipped or s.consecutive_failures > 0);
    end if;

    -- per exchange: the session expected as of the run, and the one before it
    select array_agg(g.exchange_code order by g.exchange_code), array_agg(g.expected order by g.exchange_code),
           array_agg((select max(t.session_date) from market.trading_sessions as t
                      where t.exchange_code = g.exchange_code and t.session_date < g.expected)
                     order by g.exchange_code),
           array_agg(g.quotes_yields order by g.exchange_code)
      into v_ex, v_expected, v_previous, v_yields
      from (select e.exchange_code, pipeline.get_expected_session(e.exchange_code, v_exec.as_of) as expected,
                   e.quotes_yields
            from market.exchanges as e
            where v_exchanges is null or e.exchange_code = any(v_exchanges)) as g;

    -- one pass over the eligible assets: how many have anything to do, and bulk: the exchanges
    -- where more are exactly one session behind than one bulk call costs in per-ticker calls
    select coalesce(array_agg(b.exchange_code order by b.one_behind desc, b.exchange_code)
                        filter (where b.one_behind * v_ticker_cost > v_bulk_cost), '{}'),
           coalesce(array_agg(b.only_bulk order by b.one_behind desc, b.exchange_code)
                        filter (where b.one_behind * v_ticker_cost > v_bulk_cost), '{}'),
           coalesce(sum(b.n), 0)
      into v_bulk_all, v_bulk_only, v_candidates
    from (
        select c.exchange_code,
               count(*) filter (
                   where 'prices' = any(v_components) and not v_force
                     and c.last_success_at is not null and not c.reprocess_prices and c.prices_gap_from is null
                     and c.history_owed_from is null
                     and c.prices_last_date = c.previous
               ) as one_behind,
               count(*) filter (
                   where 'prices' = any(v_components) and not v_force
                     and c.last_success_at is not null and not c.reprocess_prices and c.prices_gap_from is null
                     and c.history_owed_from is null
                     and c.prices_last_date = c.previous
                     and not c.reprocess_fundamentals and not 'corporate_actions' = any(v_components)
                     and not (c.corporate_actions_due and v_ca)
                     and not ('fundamentals' = any(v_components) and c.is_fundamentals_due)
               ) as only_bulk,
               count(*) as n
        from pipeline.list_plan_candidates(
            v_now, v_exec.as_of, v_set.fundamentals_refresh_interval, v_tickers, v_force, v_components, v_has_open,
            v_ex, v_expected, v_previous, v_yields
        ) as c
        group by c.exchange_code
    ) as b;

    if v_candidates = 0 then
        -- nothing to do (weekend, holiday, all fresh): an empty plan
        v_summary := jsonb_build_object(
            'execution_id', p_execution_id, 'as_of', v_exec.as_of, 'remaining_quota', v_remaining,
            'planned_items', 0, 'planned_cost', 0, 'planned_tickers', 0, 'deferred_items', 0, 'deferred_cost', 0,
            'by_kind', '{}'::jsonb, 'by_exchange', '{}'::jsonb,
            'expected_sessions', coalesce((select jsonb_object_agg(x.exchange_code, x.expected)
                                           from unnest(v_ex, v_expected) as x (exchange_code, expected)), '{}')
        );
        update pipeline.process_executions as x
           set planned_at = v_now, plan_summary = v_summary
         where x.execution_id = p_execution_id;
        return v_summary;
    end if;

    -- a bulk call only where it fits the quota (most assets served first); the other exchanges
    -- fall back to per-ticker calls, as many as fit
    v_bulk := '{}';
    v_only_bulk := 0;
    v_budget := v_remaining;
    for i in 1 .. coalesce(cardinality(v_bulk_all), 0) loop
        if v_budget >= v_bulk_cost then
            v_bulk := v_bulk || v_bulk_all[i];
            v_only_bulk := v_only_bulk + v_bulk_only[i];
            v_budget := v_budget - v_bulk_cost;
        end if;
    end loop;

    -- when every candidate is served by a bulk call, the assets need not be read again
    v_scan := v_candidates > v_only_bulk;

    if to_regclass('pg_temp.discover_delta_plan') is not null then
        drop table pg_temp.discover_delta_plan;
    end if;
    create temp table pg_temp.discover_delta_plan on commit drop as
    with ex2 as (
        select x.exchange_code, x.expected, x.previous, x.quotes_yields
        from unnest(v_ex, v_expected, v_previous, v_yields) as x (exchange_code, expected, previous, quotes_yields)
    ),
    -- what one item of each kind costs (pipeline.work_kind_requests, pipeline.endpoints)
    costs as (
        select k.kind, y.quotes_yields, pipeline.get_work_cost(k.kind, y.quotes_yields) as cost,
               exists (select 1 from pipeline.work_kind_requests as r
                       where r.kind = k.kind and (r.for_yields or not y.quotes_yields)) as has_requests
        from pipeline.work_kinds as k
        cross join (values (false), (true)) as y (quotes_yields)
    ),
    -- the candidates again, less those whose only work is a bulk call's (one behind on a bulk exchange)
    a as (
        select c.*
        from pipeline.list_plan_candidates(
            v_now, v_exec.as_of, v_set.fundamentals_refresh_interval, v_tickers, v_force, v_components, v_has_open,
            v_ex, v_expected, v_previous, v_yields
        ) as c
        where v_scan
          and (c.last_success_at is null or v_force or c.history_owed_from is not null
               or c.reprocess_prices or c.reprocess_fundamentals or c.prices_gap_from is not null
               or c.prices_last_date is null
               or (c.prices_last_date < c.expected
                   and not (c.prices_last_date = c.previous and c.exchange_code = any(v_bulk)))
               or 'corporate_actions' = any(v_components) or (c.corporate_actions_due and v_ca)
               or c.is_fundamentals_due)
    ),
    -- the one price-bearing plan of each asset
    p as (
        select a.*,
            case
                when a.is_new then 'initial_load'
                when not 'prices' = any(v_components) or a.expected is null then null
                when a.reprocess_prices or v_force then 'reprocess'
                when a.history_owed_from is not null then 'backfill'
                when a.prices_gap_from is not null then 'gap'
                when a.prices_last_date is null then 'fresh'
                when a.prices_last_date >= a.expected then null
                when a.prices_last_date = a.previous and a.exchange_code = any(v_bulk) then null
                when a.prices_last_date = a.previous then 'one_behind'
                else 'fresh'
            end as plan
        from a
    ),
    bulk as (
        select x.exchange_code, x.expected, x.previous, x.quotes_yields from ex2 as x where x.exchange_code = any(v_bulk)
    ),
    cand as (
        select p.asset_id, p.ticker, p.exchange_code,
               case p.plan when 'initial_load' then 'initial_load'
                           when 'fresh' then 'prices' when 'one_behind' then 'prices' else 'backfill' end as kind,
               case p.plan when 'initial_load' then 'new_listing' when 'one_behind' then 'fresh' else p.plan end as reason,
               case p.plan when 'initial_load' then 3 when 'fresh' then 1 when 'one_behind' then 1 else 2 end as priority,
               case p.plan
                   when 'initial_load' then coalesce(p.history_owed_from, v_set.history_start)
                   when 'reprocess' then coalesce(
                       case when p.reprocess_prices then p.reprocess_prices_from end, v_from, v_set.history_start)
                   when 'backfill' then p.history_owed_from
                   when 'gap' then p.prices_gap_from
                   -- one overlapping bar (same 1 call): a rewritten adjusted_close shows a new action
                   else coalesce(p.prices_last_date, v_set.history_start)
               end as from_date,
               coalesce(p.expected, (v_exec.as_of at time zone 'UTC')::date) as to_date,
               p.quotes_yields,
               case when p.plan in ('initial_load') then p.first_seen_at
                    when p.plan in ('reprocess', 'backfill', 'gap') then p.requested_at
                    else coalesce(p.prices_last_date, date '1900-01-01')::timestamptz end as waiting_since
        from p
        where p.plan is not null
        union all
        select null, null, b.exchange_code, 'bulk_prices', 'fresh', 0, b.expected, b.expected, b.quotes_yields,
               b.previous::timestamptz
        from bulk as b
        union all
        select a.asset_id, a.ticker, a.exchange_code, 'fundamentals',
               case when a.reprocess_fundamentals or v_force then 'reprocess' else 'schedule' end,
               case when a.reprocess_fundamentals or v_force then 2 else 4 end,
               null, null, a.quotes_yields,
               case when a.reprocess_fundamentals or v_force then a.requested_at
                    else coalesce(a.fundamentals_fetched_at, '-infinity') end
        from a
        where not a.is_new and not a.quotes_yields and 'fundamentals' = any(v_components)
          and (a.reprocess_fundamentals or v_force or a.is_fundamentals_due)
        union all
        select a.asset_id, a.ticker, a.exchange_code, 'corporate_actions',
               case when 'corporate_actions' = any(v_components) then 'requested' else 'corporate_action' end, 2,
               case when 'corporate_actions' = any(v_components)
                    then coalesce(v_from, a.prices_first_date, v_set.history_start)
                    else coalesce((select max(ca.action_date) from market.corporate_actions as ca
                                   where ca.asset_id = a.asset_id), a.prices_first_date, v_set.history_start) end,
               coalesce(a.expected, (v_exec.as_of at time zone 'UTC')::date), a.quotes_yields, a.requested_at
        from a
        where not a.is_new and not a.quotes_yields
          and ('corporate_actions' = any(v_components) or (a.corporate_actions_due and v_ca))
    ),
    ranked as (
        select c.*, k.cost,
               row_number() over (
                   partition by c.priority, c.exchange_code
                   order by c.waiting_since, hashtext(coalesce(c.ticker, c.exchange_code)), c.asset_id
               ) as rr
        from cand as c
        inner join costs as k on c.kind = k.kind and c.quotes_yields = k.quotes_yields
        where (c.from_date is null or c.from_date <= c.to_date) and k.has_requests
    ),
    ordered as (
        select r.*,
               row_number() over (order by r.priority, r.rr, r.exchange_code, r.kind) as claim_order
        from ranked as r
    ),
    costed as (
        select o.*, sum(o.cost) over (order by o.claim_order) as running_cost
        from ordered as o
    )
    select c.* from costed as c;

    -- the quota per item: the prefix that fits is planned; after it, each item that still fits
    -- (in claim order) is planned too, so a large item never blocks cheaper ones behind it
    select coalesce(max(c.running_cost) filter (where c.running_cost <= v_remaining), 0),
           min(c.cost) filter (where c.running_cost > v_remaining)
      into v_budget, v_min
      from pg_temp.discover_delta_plan as c;
    v_budget := v_remaining - v_budget;
    if v_min is not null and v_budget >= v_min then
        for v_item in select c.claim_order, c.cost from pg_temp.discover_delta_plan as c
                      where c.running_cost > v_remaining order by c.claim_order loop
            if v_item.cost <= v_budget then
                v_extra := v_extra || v_item.claim_order::integer;
                v_budget := v_budget - v_item.cost;
                exit when v_budget < v_min;
            end if;
        end loop;
    end if;

    with plan as (
        select c.*, (c.running_cost <= v_remaining or c.claim_order = any(v_extra)) as keep
        from pg_temp.discover_delta_plan as c
    ),
    ins as (
        insert into pipeline.work_items (
            execution_id, kind, reason, asset_id, exchange_code, from_date, to_date,
            planned_cost, priority, claim_order
        )
        select p_execution_id, c.kind, c.reason, c.asset_id, c.exchange_code, c.from_date, c.to_date,
               c.cost, c.priority, c.claim_order
        from plan as c
        where c.keep
        returning kind, exchange_code, planned_cost, asset_id
    )
    select jsonb_build_object(
        'execution_id', p_execution_id,
        'as_of', v_exec.as_of,
        'remaining_quota', v_remaining,
        'planned_items', (select count(*) from ins),
        'planned_cost', (select coalesce(sum(i.planned_cost), 0) from ins as i),
        'planned_tickers', (select count(distinct i.asset_id) from ins as i),
        'deferred_items', (select count(*) from plan as c where not c.keep),
        'deferred_cost', (select coalesce(sum(c.cost), 0) from plan as c where not c.keep),
        'by_kind', coalesce((
            select jsonb_object_agg(k.kind, jsonb_build_object('items', k.n, 'cost', k.cost))
            from (select i.kind, count(*) as n, sum(i.planned_cost) as cost from ins as i group by i.kind) as k
        ), '{}'),
        'by_exchange', coalesce((
            select jsonb_object_agg(k.exchange_code, jsonb_build_object('items', k.n, 'cost', k.cost))
            from (select i.exchange_code, count(*) as n, sum(i.planned_cost) as cost
                  from ins as i group by i.exchange_code) as k
        ), '{}'),
        'expected_sessions', coalesce((select jsonb_object_agg(x.exchange_code, x.expected)
                                       from unnest(v_ex, v_expected) as x (exchange_code, expected)), '{}')
    ) into v_summary;
    drop table pg_temp.discover_delta_plan;

    update pipeline.process_executions as x
       set planned_at = v_now, plan_summary = v_summary
     where x.execution_id = p_execution_id;
    return v_summary;
end;
$$;

comment on function pipeline.discover_delta(bigint, timestamptz) is
'Plan the execution: store its work items (within the remaining quota) and return a jsonb summary; idempotent per execution.';
