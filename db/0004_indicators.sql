-- 0004_indicators: technical indicators (one wide row per asset and day), their per-asset
-- running state for the daily update, the indicator catalog, and the beta benchmark setting.
-- Forward-only: never edit after it has landed; add a new numbered migration instead.

alter table pipeline.settings add column benchmark_ticker text not null default 'SPY.US';
comment on column pipeline.settings.benchmark_ticker is
'EODHD code of the benchmark that market.technical_indicators.beta_252 is measured against.';

-- ---------------------------------------------------------------------------------------------
create table market.technical_indicators (
    asset_id bigint not null,
    trade_date date not null,
    sma_5 double precision,
    sma_10 double precision,
    sma_20 double precision,
    sma_50 double precision,
    sma_100 double precision,
    sma_200 double precision,
    ema_12 double precision,
    ema_26 double precision,
    ema_50 double precision,
    ema_200 double precision,
    wma_20 double precision,
    rsi_14 double precision,
    macd_line double precision,
    macd_signal double precision,
    macd_hist double precision,
    bb_upper_20 double precision,
    bb_middle_20 double precision,
    bb_lower_20 double precision,
    bb_bandwidth_20 double precision,
    bb_percent_b_20 double precision,
    atr_14 double precision,
    stoch_k double precision,
    stoch_d double precision,
    stoch_rsi_14 double precision,
    willr_14 double precision,
    cci_20 double precision,
    roc_10 double precision,
    mom_10 double precision,
    obv double precision,
    adx_14 double precision,
    plus_di_14 double precision,
    minus_di_14 double precision,
    mfi_14 double precision,
    sar double precision,
    stddev_20 double precision,
    linreg_slope_20 double precision,
    volatility_30 double precision,
    avg_volume_30 double precision,
    avg_volume_90 double precision,
    high_52w double precision,
    low_52w double precision,
    beta_252 double precision,
    constraint technical_indicators_pkey primary key (asset_id, trade_date),
    constraint technical_indicators_asset_fkey foreign key (asset_id) references market.assets (asset_id)
);
comment on table market.technical_indicators is
'Technical indicators, one row per asset and trading day, computed from split- and dividend-adjusted OHLC '
'(raw price * adjusted_close / close) and raw volume. NULL during warm-up, never NaN. '
'Definitions, parameters and lookbacks: market.indicator_catalog.';
comment on column market.technical_indicators.trade_date is 'Session date of the bar the row belongs to.';
comment on column market.technical_indicators.sma_5 is 'Simple moving average of the adjusted close, 5 bars (TA-Lib SMA).';
comment on column market.technical_indicators.sma_10 is 'Simple moving average of the adjusted close, 10 bars (TA-Lib SMA).';
comment on column market.technical_indicators.sma_20 is 'Simple moving average of the adjusted close, 20 bars (TA-Lib SMA).';
comment on column market.technical_indicators.sma_50 is 'Simple moving average of the adjusted close, 50 bars (TA-Lib SMA).';
comment on column market.technical_indicators.sma_100 is 'Simple moving average of the adjusted close, 100 bars (TA-Lib SMA).';
comment on column market.technical_indicators.sma_200 is 'Simple moving average of the adjusted close, 200 bars (TA-Lib SMA).';
comment on column market.technical_indicators.ema_12 is 'Exponential moving average, 12 bars, seeded with the SMA of the first 12 (TA-Lib EMA).';
comment on column market.technical_indicators.ema_26 is 'Exponential moving average, 26 bars (TA-Lib EMA).';
comment on column market.technical_indicators.ema_50 is 'Exponential moving average, 50 bars (TA-Lib EMA).';
comment on column market.technical_indicators.ema_200 is 'Exponential moving average, 200 bars (TA-Lib EMA).';
comment on column market.technical_indicators.wma_20 is 'Linearly weighted moving average, 20 bars (TA-Lib WMA).';
comment on column market.technical_indicators.rsi_14 is 'Wilder relative strength index, 14 bars (TA-Lib RSI).';
comment on column market.technical_indicators.macd_line is 'MACD line 12/26 with TA-Lib seeding (TA-Lib MACD macd).';
comment on column market.technical_indicators.macd_signal is 'MACD signal, EMA 9 of the line (TA-Lib MACD macdsignal).';
comment on column market.technical_indicators.macd_hist is 'MACD histogram = line - signal (TA-Lib MACD macdhist).';
comment on column market.technical_indicators.bb_upper_20 is 'Upper Bollinger band: SMA 20 + 2 population sigma (TA-Lib BBANDS).';
comment on column market.technical_indicators.bb_middle_20 is 'Middle Bollinger band: SMA 20 (TA-Lib BBANDS).';
comment on column market.technical_indicators.bb_lower_20 is 'Lower Bollinger band: SMA 20 - 2 population sigma (TA-Lib BBANDS).';
comment on column market.technical_indicators.bb_bandwidth_20 is 'Bollinger bandwidth = (upper - lower) / middle (a fraction).';
comment on column market.technical_indicators.bb_percent_b_20 is 'Bollinger %B = (close - lower) / (upper - lower); 0.5 when the bands coincide.';
comment on column market.technical_indicators.atr_14 is 'Average true range, Wilder, 14 bars (TA-Lib ATR).';
comment on column market.technical_indicators.stoch_k is 'Slow stochastic %K, 14/3/3 with SMA smoothing (TA-Lib STOCH slowk).';
comment on column market.technical_indicators.stoch_d is 'Slow stochastic %D, 14/3/3 with SMA smoothing (TA-Lib STOCH slowd).';
comment on column market.technical_indicators.stoch_rsi_14 is 'Stochastic RSI fast %K: RSI 14, %K over 14, %D 3 (TA-Lib STOCHRSI fastk).';
comment on column market.technical_indicators.willr_14 is 'Williams %R, 14 bars, between -100 and 0 (TA-Lib WILLR).';
comment on column market.technical_indicators.cci_20 is 'Commodity channel index, 20 bars (TA-Lib CCI).';
comment on column market.technical_indicators.roc_10 is 'Rate of change in percent over 10 bars (TA-Lib ROC).';
comment on column market.technical_indicators.mom_10 is 'Momentum: close - close 10 bars ago (TA-Lib MOM).';
comment on column market.technical_indicators.obv is 'On-balance volume from the first bar (TA-Lib OBV).';
comment on column market.technical_indicators.adx_14 is 'Average directional index, 14 bars (TA-Lib ADX).';
comment on column market.technical_indicators.plus_di_14 is 'Plus directional indicator, 14 bars (TA-Lib PLUS_DI).';
comment on column market.technical_indicators.minus_di_14 is 'Minus directional indicator, 14 bars (TA-Lib MINUS_DI).';
comment on column market.technical_indicators.mfi_14 is 'Money flow index, 14 bars (TA-Lib MFI).';
comment on column market.technical_indicators.sar is 'Parabolic SAR, acceleration 0.02, maximum 0.2 (TA-Lib SAR).';
comment on column market.technical_indicators.stddev_20 is 'Population standard deviation of the close, 20 bars (TA-Lib STDDEV).';
comment on column market.technical_indicators.linreg_slope_20 is 'Slope of the least-squares line through 20 closes (TA-Lib LINEARREG_SLOPE).';
comment on column market.technical_indicators.volatility_30 is
'Annualised volatility in percent: sample standard deviation of the last 30 daily returns * sqrt(252) * 100.';
comment on column market.technical_indicators.avg_volume_30 is 'Mean raw volume of the last 30 bars.';
comment on column market.technical_indicators.avg_volume_90 is 'Mean raw volume of the last 90 bars.';
comment on column market.technical_indicators.high_52w is 'Highest adjusted high of the last 252 bars (TA-Lib MAX).';
comment on column market.technical_indicators.low_52w is 'Lowest adjusted low of the last 252 bars (TA-Lib MIN).';
comment on column market.technical_indicators.beta_252 is
'Beta of the daily returns against the benchmark (pipeline.settings.benchmark_ticker) over 252 returns (TA-Lib BETA).';

