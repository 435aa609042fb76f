-- Rebuilds indicators and state of the given assets from their first bar (up to p_until, all when null).
-- Called by market.recompute_indicators and market.refresh_indicators. Idempotent.
--
-- The kernel runs in parallel workers: per batch, one parallel query computes every asset of the
-- batch into a temporary table (CREATE TABLE AS may run its query in parallel; INSERT may not),
-- which is then written to market.technical_indicators and market.indicator_state. The leader
-- only collects rows, so it does not take assets itself (parallel_leader_participation off; it
-- still runs the query alone when no worker is free). Workers: max_parallel_workers_per_gather.
create or replace function market._rebuild_indicators(p_asset_ids bigint[], p_until date default null)
returns bigint
language plpgsql
volatile
set search_path = ''
set jit = off
set work_mem = '256MB'
set parallel_setup_cost = 0
set parallel_tuple_cost = 0
set min_parallel_table_scan_size = 0
set parallel_leader_participation = off
as $$
declare
    v_bench record;
    v_rows bigint := 0;
    v_batch bigint[];
    v_count bigint;
begin
    select * into v_bench from market._indicator_benchmark(p_until);
    -- Batches of 5,000 assets bound the temporary table (about 1 GB at 504 bars per asset).
    for v_batch in
        select array_agg(u.asset_id order by u.asset_id)
        from (
            select x.asset_id, (row_number() over (order by x.asset_id) - 1) / 5000 as batch
            from unnest(p_asset_ids) as x (asset_id)
        ) as u
        group by u.batch
    loop
        -- parallel: a parallel scan of market.assets hands each worker its own assets
        create table pg_temp.indicator_rebuild_batch as
        select r.*
        from market.assets as a
        cross join lateral market._compute_asset_indicators(
            a.asset_id, p_until, v_bench.dates, v_bench.closes
        ) as r
        where a.asset_id = any(v_batch);

        delete from market.technical_indicators as ti where ti.asset_id = any(v_batch);
        delete from market.indicator_state as st where st.asset_id = any(v_batch);
        insert into market.technical_indicators
        select
            b.asset_id, b.trade_date, (b.indicators).*
        from pg_temp.indicator_rebuild_batch as b;
        get diagnostics v_count = row_count;
        v_rows := v_rows + v_count;
        insert into market.indicator_state (
            asset_id, first_trade_date, last_trade_date, bar_count, state,
            recent_dates, recent_close, recent_high, recent_low, recent_volume
        )
        select
            b.asset_id, b.first_trade_date, b.trade_date, b.bar_count, b.state,
            b.recent_dates, b.recent_close, b.recent_high, b.recent_low, b.recent_volume
        from pg_temp.indicator_rebuild_batch as b
        where b.state is not null;
        drop table pg_temp.indicator_rebuild_batch;
    end loop;
    return v_rows;
end;
$$;

comment on function market._rebuild_indicators(bigint[], date) is
'Deletes and recomputes market.technical_indicators and market.indicator_state of the given assets from their first '
'bar, computing the assets in parallel workers (market._compute_asset_indicators).';
