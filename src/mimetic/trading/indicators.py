"""Technical indicators as plain vectorized functions; each value at bar t uses only bars <= t.

The spec's observation carries the Dual Thrust buy and sell lines, SMA(7), SMA(56), RSI,
stochastic KD and MACD. Warm-up bars (fewer than n bars of history) use the history there is
(an expanding window) instead of NaN, so every value is finite and still causal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class IndicatorConfig:
    """Indicator periods. Defaults: the spec's SMA(7)/SMA(56) and Dual Thrust (n=5, K1=K2=0.5);
    the textbook periods elsewhere: RSI 14 (Wilder 1978), KD 9/3/3 (the common setting in Chinese
    futures markets, where the paper's data comes from), MACD 12/26/9 (Appel)."""

    sma_fast: int = 7
    sma_slow: int = 56
    rsi_period: int = 14
    kd_period: int = 9
    kd_smoothing: int = 3
    macd_fast: int = 12
    macd_slow: int = 26
    macd_signal: int = 9
    dual_thrust_days: int = 5
    dual_thrust_k1: float = 0.5
    dual_thrust_k2: float = 0.5


def sma(x: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last n values (of the last t+1 while t+1 < n)."""
    x = np.asarray(x, dtype=np.float64)
    csum = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - n, 0)
    return (csum[idx] - csum[lo]) / (idx - lo)


def ema(x: np.ndarray, span: float | None = None, *, alpha: float | None = None) -> np.ndarray:
    """Exponential moving average, e_t = alpha*x_t + (1-alpha)*e_{t-1}, seeded with x_0.

    `span` gives alpha = 2/(span+1) (the MACD convention); `alpha` sets it directly.
    """
    if alpha is None:
        assert span is not None
        alpha = 2.0 / (span + 1.0)
    import pandas as pd  # here, not at the top: importing this module stays cheap

    return pd.Series(np.asarray(x, dtype=np.float64)).ewm(alpha=alpha, adjust=False).mean().to_numpy()


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    """Wilder's RSI in [0, 100]: 100 - 100/(1 + avg gain/avg loss), averages with alpha = 1/n.

    The first bar has no change and reads 50; a window without losses reads 100.
    """
    change = np.diff(np.asarray(close, dtype=np.float64), prepend=close[0])
    gain = ema(np.maximum(change, 0.0), alpha=1.0 / n)
    loss = ema(np.maximum(-change, 0.0), alpha=1.0 / n)
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, 100.0 * gain / np.where(total > 0, total, 1.0), 50.0)
    return out  # 100*g/(g+l) equals 100 - 100/(1 + g/l) and needs no special case for l = 0


def rolling_max(x: np.ndarray, n: int) -> np.ndarray:
    import pandas as pd

    return pd.Series(x).rolling(n, min_periods=1).max().to_numpy()


def rolling_min(x: np.ndarray, n: int) -> np.ndarray:
    import pandas as pd

    return pd.Series(x).rolling(n, min_periods=1).min().to_numpy()


def stochastic_kd(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 9, smoothing: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic K and D in [0, 100], the KDJ form: RSV = 100*(C - LLV_n)/(HHV_n - LLV_n),
    K_t = (1 - 1/m)*K_{t-1} + RSV_t/m, D_t = (1 - 1/m)*D_{t-1} + K_t/m, with K and D starting at 50.
    A flat window (HHV = LLV) gives RSV = 50.
    """
    hh, ll = rolling_max(high, n), rolling_min(low, n)
    span = hh - ll
    rsv = np.where(span > 0, 100.0 * (close - ll) / np.where(span > 0, span, 1.0), 50.0)
    alpha = 1.0 / smoothing
    # Prepending the seed 50 and dropping it starts both recursions at 50, as the KDJ convention does.
    k = ema(np.concatenate([[50.0], rsv]), alpha=alpha)[1:]
    d = ema(np.concatenate([[50.0], k]), alpha=alpha)[1:]
    return k, d


def macd(
    close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD line EMA_fast - EMA_slow, its signal line EMA_signal(MACD), and the histogram (their difference)."""
    line = ema(close, fast) - ema(close, slow)
    sig = ema(line, signal)
    return line, sig, line - sig


def daily_ohlc(
    open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray, day_bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each session's open, high, low and close (one value per session)."""
    starts = day_bounds[:-1]
    return (
        open_[starts],
        np.maximum.reduceat(high, starts),
        np.minimum.reduceat(low, starts),
        close[day_bounds[1:] - 1],
    )


def dual_thrust_range(
    day_high: np.ndarray, day_low: np.ndarray, day_close: np.ndarray, n: int = 5
) -> np.ndarray:
    """Range of each session from the n sessions before it (spec): max(HH - LC, HC - LL), where HH is
    the highest high, LC the lowest close, HC the highest close and LL the lowest low of those days.

    Sessions with fewer than n predecessors use those they have; the very first session has none,
    and its range is 0 (its lines sit on the open, so its first move sets the side).
    """

    import pandas as pd

    def prior(x: np.ndarray, fn: str) -> np.ndarray:
        rolled = getattr(pd.Series(x).rolling(n, min_periods=1), fn)().to_numpy()
        return np.concatenate([[np.nan], rolled[:-1]])  # shift by one: only earlier sessions count

    hh, ll = prior(day_high, "max"), prior(day_low, "min")
    hc, lc = prior(day_close, "max"), prior(day_close, "min")
    out = np.maximum(hh - lc, hc - ll)
    out[0] = 0.0
    return out


def dual_thrust_lines(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    day_bounds: np.ndarray,
    n: int = 5,
    k1: float = 0.5,
    k2: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar Dual Thrust lines (spec): BuyLine = open + K1*Range, SellLine = open - K2*Range, where
    open is the session's first open (known from the session's first bar on) and Range comes from
    the n sessions before. Both are constant within a session."""
    day_open, day_high, day_low, day_close = daily_ohlc(open_, high, low, close, day_bounds)
    rng = dual_thrust_range(day_high, day_low, day_close, n)
    lengths = np.diff(day_bounds)
    return np.repeat(day_open + k1 * rng, lengths), np.repeat(day_open - k2 * rng, lengths)
