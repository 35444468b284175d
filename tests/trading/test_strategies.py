from __future__ import annotations

import numpy as np
import pytest

from mimetic.policies import Policy
from mimetic.trading.data import Bars
from mimetic.trading.env import NUM_FEATURES, TradingEnv, TradingVectorEnv
from mimetic.trading.strategies import (
    BASELINES,
    STRATEGIES,
    DualThrust,
    HindsightTeacher,
    hindsight_positions,
    hold_signals,
    make_strategy,
)
from tests.trading.markets import hand_bars


def test_registry_holds_every_strategy() -> None:
    assert set(STRATEGIES.names()) == {*BASELINES, "hindsight-teacher"}
    for name in BASELINES:
        assert isinstance(make_strategy(name), Policy)
    with pytest.raises(ValueError, match="looks ahead"):
        make_strategy("hindsight-teacher")


def test_dual_thrust_signals_on_the_hand_made_series() -> None:
    from mimetic.trading.env import market_matrix
    from mimetic.trading.indicators import IndicatorConfig

    bars = hand_bars()
    features = market_matrix(bars, 1, IndicatorConfig(dual_thrust_days=2))[:, :NUM_FEATURES]
    # Lines (see test_indicators): 10/10, 11.5/8.5, 14/10. Closes: 11 12 9 10 | 10 13 12 11 | 12.5 15.5 9.5 10.
    # A close equal to a line is not a break.
    assert DualThrust().signal(features).tolist() == [1, 1, -1, 0, 0, 1, 1, 0, 0, 1, -1, 0]
    assert DualThrust().positions(features).tolist() == [1, 1, -1, -1, -1, 1, 1, 1, 1, 1, -1, -1]
    per_day = DualThrust().positions(features, starts=bars.day_bounds[:-1])
    assert per_day.tolist() == [1, 1, -1, -1, 0, 1, 1, 1, 0, 1, -1, -1]


def test_hold_signals() -> None:
    assert hold_signals(np.array([0, 1, 0, -1, 0])).tolist() == [0, 1, 1, -1, -1]
    assert hold_signals(np.array([0, 1, 0, 0, 0]), starts=np.array([0, 3])).tolist() == [0, 1, 1, 0, 0]
    assert hold_signals(np.array([0, 0, -1]), initial=1).tolist() == [1, 1, -1]


@pytest.mark.parametrize("name", BASELINES)
@pytest.mark.parametrize("allow_flat", [True, False])
def test_policy_in_the_env_matches_the_vectorized_positions(
    minute_bars: Bars, name: str, allow_flat: bool
) -> None:
    strategy = make_strategy(name)
    env = TradingVectorEnv(4, data=minute_bars, split="all", allow_flat=allow_flat)
    obs, _ = env.reset(options={"episode": [0, 3, 7, 11]})
    starts = env.view.episodes[[0, 3, 7, 11], 0]
    length = 59
    played = []
    for _ in range(length):
        actions, _ = strategy.act(obs)
        obs, _, terminated, _, info = env.step(actions)
        played.append(info["position"])
    played = np.array(played).T
    expected = strategy.positions(
        env.view.market[:, :NUM_FEATURES], starts=env.view.episodes[:, 0], initial=0 if allow_flat else 1
    )
    for row, start in zip(played, starts, strict=True):
        assert np.array_equal(row, expected[start : start + length])


def test_hindsight_teacher_goes_long_at_the_low_and_short_at_the_high() -> None:
    close = np.array([5.0, 3.0, 1.0, 4.0, 6.0, 2.0, 7.0, 9.0, 8.0])
    # Episode 1 (bars 0-4): low at 2, high at 4 -> short, short, long, long, short.
    # Episode 2 (bars 5-8): low at 5 (index 0), high at 7 (index 2) -> long, long, short, short.
    bounds = np.array([[0, 5], [5, 9]])
    assert hindsight_positions(close, bounds).tolist() == [-1, -1, 1, 1, -1, 1, 1, -1, -1]
    high_first = np.array([3.0, 9.0, 5.0, 1.0])  # up to the high, down to the low, then up
    assert hindsight_positions(high_first, np.array([[0, 4]])).tolist() == [1, -1, -1, 1]


def test_hindsight_teacher_reads_the_env_it_teaches(minute_bars: Bars) -> None:
    env = TradingEnv(data=minute_bars, split="all", reward="profit", fee_rate=0.0, slippage=0.0)
    teacher = HindsightTeacher(env)
    obs, _ = env.reset(options={"episode": 2})
    total = 0.0
    for _ in range(59):
        action, _ = teacher.act(obs[None])
        obs, reward, terminated, _, _ = env.step(action[0])
        total += reward
    assert terminated and total > 0.0  # perfect foresight always profits without costs


def test_dual_thrust_records_demonstrations_with_collect(minute_bars: Bars) -> None:
    import mimetic.envs  # noqa: F401
    from mimetic.experts.collect import collect

    ds = collect(
        make_strategy("dual-thrust"),
        "mimetic/Trading-v0",
        3,
        seed=0,
        env_kwargs={"data": minute_bars, "split": "all"},
    )
    assert len(ds) == 3
    for episode in ds:
        assert episode.acts.shape == (59, 2) and episode.obs.shape[0] == 60
        held = episode.obs[1:, 10]  # the position column after each step is the action's side
        assert np.array_equal(held, np.where(episode.acts[:, 0] >= episode.acts[:, 1], 1, -1))
