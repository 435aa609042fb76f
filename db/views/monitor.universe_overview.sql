-- monitor.universe_overview: per universe and exchange, how many codes are listed, loaded
-- and failing, and the span of trading sessions known. Read-only, for people and the demo.
create or replace view monitor.universe_overview as
select
    u.universe,
    a.exchange_code,
    count(*) filter (where a.is_active) as active_assets,
    count(*) filter (where not a.is_active) as inactive_assets,
    count(*) filter (where a.is_active and s.prices_last_date is not null) as loaded_assets,
    count(*) filter (where s.consecutive_failures > 0) as failing_assets,
    count(*) filter (where s.is_skipped) as skipped_assets,
    max(s.prices_last_date) as latest_bar,
    (
        select min(t.session_date) from market.trading_sessions as t
        where t.exchange_code = a.exchange_code
    ) as first_session,
    (
        select max(t.session_date) from market.trading_sessions as t
        where t.exchange_code = a.exchange_code
    ) as last_session,
    count(*) filter (where a.is_active and s.history_owed_from is not null) as owing_history_assets
from market.universes as u
inner join market.assets as a on u.universe = a.universe
left join pipeline.asset_processing_state as s on a.asset_id = s.asset_id
group by u.universe, a.exchange_code;

comment on view monitor.universe_overview is
'Per universe and exchange: active, inactive, loaded, failing and skipped assets; latest bar; calendar span; '
'assets that still owe history.';
comment on column monitor.universe_overview.owing_history_assets is
'Active assets whose history is still owed (initial load or requested backfill not yet answered).';
