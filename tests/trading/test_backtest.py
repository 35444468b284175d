from __future__ import annotations

import math

import numpy as np
import pytest

from mimetic.trading.backtest import backtest_strategies, equity_curve, run_backtest, step_profits
from mimetic.trading.data import synthetic_bars
from mimetic.trading.metrics import compute_metrics, daily_returns, max_drawdown, sharpe_ratio, total_return


def test_max_drawdown_sharpe_and_total_return_on_a_known_curve() -> None:
    equity = np.array([100.0, 120.0, 90.0, 135.0, 108.0])
    assert total_return(equity) == pytest.approx(0.08)
    assert max_drawdown(equity) == pytest.approx(0.25)  # 120 -> 90; 135 -> 108 is only 0.2
    assert max_drawdown(np.array([1.0, 2.0, 3.0])) == 0.0
    assert max_drawdown(np.array([10.0, 5.0, -1.0])) == 1.0  # ruin caps it at 1
    daily = daily_returns(equity, np.array([0, 1, 2, 3, 4, 5]))  # one bar per session
    assert daily[1:] == pytest.approx([0.2, -0.25, 0.5, -0.2])
    r = np.array([0.2, -0.25, 0.5, -0.2])
    mean = 0.0625
    std = math.sqrt((0.1375**2 + 0.3125**2 + 0.4375**2 + 0.2625**2) / 3)
    assert sharpe_ratio(r, 252) == pytest.approx(mean / std * math.sqrt(252))


def test_buy_and_hold_with_zero_costs_returns_last_over_first() -> None:
    bars = synthetic_bars(days=5, bars_per_day=50, seed=2)
    result = run_backtest(bars, np.ones(len(bars)), fee_rate=0.0, slippage=0.0)
    assert result.metrics.total_return == pytest.approx(bars.close[-1] / bars.close[0] - 1.0, rel=1e-12)
    assert result.metrics.trades == 1 and result.metrics.turnover == pytest.approx(1.0)
    costly = run_backtest(bars, np.ones(len(bars)), fee_rate=1e-3, slippage=0.0)
    assert costly.equity[-1] == pytest.approx(result.equity[-1] - 1e-3 * bars.close[0])


def test_trades_turnover_and_hit_rate_by_hand() -> None:
    close = np.array([10.0, 11.0, 12.0, 11.0, 10.0, 10.5])
    positions = np.array([1, 1, -1, -1, 0, 0])
    profits = step_profits(close, positions, fee_rate=0.0, slippage=0.0)
    assert profits.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    equity = equity_curve(profits, 10.0)
    m = compute_metrics(equity, np.array([0, 3, 6]), positions, profits, close, 252)
    assert m.trades == 3  # open long, reverse to short, go flat
    assert m.turnover == pytest.approx((1 * 10 + 2 * 12 + 1 * 10) / 10.0)
    assert m.hit_rate == 1.0  # both the long and the short run made money


def test_step_profits_is_the_formula_vectorized() -> None:
    rng = np.random.default_rng(0)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 50)))
    pos = rng.integers(-1, 2, 50)
    fast = step_profits(close, pos, 1e-3, 2e-3)
    slow, prev = [], 0
    for t in range(49):
        slow.append((close[t + 1] - close[t]) * pos[t] - 3e-3 * abs(pos[t] - prev) * close[t])
        prev = pos[t]
    assert fast == pytest.approx(slow, rel=1e-12, abs=1e-12)


def test_backtest_strategies_on_a_bundled_split() -> None:
    results = backtest_strategies("eur-usd-1h", "test", ["dual-thrust", "buy-hold", "short-hold"])
    by_name = {r.name: r for r in results}
    bars = by_name["buy-hold"].bars
    assert str(bars.time[0])[:10] == "2017-10-31"  # the session of 1 Nov starts 17:00 New York on 31 Oct
    for r in results:
        assert 0.0 <= r.metrics.max_drawdown <= 1.0 and len(r.equity) == len(bars)
    # Costs are on: long and short together lose exactly their two opening costs.
    both = by_name["buy-hold"].equity[-1] + by_name["short-hold"].equity[-1] - 2 * bars.close[0]
    assert both == pytest.approx(-2 * (2.3e-5 + 5e-5) * bars.close[0])
