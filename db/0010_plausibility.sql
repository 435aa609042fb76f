-- 0010_plausibility: implausible data is refused or held back. A corporate action dated after the
-- business date of the run that saw it is stored but not applied until a run's business date
-- reaches it; bars of a bulk payload must carry the payload's date (market._parse_bars and
-- market._store_bars take it as a new last argument). Forward-only.

alter table market.corporate_actions add column is_pending boolean not null default false;
comment on column market.corporate_actions.is_pending is
'True while the action waits for its date: it was dated after the business date of the run that stored it, '
'so it has adjusted nothing yet; market._apply_due_actions applies it (adjustment_factor, bars_adjusted) once '
'a run''s business date reaches action_date.';
create index corporate_actions_pending_idx on market.corporate_actions (action_date) where is_pending;

comment on table market.corporate_actions is
'Splits and dividends per asset from /splits and /div. An action corrects adjusted_close of the stored bars '
'before its date that do not reflect it yet, once its date has come (is_pending until then).';

comment on table market.price_quarantine is
'Bars rejected by ingest (non-positive price, price outside [1e-6, 1e9], adjusted_close / close outside '
'[1e-6, 1e6], volume above 1e13, low above high, open/close outside [low, high], negative volume, date before '
'1970-01-01, date after the business date, a bulk bar of another date, duplicate date in one payload), one row '
'per rejected bar of a payload.';

-- the new signatures are created by their files in db/functions/; the old ones would make calls ambiguous
drop function if exists market._parse_bars(jsonb, bigint[], date, bigint[]);
drop function if exists market._store_bars(bigint, date, jsonb, bigint[]);
