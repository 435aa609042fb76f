-- 0007_advance_context: market._advance_indicators takes the earliest context date from its caller
-- (market.refresh_indicators reads it in the pass that classifies the assets). The function file
-- re-creates it with the new signature; drop the old one so that calls are not ambiguous.
drop function if exists market._advance_indicators(bigint[], date);
