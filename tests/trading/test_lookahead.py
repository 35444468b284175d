"""No look-ahead (issue 9, acceptance): perturbing every bar after t changes nothing at t, except
for the hindsight teacher, which must change."""

from __future__ import annotations

import numpy as np
import pytest

from mimetic.trading.data import Bars, load_bundled
from mimetic.trading.env import NUM_FEATURES, TradingEnv, market_matrix
from mimetic.trading.indicators import IndicatorConfig, dual_thrust_lines, macd, rsi, sma, stochastic_kd
from mimetic.trading.strategies import BASELINES, HindsightTeacher, make_strategy


def perturbed_after(bars: Bars, t: int, rng: np.random.Generator) -> Bars:
    """The same bars up to t; after t, every price scaled by random factors (still valid bars)."""
    scale = np.ones(len(bars))
    scale[t + 1 :] = np.exp(rng.normal(0.0, 0.05, len(bars) - t - 1))
    o, c = bars.open * scale, bars.close * scale
    wiggle = np.where(np.arange(len(bars)) > t, rng.uniform(0.0, 0.02, len(bars)), 0.0)
    h = np.maximum(bars.high * scale, np.maximum(o, c)) * (1 + wiggle)
    lo = np.minimum(bars.low * scale, np.minimum(o, c)) * (1 - wiggle)
    return Bars(bars.name + "-perturbed", bars.time, o, h, lo, c, bars.volume, bars.session)


def random_times(bars: Bars, count: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return sorted(int(t) for t in rng.integers(1, len(bars) - 2, count))


@pytest.mark.parametrize("market", ["synthetic", "btc"])
def test_indicators_at_t_ignore_later_bars(minute_bars: Bars, market: str) -> None:
    bars = minute_bars if market == "synthetic" else load_bundled("btc-usd-1h").take_days(100, 140)
    rng = np.random.default_rng(0)
    for t in random_times(bars, 8, seed=1):
        other = perturbed_after(bars, t, rng)
        assert not np.allclose(other.close[t + 1 :], bars.close[t + 1 :])
        for fn in (
            lambda b: sma(b.close, 7),
            lambda b: sma(b.close, 56),
            lambda b: rsi(b.close, 14),
            lambda b: np.stack(stochastic_kd(b.high, b.low, b.close)),
            lambda b: np.stack(macd(b.close)),
            lambda b: np.stack(dual_thrust_lines(b.open, b.high, b.low, b.close, b.day_bounds)),
        ):
            before, after = fn(bars), fn(other)
            assert np.array_equal(before[..., : t + 1], after[..., : t + 1])


def test_observations_at_t_ignore_later_bars(minute_bars: Bars) -> None:
    rng = np.random.default_rng(2)
    for t in random_times(minute_bars, 6, seed=3):
        other = perturbed_after(minute_bars, t, rng)
        a = market_matrix(minute_bars, 10, IndicatorConfig())
        b = market_matrix(other, 10, IndicatorConfig())
        assert np.array_equal(a[: t + 1], b[: t + 1])
        assert not np.array_equal(a[t + 1 :], b[t + 1 :])
        # Through the env: play the same random actions up to t in the episode holding t.
        day = int(np.searchsorted(minute_bars.day_bounds, t, side="right") - 1)
        envs = [TradingEnv(data=bars, split="all", window=10) for bars in (minute_bars, other)]
        obs = [env.reset(options={"episode": day})[0] for env in envs]
        actions = rng.random((t - int(minute_bars.day_bounds[day]), 2)).astype(np.float32)
        for action in actions:
            obs = [env.step(action)[0] for env in envs]
        assert envs[0].bar_index == t
        assert np.array_equal(obs[0], obs[1])


@pytest.mark.parametrize("name", BASELINES)
def test_strategy_actions_at_t_ignore_later_bars(minute_bars: Bars, name: str) -> None:
    rng = np.random.default_rng(4)
    strategy = make_strategy(name)
    for t in random_times(minute_bars, 6, seed=5):
        other = perturbed_after(minute_bars, t, rng)
        feats = [market_matrix(b, 10, IndicatorConfig())[:, :NUM_FEATURES] for b in (minute_bars, other)]
        pos = [strategy.positions(f) for f in feats]
        assert np.array_equal(pos[0][: t + 1], pos[1][: t + 1])
        obs = [market_matrix(b, 10, IndicatorConfig())[t : t + 1].copy() for b in (minute_bars, other)]
        acts = [strategy.act(o)[0] for o in obs]
        assert np.array_equal(acts[0], acts[1])


def test_the_hindsight_teacher_looks_ahead_on_purpose(minute_bars: Bars) -> None:
    rng = np.random.default_rng(6)
    changed = 0
    for t in random_times(minute_bars, 10, seed=7):
        other = perturbed_after(minute_bars, t, rng)
        envs = [TradingEnv(data=b, split="all") for b in (minute_bars, other)]
        teachers = [HindsightTeacher(env).positions() for env in envs]
        changed += not np.array_equal(teachers[0][: t + 1], teachers[1][: t + 1])
    assert changed >= 5  # its action at t depends on the bars after t