-- ---------------------------------------------------------------------------------------------
create table market.indicator_state (
    asset_id bigint not null,
    first_trade_date date not null,
    last_trade_date date not null,
    bar_count integer not null,
    state double precision[] not null,
    recent_dates date[] not null,
    recent_close double precision[] not null,
    recent_high double precision[] not null,
    recent_low double precision[] not null,
    recent_volume double precision[] not null,
    computed_at timestamptz not null default now(),
    constraint indicator_state_pkey primary key (asset_id),
    constraint indicator_state_asset_fkey foreign key (asset_id) references market.assets (asset_id),
    constraint indicator_state_dates_ordered check (first_trade_date <= last_trade_date),
    constraint indicator_state_bar_count_positive check (bar_count > 0)
) with (fillfactor = 50);
-- rewritten every day: leave room for HOT updates; the windows do not compress, so do not try
alter table market.indicator_state alter column state set storage external;
alter table market.indicator_state alter column recent_dates set storage external;
alter table market.indicator_state alter column recent_close set storage external;
alter table market.indicator_state alter column recent_high set storage external;
alter table market.indicator_state alter column recent_low set storage external;
alter table market.indicator_state alter column recent_volume set storage external;
comment on table market.indicator_state is
'Per-asset running state after the last bar with indicators, and the recent adjusted bars it needs: '
'the daily update continues from it (market.refresh_indicators) without reading older prices, '
'with the same code as the full pass (market._compute_indicators).';
comment on column market.indicator_state.first_trade_date is 'First bar the state was built from (earlier bars appearing later force a rebuild).';
comment on column market.indicator_state.last_trade_date is 'Last bar included in the state and in market.technical_indicators.';
comment on column market.indicator_state.bar_count is 'Number of bars included (the absolute index of the next bar).';
comment on column market.indicator_state.state is 'Running sums, EMA/Wilder states, SAR and ring values; layout defined by market._compute_indicators.';
comment on column market.indicator_state.recent_dates is
'Dates of the last (up to) 252 bars included, oldest first: the window the daily step continues from.';
comment on column market.indicator_state.recent_close is 'Adjusted closes of the last (up to) 252 bars.';
comment on column market.indicator_state.recent_high is 'Adjusted highs of the last (up to) 30 bars.';
comment on column market.indicator_state.recent_low is 'Adjusted lows of the last (up to) 30 bars.';
comment on column market.indicator_state.recent_volume is 'Volumes of the last (up to) 90 bars.';
comment on column market.indicator_state.computed_at is 'When the state was last written.';

