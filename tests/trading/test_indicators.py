from __future__ import annotations

import numpy as np
import pytest

from mimetic.trading.indicators import (
    dual_thrust_lines,
    dual_thrust_range,
    ema,
    macd,
    rsi,
    sma,
    stochastic_kd,
)
from tests.trading.markets import hand_bars


def test_dual_thrust_range_and_lines_by_hand() -> None:
    bars = hand_bars()
    # n = 2. Session 1 sees session 0 only: max(HH - LC, HC - LL) = max(13 - 10, 10 - 8) = 3.
    # Session 2 sees sessions 0 and 1: HH 14, LC 10, HC 11, LL 8 -> max(4, 3) = 4. Session 0: 0.
    day_high = np.array([13.0, 14.0, 16.0])
    day_low = np.array([8.0, 9.0, 9.0])
    day_close = np.array([10.0, 11.0, 10.0])
    assert dual_thrust_range(day_high, day_low, day_close, n=2).tolist() == [0.0, 3.0, 4.0]
    buy, sell = dual_thrust_lines(
        bars.open, bars.high, bars.low, bars.close, bars.day_bounds, n=2, k1=0.5, k2=0.5
    )
    assert buy.tolist() == [10.0] * 4 + [11.5] * 4 + [14.0] * 4
    assert sell.tolist() == [10.0] * 4 + [8.5] * 4 + [10.0] * 4


def test_sma_uses_the_last_n_values_and_an_expanding_warm_up() -> None:
    assert sma(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 3).tolist() == [1.0, 1.5, 2.0, 3.0, 4.0]


def test_ema_macd_rsi_kd_by_definition() -> None:
    x = np.array([10.0, 11.0, 10.5, 12.0, 11.0, 13.0])
    e = [x[0]]
    for v in x[1:]:
        e.append(0.5 * v + 0.5 * e[-1])  # span 3 -> alpha = 0.5
    assert ema(x, 3) == pytest.approx(e)
    line, signal, hist = macd(x, 2, 4, 3)
    assert line == pytest.approx(ema(x, 2) - ema(x, 4))
    assert hist == pytest.approx(line - signal)
    up = np.array([1.0, 2.0, 3.0, 4.0])
    assert rsi(up, 14).tolist() == [50.0, 100.0, 100.0, 100.0]
    high, low, close = np.array([2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0]), np.array([1.5, 3.0, 2.0])
    k, d = stochastic_kd(high, low, close, n=2, smoothing=3)
    rsv = [50.0, 100.0, 1.0 / 3.0 * 100.0]  # (1.5-1)/(2-1), (3-1)/(3-1), (2-1)/(4-1)
    k_ref, d_ref = [], []
    kk = dd = 50.0
    for value in rsv:
        kk = 2 / 3 * kk + value / 3
        dd = 2 / 3 * dd + kk / 3
        k_ref.append(kk)
        d_ref.append(dd)
    assert k == pytest.approx(k_ref) and d == pytest.approx(d_ref)
