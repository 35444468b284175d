"""Backtest metrics (spec, Metrics): total return, annualized Sharpe and volatility, maximum
drawdown, Calmar, trades, turnover, hit rate. Plain functions of an equity curve and positions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


def total_return(equity: np.ndarray) -> float:
    """(P_end - P_start) / P_start."""
    return float((equity[-1] - equity[0]) / equity[0])


def max_drawdown(equity: np.ndarray) -> float:
    """max over i < j of (P_i - P_j) / P_i, in [0, 1]: the largest fall from a running peak.

    An equity at or below zero is ruin, a drawdown of 1 (the ratio would pass 1 otherwise).
    """
    equity = np.asarray(equity, dtype=np.float64)
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, (peak - equity) / peak, 0.0)
    return float(np.clip(dd.max(initial=0.0), 0.0, 1.0))


def drawdown_curve(equity: np.ndarray) -> np.ndarray:
    """(running peak - P_t) / running peak at every t, clipped to [0, 1]."""
    peak = np.maximum.accumulate(equity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(np.where(peak > 0, (peak - equity) / peak, 0.0), 0.0, 1.0)


def sharpe_ratio(daily_returns: np.ndarray, periods_per_year: float) -> float:
    """mean / std (sample, ddof = 1) of daily returns times sqrt(trading days per year); NaN when
    the std is 0 or there are fewer than two days."""
    r = np.asarray(daily_returns, dtype=np.float64)
    if len(r) < 2:
        return math.nan
    std = r.std(ddof=1)
    return float(r.mean() / std * math.sqrt(periods_per_year)) if std > 0 else math.nan


def annualized_volatility(daily_returns: np.ndarray, periods_per_year: float) -> float:
    r = np.asarray(daily_returns, dtype=np.float64)
    return float(r.std(ddof=1) * math.sqrt(periods_per_year)) if len(r) >= 2 else math.nan


def daily_returns(equity: np.ndarray, day_bounds: np.ndarray) -> np.ndarray:
    """Returns from one session's close to the next: equity at each session's last bar, relative
    to the previous one (the first session relative to the starting equity)."""
    ends = equity[np.asarray(day_bounds[1:]) - 1]
    prev = np.concatenate([[equity[0]], ends[:-1]])
    return ends / prev - 1.0


@dataclass(frozen=True)
class Metrics:
    """The spec's backtest metrics. Returns are fractions; turnover is in multiples of the starting
    capital; hit rate is the fraction of trades (runs of one non-flat position) that made money
    after costs, a trade carrying the cost of the order that opened it."""

    total_return: float
    annualized_return: float
    sharpe: float
    volatility: float
    max_drawdown: float
    calmar: float
    trades: int
    turnover: float
    hit_rate: float
    days: int
    bars: int

    def as_dict(self) -> dict[str, float | int | None]:
        # NaN is not JSON: report it as None.
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()
        }


def trade_stats(
    positions: np.ndarray, profits: np.ndarray, close: np.ndarray, capital: float, initial_position: int = 0
) -> tuple[int, float, float]:
    """(trades, turnover, hit rate) of positions[t] held over bar t -> t+1 with per-step `profits`."""
    pos = np.asarray(positions[: len(profits)], dtype=np.float64)
    change = np.diff(pos, prepend=float(initial_position))
    orders = change != 0
    trades = int(orders.sum())
    turnover = float(np.abs(change) @ close[: len(pos)] / capital)
    starts = np.flatnonzero(orders)
    if len(starts) == 0:
        return trades, turnover, math.nan
    run_profit = np.add.reduceat(profits, starts)
    held = pos[starts] != 0
    hit = float((run_profit[held] > 0).mean()) if held.any() else math.nan
    return trades, turnover, hit


def compute_metrics(
    equity: np.ndarray,
    day_bounds: np.ndarray,
    positions: np.ndarray,
    profits: np.ndarray,
    close: np.ndarray,
    periods_per_year: float,
    initial_position: int = 0,
) -> Metrics:
    daily = daily_returns(equity, day_bounds)
    days = len(daily)
    growth = equity[-1] / equity[0]
    annual = growth ** (periods_per_year / days) - 1.0 if growth > 0 and days else -1.0
    mdd = max_drawdown(equity)
    trades, turnover, hit = trade_stats(positions, profits, close, float(equity[0]), initial_position)
    return Metrics(
        total_return=total_return(equity),
        annualized_return=float(annual),
        sharpe=sharpe_ratio(daily, periods_per_year),
        volatility=annualized_volatility(daily, periods_per_year),
        max_drawdown=mdd,
        calmar=float(annual / mdd) if mdd > 0 else math.nan,
        trades=trades,
        turnover=turnover,
        hit_rate=hit,
        days=days,
        bars=len(equity),
    )