-- ---------------------------------------------------------------------------------------------
create table market.indicator_catalog (
    column_name text not null,
    talib_function text,
    talib_parameters jsonb not null default '{}',
    talib_output text,
    formula text,
    input_series text not null,
    lookback integer not null,
    description text not null,
    constraint indicator_catalog_pkey primary key (column_name),
    constraint indicator_catalog_defined check (talib_function is not null or formula is not null),
    constraint indicator_catalog_lookback_nonnegative check (lookback >= 0),
    constraint indicator_catalog_parameters_object check (jsonb_typeof(talib_parameters) = 'object')
);
comment on table market.indicator_catalog is
'One row per column of market.technical_indicators: the TA-Lib function it equals or its formula, inputs and lookback.';
comment on column market.indicator_catalog.column_name is 'Column of market.technical_indicators.';
comment on column market.indicator_catalog.talib_function is 'TA-Lib function the column equals (null when it is a formula).';
comment on column market.indicator_catalog.talib_parameters is 'Keyword parameters of the TA-Lib call (python ta-lib names).';
comment on column market.indicator_catalog.talib_output is 'Output of a multi-output TA-Lib function (python ta-lib names); null for one output.';
comment on column market.indicator_catalog.formula is 'The formula when TA-Lib has no such function.';
comment on column market.indicator_catalog.input_series is
'Inputs in call order, comma-separated: open, high, low, close (adjusted), volume (raw), benchmark (adjusted close of the benchmark).';
comment on column market.indicator_catalog.lookback is 'Leading bars without a value (NULL) at the start of an asset history.';
comment on column market.indicator_catalog.description is 'One-line description.';

