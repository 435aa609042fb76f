-- The layout of market.indicator_state.state, the kernel's running state after an asset's last
-- bar: the one place that says which element holds what. Called by market._compute_indicators
-- with constant names, so the planner folds every call to its number once per session (it costs
-- nothing per bar). Pure; raises on an unknown name.
--
--  slot   name                    kernel  meaning
--   1     sma_5_sum               s5      running sum of closes, SMA 5 (the last 4 after the step)
--   2     sma_10_sum              s10     the same, SMA 10
--   3     sma_20_sum              s20     the same, SMA 20 (also Bollinger, STDDEV, WMA, LINEARREG)
--   4     sma_50_sum              s50     the same, SMA 50
--   5     sma_100_sum             s100    the same, SMA 100
--   6     sma_200_sum             s200    the same, SMA 200
--   7     wma_20_weighted_sum     wsum    weighted close sum of WMA 20 / LINEARREG_SLOPE 20
--   8     volume_30_sum           sv30    running volume sum, avg_volume_30
--   9     volume_90_sum           sv90    running volume sum, avg_volume_90
--  10     ema_12                  e12     EMA 12 (its warm-up sum before bar 11)
--  11     ema_26                  e26     EMA 26, also MACD's slow line
--  12     ema_50                  e50     EMA 50
--  13     ema_200                 e200    EMA 200
--  14     macd_fast_ema           mf      MACD's fast EMA 12 (seeded on bars 14..25)
--  15     macd_signal             sg      MACD signal EMA 9 (its warm-up sum before bar 33)
--  16     rsi_avg_gain            rg      RSI Wilder average gain
--  17     rsi_avg_loss            rl      RSI Wilder average loss
--  18     atr_14                  atr     ATR Wilder average of the true range
--  19     plus_dm_14              pdm     Wilder sum of +DM
--  20     minus_dm_14             mdm     Wilder sum of -DM
--  21     true_range_14           tr14    Wilder sum of the true range (DI)
--  22     dx_sum                  sumdx   sum of DX while ADX warms up
--  23     adx_14                  adx     ADX Wilder average of DX
--  24     obv                     v_obv   on-balance volume
--  25     mfi_positive_flow       mpos    MFI positive money flow of the window
--  26     mfi_negative_flow       mneg    MFI negative money flow of the window
--  27     sar_is_long             is_long SAR trend: 1 long, 0 short
--  28     sar                     v_sar   SAR of the next bar
--  29     sar_extreme_point       ep      SAR extreme point
--  30     sar_acceleration        af      SAR acceleration factor
--  31     stoch_fast_k_1          fk1     fast %K one bar back
--  32     stoch_fast_k_2          fk2     fast %K two bars back
--  33     stoch_slow_k_1          sk1     slow %K one bar back
--  34     stoch_slow_k_2          sk2     slow %K two bars back
--  35     beta_sum_xx             sxx     beta: sum of benchmark returns squared
--  36     beta_sum_x              sx      beta: sum of benchmark returns
--  37     beta_sum_xy             sxy     beta: sum of benchmark * asset returns
--  38     beta_sum_y              sy      beta: sum of asset returns
--  39-52  rsi_ring                rsi_ring the last 14 RSI values, RSI of bar t at 39 + t % 14
--  53     wma_20_sum              wsub    plain close sum the WMA subtracts
--  54     return_30_sum           sr      volatility: sum of the last 30 daily returns
--  55     return_30_sum_squares   sr2     volatility: sum of their squares
--  56     return_30_nonzero       nz      volatility: how many of them are not 0
--  57     close_20_changes        nch     changes between consecutive closes of the 20-bar window
--  58     high_queue_length       -       length of the 52-week high queue
--  59     low_queue_length        -       length of the 52-week low queue
--  60-61  (unused, 0)
--  62     high_14                 hh14    highest high of the last 14 bars
--  63     high_14_bar             hh14_j  its bar (absolute index)
--  64     low_14                  ll14    lowest low of the last 14 bars
--  65     low_14_bar              ll14_j  its bar (absolute index)
--  66     rsi_14_high             rhh     highest RSI of the last 14 (STOCHRSI)
--  67     rsi_14_high_bar         rhh_t   its bar
--  68     rsi_14_low              rll     lowest RSI of the last 14
--  69     rsi_14_low_bar          rll_t   its bar
--  70-    queues                  qh, ql  the 52-week high queue's values, then its bars, then the
--                                         low queue's values and bars (lengths in 58 and 59)
create or replace function market._indicator_state_slot(p_name text)
returns integer
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
declare
    v_slot integer;
begin
    v_slot := case p_name
        when 'sma_5_sum' then 1
        when 'sma_10_sum' then 2
        when 'sma_20_sum' then 3
        when 'sma_50_sum' then 4
        when 'sma_100_sum' then 5
        when 'sma_200_sum' then 6
        when 'wma_20_weighted_sum' then 7
        when 'volume_30_sum' then 8
        when 'volume_90_sum' then 9
        when 'ema_12' then 10
        when 'ema_26' then 11
        when 'ema_50' then 12
        when 'ema_200' then 13
        when 'macd_fast_ema' then 14
        when 'macd_signal' then 15
        when 'rsi_avg_gain' then 16
        when 'rsi_avg_loss' then 17
        when 'atr_14' then 18
        when 'plus_dm_14' then 19
        when 'minus_dm_14' then 20
        when 'true_range_14' then 21
        when 'dx_sum' then 22
        when 'adx_14' then 23
        when 'obv' then 24
        when 'mfi_positive_flow' then 25
        when 'mfi_negative_flow' then 26
        when 'sar_is_long' then 27
        when 'sar' then 28
        when 'sar_extreme_point' then 29
        when 'sar_acceleration' then 30
        when 'stoch_fast_k_1' then 31
        when 'stoch_fast_k_2' then 32
        when 'stoch_slow_k_1' then 33
        when 'stoch_slow_k_2' then 34
        when 'beta_sum_xx' then 35
        when 'beta_sum_x' then 36
        when 'beta_sum_xy' then 37
        when 'beta_sum_y' then 38
        when 'rsi_ring' then 39
        when 'wma_20_sum' then 53
        when 'return_30_sum' then 54
        when 'return_30_sum_squares' then 55
        when 'return_30_nonzero' then 56
        when 'close_20_changes' then 57
        when 'high_queue_length' then 58
        when 'low_queue_length' then 59
        when 'high_14' then 62
        when 'high_14_bar' then 63
        when 'low_14' then 64
        when 'low_14_bar' then 65
        when 'rsi_14_high' then 66
        when 'rsi_14_high_bar' then 67
        when 'rsi_14_low' then 68
        when 'rsi_14_low_bar' then 69
        when 'queues' then 70
    end;
    if v_slot is null then
        raise exception 'market._indicator_state_slot: no state slot named %', p_name;
    end if;
    return v_slot;
end;
$$;

comment on function market._indicator_state_slot(text) is
'Element of market.indicator_state.state that holds the named part of the indicator kernel''s state '
'(layout table: this function''s file); rsi_ring and queues name the first element of their range.';
