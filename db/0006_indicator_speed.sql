-- 0006_indicator_speed: keep market.indicator_state rows inline (no TOAST) so the daily update
-- reads and rewrites one heap tuple per asset instead of six out-of-line values. Forward-only.

-- A state row is about 6 kB (the recent windows and the queues); up to 8160 bytes it stays in
-- the heap page, uncompressed (the floats do not compress). Rows are rewritten whole every day,
-- one per page, so no free space is left for HOT.
alter table market.indicator_state set (toast_tuple_target = 8160, fillfactor = 100);
alter table market.indicator_state alter column state set storage main;
alter table market.indicator_state alter column recent_dates set storage main;
alter table market.indicator_state alter column recent_close set storage main;
alter table market.indicator_state alter column recent_high set storage main;
alter table market.indicator_state alter column recent_low set storage main;
alter table market.indicator_state alter column recent_volume set storage main;
