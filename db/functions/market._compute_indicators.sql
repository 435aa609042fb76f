-- The single-pass indicator kernel: walks one asset's adjusted bars and emits one row per bar
-- from p_first on, continuing from a stored state (null: the asset's first bar is element 1).
-- Called by market._rebuild_indicators (full) and market._advance_indicators (daily). Pure.
create or replace function market._compute_indicators(
    p_dates date[],
    p_open double precision[],
    p_high double precision[],
    p_low double precision[],
    p_close double precision[],
    p_volume double precision[],
    p_bench_dates date[],
    p_bench_close double precision[],
    p_first integer,
    p_base integer,
    p_state double precision[]
)
returns table (
    trade_date date,
    indicators market.indicator_values,
    state double precision[]
)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
-- Bar t (0-based, absolute in the asset's history) is array element j = t - p_base + 1.
-- Elements before p_first are context only: 252 closes and dates back (or to the first bar), 90
-- volumes, 30 highs and lows; older elements of those may be NaN (never read). p_open is unused.
-- Definitions follow TA-Lib 0.8 (docs: market.indicator_catalog). The EMA and Wilder steps are
-- market.ema_step, market.wilder_step and market.wilder_sum_step (inlined here; the transitions of
-- the market.ema and market.wilder aggregates); the running window sums are market.moving_sum's
-- forward and inverse steps (add the new bar, emit, subtract the bar leaving), in the same order.
-- Each row's values are the fields of o (the OUT column indicators, market.indicator_values). The
-- state's layout (which element holds which local below) is market._indicator_state_slot: it is
-- read at the start and written after the last bar by slot name, never by number.
declare
    o alias for indicators;
    k12 constant double precision := 2.0::float8 / 13.0::float8;
    k26 constant double precision := 2.0::float8 / 27.0::float8;
    k50 constant double precision := 2.0::float8 / 51.0::float8;
    k200 constant double precision := 2.0::float8 / 201.0::float8;
    k9 constant double precision := 2.0::float8 / 10.0::float8;
    sqrt252 constant double precision := sqrt(252.0::float8);
    v_n integer := cardinality(p_close);
    j integer; i integer; t integer;
    c double precision; h double precision; l double precision; v double precision;
    pc double precision; ph double precision; pl double precision;
    s5 double precision := 0; s10 double precision := 0; s20 double precision := 0; s50 double precision := 0;
    s100 double precision := 0; s200 double precision := 0; wsum double precision := 0; wsub double precision := 0;
    sv30 double precision := 0; sv90 double precision := 0;
    e12 double precision := 0; e26 double precision := 0; e50 double precision := 0; e200 double precision := 0;
    mf double precision := 0; sg double precision := 0;
    rg double precision := 0; rl double precision := 0; atr double precision := 0;
    pdm double precision := 0; mdm double precision := 0; tr14 double precision := 0;
    sumdx double precision := 0; adx double precision := 0; v_obv double precision := 0;
    mpos double precision := 0; mneg double precision := 0;
    is_long double precision := 0; v_sar double precision := 0; ep double precision := 0; af double precision := 0;
    fk1 double precision := 0; fk2 double precision := 0; sk1 double precision := 0; sk2 double precision := 0;
    sxx double precision := 0; sx double precision := 0; sxy double precision := 0; sy double precision := 0;
    sr double precision := 0; sr2 double precision := 0; nz double precision := 0; nch double precision := 0;
    rsi_ring double precision[] := array_fill(0::float8, array[14]);
    d double precision; dp double precision; dm double precision; tr double precision;
    a double precision; b double precision; m double precision; var double precision; sd double precision;
    fk double precision; sk double precision;
    hh14 double precision; ll14 double precision; hh14_j integer := 0; ll14_j integer := 0;
    qh_v double precision[] := '{}'; qh_t integer[] := '{}'; qh_head integer := 1; qh_tail integer := 0;
    ql_v double precision[] := '{}'; ql_t integer[] := '{}'; ql_head integer := 1; ql_tail integer := 0;
    nq integer;
    rhh double precision; rll double precision; rhh_t integer := -1; rll_t integer := -1;
    di_ok boolean; pdi double precision; mdi double precision; dx double precision;
    tp double precision; tq double precision; rsi double precision; line double precision;
    bp double precision[];
    tpa double precision[];
    bk integer; bn integer := coalesce(cardinality(p_bench_dates), 0);
    x double precision; y double precision; lo_k integer; hi_k integer; mid_k integer;
    seg integer; seg_to integer;
    v_state double precision[];
begin
    if p_state is not null then
        v_state := p_state;  -- one detoasted copy
        s5 := v_state[market._indicator_state_slot('sma_5_sum')];
        s10 := v_state[market._indicator_state_slot('sma_10_sum')];
        s20 := v_state[market._indicator_state_slot('sma_20_sum')];
        s50 := v_state[market._indicator_state_slot('sma_50_sum')];
        s100 := v_state[market._indicator_state_slot('sma_100_sum')];
        s200 := v_state[market._indicator_state_slot('sma_200_sum')];
        wsum := v_state[market._indicator_state_slot('wma_20_weighted_sum')];
        sv30 := v_state[market._indicator_state_slot('volume_30_sum')];
        sv90 := v_state[market._indicator_state_slot('volume_90_sum')];
        e12 := v_state[market._indicator_state_slot('ema_12')];
        e26 := v_state[market._indicator_state_slot('ema_26')];
        e50 := v_state[market._indicator_state_slot('ema_50')];
        e200 := v_state[market._indicator_state_slot('ema_200')];
        mf := v_state[market._indicator_state_slot('macd_fast_ema')];
        sg := v_state[market._indicator_state_slot('macd_signal')];
        rg := v_state[market._indicator_state_slot('rsi_avg_gain')];
        rl := v_state[market._indicator_state_slot('rsi_avg_loss')];
        atr := v_state[market._indicator_state_slot('atr_14')];
        pdm := v_state[market._indicator_state_slot('plus_dm_14')];
        mdm := v_state[market._indicator_state_slot('minus_dm_14')];
        tr14 := v_state[market._indicator_state_slot('true_range_14')];
        sumdx := v_state[market._indicator_state_slot('dx_sum')];
        adx := v_state[market._indicator_state_slot('adx_14')];
        v_obv := v_state[market._indicator_state_slot('obv')];
        mpos := v_state[market._indicator_state_slot('mfi_positive_flow')];
        mneg := v_state[market._indicator_state_slot('mfi_negative_flow')];
        is_long := v_state[market._indicator_state_slot('sar_is_long')];
        v_sar := v_state[market._indicator_state_slot('sar')];
        ep := v_state[market._indicator_state_slot('sar_extreme_point')];
        af := v_state[market._indicator_state_slot('sar_acceleration')];
        fk1 := v_state[market._indicator_state_slot('stoch_fast_k_1')];
        fk2 := v_state[market._indicator_state_slot('stoch_fast_k_2')];
        sk1 := v_state[market._indicator_state_slot('stoch_slow_k_1')];
        sk2 := v_state[market._indicator_state_slot('stoch_slow_k_2')];
        sxx := v_state[market._indicator_state_slot('beta_sum_xx')];
        sx := v_state[market._indicator_state_slot('beta_sum_x')];
        sxy := v_state[market._indicator_state_slot('beta_sum_xy')];
        sy := v_state[market._indicator_state_slot('beta_sum_y')];
        wsub := v_state[market._indicator_state_slot('wma_20_sum')];
        sr := v_state[market._indicator_state_slot('return_30_sum')];
        sr2 := v_state[market._indicator_state_slot('return_30_sum_squares')];
        nz := v_state[market._indicator_state_slot('return_30_nonzero')];
        nch := v_state[market._indicator_state_slot('close_20_changes')];
        hh14 := v_state[market._indicator_state_slot('high_14')];
        ll14 := v_state[market._indicator_state_slot('low_14')];
        rhh := v_state[market._indicator_state_slot('rsi_14_high')];
        rll := v_state[market._indicator_state_slot('rsi_14_low')];
        rsi_ring := v_state[market._indicator_state_slot('rsi_ring'):market._indicator_state_slot('rsi_ring') + 13];
        -- the running extremes' bars are absolute indexes: j = t - p_base + 1 for the 14-bar ones
        hh14_j := v_state[market._indicator_state_slot('high_14_bar')]::integer - p_base + 1;
        ll14_j := v_state[market._indicator_state_slot('low_14_bar')]::integer - p_base + 1;
        rhh_t := v_state[market._indicator_state_slot('rsi_14_high_bar')]::integer;
        rll_t := v_state[market._indicator_state_slot('rsi_14_low_bar')]::integer;
        -- the 52-week queues: values and bars of the high queue, then of the low queue
        qh_tail := v_state[market._indicator_state_slot('high_queue_length')]::integer;
        ql_tail := v_state[market._indicator_state_slot('low_queue_length')]::integer;
        nq := market._indicator_state_slot('queues') - 1;
        qh_v := v_state[nq + 1:nq + qh_tail]; qh_t := v_state[nq + qh_tail + 1:nq + 2 * qh_tail]::integer[];
        nq := nq + 2 * qh_tail;
        ql_v := v_state[nq + 1:nq + ql_tail]; ql_t := v_state[nq + ql_tail + 1:nq + 2 * ql_tail]::integer[];
    end if;

    -- Benchmark close aligned to the bars where beta needs it (carried forward, 0 before it starts):
    -- the two segments [p_first - 252, last - 251] and [p_first - 1, last]. Typical prices from 20 before p_first.
    bp := array_fill(0::float8, array[v_n]);
    tpa := array_fill(0::float8, array[v_n]);
    for j in greatest(1, p_first - 20) .. v_n loop
        tpa[j] := (p_high[j] + p_low[j] + p_close[j]) / 3.0;
    end loop;
    for seg in 1 .. 2 loop
        if seg = 1 then j := greatest(1, p_first - 252); seg_to := least(v_n - 251, p_first - 2);
        else j := greatest(1, p_first - 1); seg_to := v_n; end if;
        bk := 0;
        if j <= seg_to and bn > 0 and p_bench_dates[1] <= p_dates[j] then
            lo_k := 1; hi_k := bn;
            while lo_k < hi_k loop
                mid_k := (lo_k + hi_k + 1) / 2;
                if p_bench_dates[mid_k] <= p_dates[j] then lo_k := mid_k; else hi_k := mid_k - 1; end if;
            end loop;
            bk := lo_k;
        end if;
        while j <= seg_to loop
            while bk < bn and p_bench_dates[bk + 1] <= p_dates[j] loop
                bk := bk + 1;
            end loop;
            if bk > 0 then bp[j] := p_bench_close[bk]; end if;
            j := j + 1;
        end loop;
    end loop;

    for j in p_first .. v_n loop
        t := p_base + j - 1;
        trade_date := p_dates[j];
        c := p_close[j]; h := p_high[j]; l := p_low[j]; v := p_volume[j];

        -- Moving sums (TA-Lib SMA: add, emit, subtract the bar leaving the window).
        s5 := s5 + c;
        if t >= 4 then o.sma_5 := s5 / 5; s5 := s5 - p_close[j - 4]; else o.sma_5 := null; end if;
        s10 := s10 + c;
        if t >= 9 then o.sma_10 := s10 / 10; s10 := s10 - p_close[j - 9]; else o.sma_10 := null; end if;
        s50 := s50 + c;
        if t >= 49 then o.sma_50 := s50 / 50; s50 := s50 - p_close[j - 49]; else o.sma_50 := null; end if;
        s100 := s100 + c;
        if t >= 99 then o.sma_100 := s100 / 100; s100 := s100 - p_close[j - 99]; else o.sma_100 := null; end if;
        s200 := s200 + c;
        if t >= 199 then o.sma_200 := s200 / 200; s200 := s200 - p_close[j - 199]; else o.sma_200 := null; end if;
        sv30 := sv30 + v;
        if t >= 29 then o.avg_volume_30 := sv30 / 30; sv30 := sv30 - p_volume[j - 29]; else o.avg_volume_30 := null; end if;
        sv90 := sv90 + v;
        if t >= 89 then o.avg_volume_90 := sv90 / 90; sv90 := sv90 - p_volume[j - 89]; else o.avg_volume_90 := null; end if;
        -- changes between consecutive closes (a flat window has none)
        if t >= 1 and c <> p_close[j - 1] then nch := nch + 1; end if;

        -- SMA 20 (Bollinger middle), sigma from squared deviations, WMA (TA-Lib running sums),
        -- LINEARREG_SLOPE from the plain and weighted sums.
        s20 := s20 + c;
        wsub := wsub + c;
        if t >= 19 then
            if t > 19 then wsub := wsub - p_close[j - 20]; end if;
            wsum := wsum + c * 20;
            m := s20 / 20;
            if nch = 0 then
                sd := 0;
            else
                var := 0;
                for i in j - 19 .. j loop
                    var := var + (p_close[i] - m) * (p_close[i] - m);
                end loop;
                sd := sqrt(var / 20);
            end if;
            o.sma_20 := m; o.bb_middle_20 := m; o.stddev_20 := sd;
            o.bb_upper_20 := m + sd * 2.0; o.bb_lower_20 := m - sd * 2.0;
            o.bb_bandwidth_20 := case when m = 0 then 0 else (o.bb_upper_20 - o.bb_lower_20) / m end;
            if o.bb_upper_20 = o.bb_lower_20 then o.bb_percent_b_20 := 0.5;
            else o.bb_percent_b_20 := (c - o.bb_lower_20) / (o.bb_upper_20 - o.bb_lower_20); end if;
            o.wma_20 := wsum / 210.0;
            o.linreg_slope_20 := (20 * (20 * s20 - wsum) - 190.0 * s20) / (-13300.0);
            wsum := wsum - wsub;
            s20 := s20 - p_close[j - 19];
            if p_close[j - 18] <> p_close[j - 19] then nch := nch - 1; end if;
        else
            wsum := wsum + c * (t + 1);
            o.sma_20 := null; o.bb_middle_20 := null; o.stddev_20 := null; o.bb_upper_20 := null; o.bb_lower_20 := null;
            o.bb_bandwidth_20 := null; o.bb_percent_b_20 := null; o.wma_20 := null; o.linreg_slope_20 := null;
        end if;

        -- EMAs: sum while warming up, seed with the mean, then (x - p) * k + p.
        if t > 11 then e12 := market.ema_step(e12, c, k12); elsif t = 11 then e12 := (e12 + c) / 12; else e12 := e12 + c; end if;
        o.ema_12 := case when t >= 11 then e12 end;
        if t > 25 then e26 := market.ema_step(e26, c, k26); elsif t = 25 then e26 := (e26 + c) / 26; else e26 := e26 + c; end if;
        o.ema_26 := case when t >= 25 then e26 end;
        if t > 49 then e50 := market.ema_step(e50, c, k50); elsif t = 49 then e50 := (e50 + c) / 50; else e50 := e50 + c; end if;
        o.ema_50 := case when t >= 49 then e50 end;
        if t > 199 then e200 := market.ema_step(e200, c, k200);
        elsif t = 199 then e200 := (e200 + c) / 200; else e200 := e200 + c; end if;
        o.ema_200 := case when t >= 199 then e200 end;

        -- MACD: fast EMA seeded on bars 14..25, slow = EMA 26, signal seeded on lines 25..33.
        if t > 33 then
            mf := market.ema_step(mf, c, k12);
            line := mf - e26;
            sg := market.ema_step(sg, line, k9);
            o.macd_line := line; o.macd_signal := sg; o.macd_hist := line - sg;
        else
            if t >= 14 then
                if t < 25 then mf := mf + c;
                elsif t = 25 then mf := (mf + c) / 12;
                else mf := market.ema_step(mf, c, k12); end if;
            end if;
            o.macd_line := null; o.macd_signal := null; o.macd_hist := null;
            if t >= 25 then
                line := mf - e26;
                if t < 33 then sg := sg + line;
                else
                    sg := (sg + line) / 9;
                    o.macd_line := line; o.macd_signal := sg; o.macd_hist := line - sg;
                end if;
            end if;
        end if;

        if t = 0 then
            v_obv := v;
            o.plus_di_14 := null; o.minus_di_14 := null; o.adx_14 := null; o.mfi_14 := null; o.sar := null;
            o.beta_252 := null; o.volatility_30 := null;
        else
            pc := p_close[j - 1]; ph := p_high[j - 1]; pl := p_low[j - 1];
            -- OBV
            if c > pc then v_obv := v_obv + v; elsif c < pc then v_obv := v_obv - v; end if;
            -- RSI (Wilder)
            d := c - pc;
            if t > 14 then
                if d < 0 then
                    rl := market.wilder_step(rl, -d, 14); rg := market.wilder_step(rg, 0, 14);
                else
                    rg := market.wilder_step(rg, d, 14); rl := market.wilder_step(rl, 0, 14);
                end if;
            else
                if d < 0 then rl := rl - d; else rg := rg + d; end if;
                if t = 14 then rl := rl / 14; rg := rg / 14; end if;
            end if;
            -- True range, ATR, directional movement, DI and ADX
            tr := greatest(h - l, abs(h - pc), abs(l - pc));
            if t > 14 then
                atr := market.wilder_step(atr, tr, 14);
            else
                atr := atr + tr;
                if t = 14 then atr := atr / 14; end if;
            end if;
            dp := h - ph; dm := pl - l;
            if t <= 13 then
                if dm > 0 and dp < dm then mdm := mdm + dm;
                elsif dp > 0 and dp > dm then pdm := pdm + dp; end if;
                tr14 := tr14 + tr;
                o.plus_di_14 := null; o.minus_di_14 := null; o.adx_14 := null;
            else
                if dm > 0 and dp < dm then
                    mdm := market.wilder_sum_step(mdm, dm, 14); pdm := market.wilder_sum_step(pdm, 0, 14);
                elsif dp > 0 and dp > dm then
                    pdm := market.wilder_sum_step(pdm, dp, 14); mdm := market.wilder_sum_step(mdm, 0, 14);
                else
                    mdm := market.wilder_sum_step(mdm, 0, 14); pdm := market.wilder_sum_step(pdm, 0, 14);
                end if;
                tr14 := market.wilder_sum_step(tr14, tr, 14);
                if tr14 > -0.00000000000001 and tr14 < 0.00000000000001 then
                    o.plus_di_14 := 0; o.minus_di_14 := 0; di_ok := false;
                else
                    mdi := 100.0 * (mdm / tr14); pdi := 100.0 * (pdm / tr14);
                    o.plus_di_14 := pdi; o.minus_di_14 := mdi;
                    a := mdi + pdi;
                    di_ok := not (a > -0.00000000000001 and a < 0.00000000000001);
                    if di_ok then dx := 100.0 * (abs(mdi - pdi) / a); end if;
                end if;
                if t > 27 then
                    if di_ok then adx := market.wilder_step(adx, dx, 14); end if;
                else
                    if di_ok then sumdx := sumdx + dx; end if;
                    if t = 27 then adx := sumdx / 14; end if;
                end if;
                o.adx_14 := case when t >= 27 then adx end;
            end if;
            -- MFI: flow of bar t, minus the flow leaving the window
            tp := tpa[j];
            if t > 14 then
                a := tpa[j - 14]; b := tpa[j - 15];
                if a - b < 0 then mneg := mneg - a * p_volume[j - 14];
                elsif a - b > 0 then mpos := mpos - a * p_volume[j - 14]; end if;
            end if;
            tq := tpa[j - 1];
            if tp - tq < 0 then mneg := mneg + tp * v;
            elsif tp - tq > 0 then mpos := mpos + tp * v; end if;
            if t >= 14 then
                a := mpos + mneg;
                if a < 1.0 then o.mfi_14 := 0; else o.mfi_14 := 100.0 * (mpos / a); end if;
            else
                o.mfi_14 := null;
            end if;
            -- Parabolic SAR (Wilder, as TA-Lib: the first bar decides the trend by -DM)
            if t = 1 then
                if dm > 0 and dp < dm then is_long := 0; ep := l; v_sar := ph;
                else is_long := 1; ep := h; v_sar := pl; end if;
                af := 0.02;
                ph := h; pl := l;
            end if;
            if is_long = 1 then
                if l <= v_sar then
                    is_long := 0;
                    v_sar := greatest(ep, ph, h);
                    o.sar := v_sar;
                    af := 0.02; ep := l;
                    v_sar := greatest(v_sar + af * (ep - v_sar), ph, h);
                else
                    o.sar := v_sar;
                    if h > ep then ep := h; af := least(af + 0.02, 0.2); end if;
                    v_sar := least(v_sar + af * (ep - v_sar), pl, l);
                end if;
            else
                if h >= v_sar then
                    is_long := 1;
                    v_sar := least(ep, pl, l);
                    o.sar := v_sar;
                    af := 0.02; ep := h;
                    v_sar := least(v_sar + af * (ep - v_sar), pl, l);
                else
                    o.sar := v_sar;
                    if l < ep then ep := l; af := least(af + 0.02, 0.2); end if;
                    v_sar := greatest(v_sar + af * (ep - v_sar), ph, h);
                end if;
            end if;
            -- Beta: returns of the benchmark (x) and the asset (y), sums over 252 returns
            if bp[j - 1] > -0.00000000000001 and bp[j - 1] < 0.00000000000001 then x := 0;
            else x := (bp[j] - bp[j - 1]) / bp[j - 1]; end if;
            y := case when pc > -0.00000000000001 and pc < 0.00000000000001 then 0 else (c - pc) / pc end;
            sxx := sxx + x * x; sx := sx + x; sxy := sxy + x * y; sy := sy + y;
            if t >= 252 then
                a := 252 * sxx - sx * sx;
                if a > -0.00000000000001 and a < 0.00000000000001 then o.beta_252 := 0;
                else o.beta_252 := (252 * sxy - sx * sy) / a; end if;
                if bp[j - 252] > -0.00000000000001 and bp[j - 252] < 0.00000000000001 then x := 0;
                else x := (bp[j - 251] - bp[j - 252]) / bp[j - 252]; end if;
                y := case
                    when p_close[j - 252] > -0.00000000000001 and p_close[j - 252] < 0.00000000000001 then 0
                    else (p_close[j - 251] - p_close[j - 252]) / p_close[j - 252]
                end;
                sxx := sxx - x * x; sx := sx - x; sxy := sxy - x * y; sy := sy - y;
            else
                o.beta_252 := null;
            end if;
            -- Volatility: sums of the last 30 daily returns and their squares; exactly 0 when all are 0.
            -- (a zero previous close, as a yield can have, counts as no change)
            y := case when pc = 0 then 0 else c / pc - 1.0 end;
            sr := sr + y; sr2 := sr2 + y * y;
            if y <> 0 then nz := nz + 1; end if;
            if t >= 30 then
                if nz = 0 then
                    o.volatility_30 := 0; sr := 0; sr2 := 0;
                else
                    var := (sr2 - sr * sr / 30) / 29;
                    o.volatility_30 := case when var > 0 then sqrt(var) * sqrt252 * 100.0 else 0 end;
                end if;
                y := case when p_close[j - 30] = 0 then 0 else p_close[j - 29] / p_close[j - 30] - 1.0 end;
                sr := sr - y; sr2 := sr2 - y * y;
                if y <> 0 then nz := nz - 1; end if;
            else
                o.volatility_30 := null;
            end if;
        end if;

        if t >= 14 then
            rsi := rg + rl;
            if rsi = 0 then rsi := 0; else rsi := 100.0 * (rg / rsi); end if;
            o.rsi_14 := rsi;
            rsi_ring[t % 14 + 1] := rsi;
            -- STOCHRSI: extremes of the last 14 RSI values, rescanned only when one leaves
            if t >= 29 then
                if rhh_t < t - 13 then
                    rhh := rsi; rhh_t := t;
                    for i in t - 13 .. t loop
                        if rsi_ring[i % 14 + 1] >= rhh then rhh := rsi_ring[i % 14 + 1]; rhh_t := i; end if;
                    end loop;
                elsif rsi >= rhh then rhh := rsi; rhh_t := t; end if;
                if rll_t < t - 13 then
                    rll := rsi; rll_t := t;
                    for i in t - 13 .. t loop
                        if rsi_ring[i % 14 + 1] <= rll then rll := rsi_ring[i % 14 + 1]; rll_t := i; end if;
                    end loop;
                elsif rsi <= rll then rll := rsi; rll_t := t; end if;
                if abs(rhh - rll) > 0.00000000000001 * (abs(rhh) + abs(rll)) then
                    o.stoch_rsi_14 := (rsi - rll) / ((rhh - rll) / 100.0);
                else
                    o.stoch_rsi_14 := 0;
                end if;
            else
                o.stoch_rsi_14 := null;
            end if;
        else
            o.rsi_14 := null; o.stoch_rsi_14 := null;
        end if;

        -- 14-bar highest high / lowest low (STOCH, WILLR): rescan only when the extreme leaves.
        if t >= 13 then
            if hh14_j < j - 13 then
                hh14_j := j - 13; hh14 := p_high[j - 13];
                for i in j - 12 .. j loop
                    if p_high[i] >= hh14 then hh14 := p_high[i]; hh14_j := i; end if;
                end loop;
            elsif h >= hh14 then hh14 := h; hh14_j := j; end if;
            if ll14_j < j - 13 then
                ll14_j := j - 13; ll14 := p_low[j - 13];
                for i in j - 12 .. j loop
                    if p_low[i] <= ll14 then ll14 := p_low[i]; ll14_j := i; end if;
                end loop;
            elsif l <= ll14 then ll14 := l; ll14_j := j; end if;
            -- flat range (within 1e-14 of the prices, as TA-Lib 0.8): 0
            if abs(hh14 - ll14) > 0.00000000000001 * (abs(hh14) + abs(ll14)) then
                fk := (c - ll14) / ((hh14 - ll14) / 100.0);
                o.willr_14 := (hh14 - c) / ((hh14 - ll14) / (-100.0));
            else
                fk := 0; o.willr_14 := 0;
            end if;
            if t >= 15 then
                sk := ((fk2 + fk1) + fk) / 3;
                if t >= 17 then
                    o.stoch_k := sk; o.stoch_d := ((sk2 + sk1) + sk) / 3;
                else
                    o.stoch_k := null; o.stoch_d := null;
                end if;
                sk2 := sk1; sk1 := sk;
            else
                o.stoch_k := null; o.stoch_d := null;
            end if;
            fk2 := fk1; fk1 := fk;
        else
            o.willr_14 := null; o.stoch_k := null; o.stoch_d := null;
        end if;

        -- CCI over typical prices of 20 bars; near-zero tests relative to the prices (TA-Lib 0.8).
        if t >= 19 then
            a := 0;
            for i in j - 19 .. j loop
                a := a + tpa[i];
            end loop;
            tq := a;
            a := a / 20;
            b := 0;
            for i in j - 19 .. j loop
                b := b + abs(tpa[i] - a);
            end loop;
            d := tpa[j] - a;
            if abs(d) > 0.00000000000001 * abs(a) and b > 0.00000000000001 * abs(tq) then
                o.cci_20 := d / (0.015 * (b / 20));
            else
                o.cci_20 := 0;
            end if;
        else
            o.cci_20 := null;
        end if;

        if t >= 10 then
            a := p_close[j - 10];
            o.mom_10 := c - a;
            if a <> 0 then o.roc_10 := ((c / a) - 1.0) * 100.0; else o.roc_10 := 0; end if;
        else
            o.mom_10 := null; o.roc_10 := null;
        end if;

        -- 52-week high and low (252 bars including today): monotonic queues of (value, bar),
        -- kept in the state, so no window is ever rescanned.
        while qh_tail >= qh_head and qh_v[qh_tail] <= h loop qh_tail := qh_tail - 1; end loop;
        qh_tail := qh_tail + 1; qh_v[qh_tail] := h; qh_t[qh_tail] := t;
        if qh_t[qh_head] <= t - 252 then qh_head := qh_head + 1; end if;
        while ql_tail >= ql_head and ql_v[ql_tail] >= l loop ql_tail := ql_tail - 1; end loop;
        ql_tail := ql_tail + 1; ql_v[ql_tail] := l; ql_t[ql_tail] := t;
        if ql_t[ql_head] <= t - 252 then ql_head := ql_head + 1; end if;
        if t >= 251 then
            o.high_52w := qh_v[qh_head]; o.low_52w := ql_v[ql_head];
        else
            o.high_52w := null; o.low_52w := null;
        end if;

        o.atr_14 := case when t >= 14 then atr end;
        o.obv := v_obv;
        if j = v_n then
            -- every slot before the queues is written below except 60 and 61 (unused, 0)
            state := array_fill(0::float8, array[market._indicator_state_slot('queues') - 1]);
            state[market._indicator_state_slot('sma_5_sum')] := s5;
            state[market._indicator_state_slot('sma_10_sum')] := s10;
            state[market._indicator_state_slot('sma_20_sum')] := s20;
            state[market._indicator_state_slot('sma_50_sum')] := s50;
            state[market._indicator_state_slot('sma_100_sum')] := s100;
            state[market._indicator_state_slot('sma_200_sum')] := s200;
            state[market._indicator_state_slot('wma_20_weighted_sum')] := wsum;
            state[market._indicator_state_slot('volume_30_sum')] := sv30;
            state[market._indicator_state_slot('volume_90_sum')] := sv90;
            state[market._indicator_state_slot('ema_12')] := e12;
            state[market._indicator_state_slot('ema_26')] := e26;
            state[market._indicator_state_slot('ema_50')] := e50;
            state[market._indicator_state_slot('ema_200')] := e200;
            state[market._indicator_state_slot('macd_fast_ema')] := mf;
            state[market._indicator_state_slot('macd_signal')] := sg;
            state[market._indicator_state_slot('rsi_avg_gain')] := rg;
            state[market._indicator_state_slot('rsi_avg_loss')] := rl;
            state[market._indicator_state_slot('atr_14')] := atr;
            state[market._indicator_state_slot('plus_dm_14')] := pdm;
            state[market._indicator_state_slot('minus_dm_14')] := mdm;
            state[market._indicator_state_slot('true_range_14')] := tr14;
            state[market._indicator_state_slot('dx_sum')] := sumdx;
            state[market._indicator_state_slot('adx_14')] := adx;
            state[market._indicator_state_slot('obv')] := v_obv;
            state[market._indicator_state_slot('mfi_positive_flow')] := mpos;
            state[market._indicator_state_slot('mfi_negative_flow')] := mneg;
            state[market._indicator_state_slot('sar_is_long')] := is_long;
            state[market._indicator_state_slot('sar')] := v_sar;
            state[market._indicator_state_slot('sar_extreme_point')] := ep;
            state[market._indicator_state_slot('sar_acceleration')] := af;
            state[market._indicator_state_slot('stoch_fast_k_1')] := fk1;
            state[market._indicator_state_slot('stoch_fast_k_2')] := fk2;
            state[market._indicator_state_slot('stoch_slow_k_1')] := sk1;
            state[market._indicator_state_slot('stoch_slow_k_2')] := sk2;
            state[market._indicator_state_slot('beta_sum_xx')] := sxx;
            state[market._indicator_state_slot('beta_sum_x')] := sx;
            state[market._indicator_state_slot('beta_sum_xy')] := sxy;
            state[market._indicator_state_slot('beta_sum_y')] := sy;
            state[market._indicator_state_slot('wma_20_sum')] := wsub;
            state[market._indicator_state_slot('return_30_sum')] := sr;
            state[market._indicator_state_slot('return_30_sum_squares')] := sr2;
            state[market._indicator_state_slot('return_30_nonzero')] := nz;
            state[market._indicator_state_slot('close_20_changes')] := nch;
            state[market._indicator_state_slot('high_14')] := hh14;
            state[market._indicator_state_slot('low_14')] := ll14;
            state[market._indicator_state_slot('rsi_14_high')] := rhh;
            state[market._indicator_state_slot('rsi_14_low')] := rll;
            state[market._indicator_state_slot('rsi_ring'):market._indicator_state_slot('rsi_ring') + 13] := rsi_ring;
            state[market._indicator_state_slot('high_14_bar')] := hh14_j + p_base - 1;
            state[market._indicator_state_slot('low_14_bar')] := ll14_j + p_base - 1;
            state[market._indicator_state_slot('rsi_14_high_bar')] := rhh_t;
            state[market._indicator_state_slot('rsi_14_low_bar')] := rll_t;
            state[market._indicator_state_slot('high_queue_length')] := qh_tail - qh_head + 1;
            state[market._indicator_state_slot('low_queue_length')] := ql_tail - ql_head + 1;
            state := state || qh_v[qh_head:qh_tail] || qh_t[qh_head:qh_tail]::float8[]
                || ql_v[ql_head:ql_tail] || ql_t[ql_head:ql_tail]::float8[];
        else
            state := null;
        end if;
        return next;
    end loop;
end;
$$;

comment on function market._compute_indicators(
    date[], double precision[], double precision[], double precision[], double precision[],
    double precision[], date[], double precision[], integer, integer, double precision[]
) is
'Single-pass indicator kernel over one asset''s adjusted bars (TA-Lib definitions), continuing from a stored state; '
'the last row carries the state after the last bar. Shared by the full and the daily computation.';