insert into market.indicator_catalog
(column_name, talib_function, talib_parameters, talib_output, formula, input_series, lookback, description)
values
('sma_5', 'SMA', '{"timeperiod": 5}', null, null, 'close', 4, 'Simple moving average, 5 bars'),
('sma_10', 'SMA', '{"timeperiod": 10}', null, null, 'close', 9, 'Simple moving average, 10 bars'),
('sma_20', 'SMA', '{"timeperiod": 20}', null, null, 'close', 19, 'Simple moving average, 20 bars'),
('sma_50', 'SMA', '{"timeperiod": 50}', null, null, 'close', 49, 'Simple moving average, 50 bars'),
('sma_100', 'SMA', '{"timeperiod": 100}', null, null, 'close', 99, 'Simple moving average, 100 bars'),
('sma_200', 'SMA', '{"timeperiod": 200}', null, null, 'close', 199, 'Simple moving average, 200 bars'),
('ema_12', 'EMA', '{"timeperiod": 12}', null, null, 'close', 11, 'Exponential moving average, 12 bars, SMA-seeded'),
('ema_26', 'EMA', '{"timeperiod": 26}', null, null, 'close', 25, 'Exponential moving average, 26 bars, SMA-seeded'),
('ema_50', 'EMA', '{"timeperiod": 50}', null, null, 'close', 49, 'Exponential moving average, 50 bars, SMA-seeded'),
('ema_200', 'EMA', '{"timeperiod": 200}', null, null, 'close', 199, 'Exponential moving average, 200 bars, SMA-seeded'),
('wma_20', 'WMA', '{"timeperiod": 20}', null, null, 'close', 19, 'Linearly weighted moving average, 20 bars'),
('rsi_14', 'RSI', '{"timeperiod": 14}', null, null, 'close', 14, 'Wilder RSI, 14 bars; 0 when there are no moves'),
(
    'macd_line', 'MACD', '{"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}', 'macd', null, 'close', 33,
    'MACD line 12/26 (fast EMA seeded on bars 14..25)'
),
(
    'macd_signal', 'MACD', '{"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}', 'macdsignal', null, 'close', 33,
    'MACD signal line, EMA 9 of the MACD line'
),
(
    'macd_hist', 'MACD', '{"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}', 'macdhist', null, 'close', 33,
    'MACD histogram, line - signal'
),
(
    'bb_upper_20', 'BBANDS', '{"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}', 'upperband', null,
    'close', 19, 'Upper Bollinger band, SMA 20 + 2 sigma'
),
(
    'bb_middle_20', 'BBANDS', '{"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}', 'middleband', null,
    'close', 19, 'Middle Bollinger band, SMA 20'
),
(
    'bb_lower_20', 'BBANDS', '{"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}', 'lowerband', null,
    'close', 19, 'Lower Bollinger band, SMA 20 - 2 sigma'
),
(
    'bb_bandwidth_20', null, '{}', null, '(bb_upper_20 - bb_lower_20) / bb_middle_20', 'close', 19,
    'Bollinger bandwidth as a fraction of the middle band'
),
(
    'bb_percent_b_20', null, '{}', null,
    '(close - bb_lower_20) / (bb_upper_20 - bb_lower_20); 0.5 when upper = lower', 'close', 19,
    'Position of the close inside the Bollinger bands (0 = lower, 1 = upper)'
),
('atr_14', 'ATR', '{"timeperiod": 14}', null, null, 'high,low,close', 14, 'Average true range, Wilder, 14 bars'),
(
    'stoch_k', 'STOCH',
    '{"fastk_period": 14, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0}', 'slowk', null,
    'high,low,close', 17, 'Slow stochastic %K (14, 3, 3); fast %K is 0 on a flat range'
),
(
    'stoch_d', 'STOCH',
    '{"fastk_period": 14, "slowk_period": 3, "slowk_matype": 0, "slowd_period": 3, "slowd_matype": 0}', 'slowd', null,
    'high,low,close', 17, 'Slow stochastic %D (14, 3, 3)'
),
(
    'stoch_rsi_14', 'STOCHRSI', '{"timeperiod": 14, "fastk_period": 14, "fastd_period": 3, "fastd_matype": 0}',
    'fastk', null, 'close', 29, 'Stochastic of RSI 14 over 14 bars (fast %K); 0 on a flat RSI range'
),
('willr_14', 'WILLR', '{"timeperiod": 14}', null, null, 'high,low,close', 13, 'Williams %R, 14 bars; 0 on a flat range'),
('cci_20', 'CCI', '{"timeperiod": 20}', null, null, 'high,low,close', 19, 'Commodity channel index, 20 bars'),
('roc_10', 'ROC', '{"timeperiod": 10}', null, null, 'close', 10, 'Rate of change in percent, 10 bars'),
('mom_10', 'MOM', '{"timeperiod": 10}', null, null, 'close', 10, 'Momentum (difference), 10 bars'),
('obv', 'OBV', '{}', null, null, 'close,volume', 0, 'On-balance volume, starting at the first bar''s volume'),
('adx_14', 'ADX', '{"timeperiod": 14}', null, null, 'high,low,close', 27, 'Average directional index, 14 bars'),
('plus_di_14', 'PLUS_DI', '{"timeperiod": 14}', null, null, 'high,low,close', 14, 'Plus directional indicator, 14 bars'),
('minus_di_14', 'MINUS_DI', '{"timeperiod": 14}', null, null, 'high,low,close', 14, 'Minus directional indicator, 14 bars'),
('mfi_14', 'MFI', '{"timeperiod": 14}', null, null, 'high,low,close,volume', 14, 'Money flow index, 14 bars'),
('sar', 'SAR', '{"acceleration": 0.02, "maximum": 0.2}', null, null, 'high,low', 1, 'Parabolic SAR (0.02, 0.2)'),
('stddev_20', 'STDDEV', '{"timeperiod": 20, "nbdev": 1.0}', null, null, 'close', 19, 'Population standard deviation, 20 bars'),
(
    'linreg_slope_20', 'LINEARREG_SLOPE', '{"timeperiod": 20}', null, null, 'close', 19,
    'Slope of the least-squares line, 20 bars'
),
(
    'volatility_30', null, '{}', null,
    'r[t] = close[t] / close[t-1] - 1; sample standard deviation (n - 1) of r over the last 30 bars * sqrt(252) * 100',
    'close', 30, 'Annualised volatility of daily returns, percent'
),
('avg_volume_30', null, '{}', null, 'mean of volume over the last 30 bars', 'volume', 29, 'Average raw volume, 30 bars'),
('avg_volume_90', null, '{}', null, 'mean of volume over the last 90 bars', 'volume', 89, 'Average raw volume, 90 bars'),
('high_52w', 'MAX', '{"timeperiod": 252}', null, null, 'high', 251, 'Highest high of the last 252 bars'),
('low_52w', 'MIN', '{"timeperiod": 252}', null, null, 'low', 251, 'Lowest low of the last 252 bars'),
(
    'beta_252', 'BETA', '{"timeperiod": 252}', null, null, 'benchmark,close', 252,
    'Beta of daily returns against the benchmark, 252 returns (benchmark close carried forward on its missing days)'
);
