-- market.run_screen returns rows of market.screener_latest, a materialized view that
-- db/views/market.screener_latest.sql drops and re-creates on every migrate. This file sorts
-- before it: it drops the function, so that drop succeeds; db/views/market.screens.sql, which
-- sorts after it, defines the function again.
drop function if exists market.run_screen(text);
