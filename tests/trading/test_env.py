from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import mimetic.envs  # noqa: F401  (registers mimetic/Trading-v0)
from mimetic.trading.backtest import step_profits
from mimetic.trading.data import Bars
from mimetic.trading.env import EPISODE_PROFIT, POSITION, TradingEnv, TradingVectorEnv, differential_sharpe
from tests.trading.markets import bars_from_closes

LONG, SHORT = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
CLOSES = [100.0, 101.0, 99.0, 102.0, 103.0]


def play(env: TradingEnv, actions: list[np.ndarray]) -> list[tuple]:
    env.reset(options={"episode": 0})
    return [env.step(a) for a in actions]


def test_profit_with_fee_and_slippage_on_five_bars() -> None:
    # rate = fee + slippage = 0.003, per unit traded, at the close where the trade happens:
    # t0 open long:   (101 - 100)*1  - 0.003*1*100 =  0.7
    # t1 hold:        ( 99 - 101)*1                = -2
    # t2 reverse:     (102 -  99)*-1 - 0.003*2*99  = -3.594
    # t3 hold:        (103 - 102)*-1               = -1
    env = TradingEnv(
        data=bars_from_closes(CLOSES), split="all", fee_rate=0.001, slippage=0.002, reward="profit", window=2
    )
    steps = play(env, [LONG, LONG, SHORT, SHORT])
    profits = [s[4]["profit"] for s in steps]
    assert profits == pytest.approx([0.7, -2.0, -3.594, -1.0], abs=1e-12)
    assert [s[1] for s in steps] == pytest.approx([p / 100.0 for p in profits])  # reward "profit": / capital
    assert [s[4]["position"] for s in steps] == [1, 1, -1, -1]
    assert steps[-1][4]["equity"] == pytest.approx(100.0 - 5.894)
    assert [s[2] for s in steps] == [False, False, False, True]  # the day ends at its last bar
    assert steps[-1][0][POSITION] == -1 and steps[-1][0][EPISODE_PROFIT] == pytest.approx(-0.05894, rel=1e-6)


def test_spec_slippage_model_applies_the_formula_literally() -> None:
    # r = (c1 - c0 - 2*zeta)*pos - fee*|dpos|*c0 with zeta = 0.002*c0:
    # (1 - 0.4)*1 - 0.1 = 0.5; (-2 - 0.404)*1 = -2.404; (3 - 0.396)*-1 - 0.198 = -2.802; (1 - 0.408)*-1 = -0.592
    env = TradingEnv(
        data=bars_from_closes(CLOSES),
        split="all",
        fee_rate=0.001,
        slippage=0.002,
        slippage_model="spec",
        reward="profit",
        window=2,
    )
    profits = [s[4]["profit"] for s in play(env, [LONG, LONG, SHORT, SHORT])]
    assert profits == pytest.approx([0.5, -2.404, -2.802, -0.592], abs=1e-12)


def test_env_and_backtester_profits_agree_exactly(minute_bars: Bars) -> None:
    rng = np.random.default_rng(0)
    for model in ("per-trade", "spec"):
        env = TradingEnv(
            data=minute_bars, split="all", slippage_model=model, allow_flat=True, fee_rate=1e-4, slippage=3e-4
        )
        for episode in (0, 5, 11):
            obs, _ = env.reset(options={"episode": episode})
            start, stop = env.view.episodes[episode]
            actions = rng.random((stop - start - 1, 2)).astype(np.float32)
            profits, positions = [], []
            for a in actions:
                *_, info = env.step(a)
                profits.append(info["profit"])
                positions.append(info["position"])
            expected = step_profits(
                minute_bars.close[start:stop], np.array(positions + [0]), 1e-4, 3e-4, model
            )
            assert np.array_equal(np.array(profits), expected)  # bit for bit


def test_dsr_matches_the_definition_with_the_first_step_guard() -> None:
    # Long all the way with no costs, capital 100: returns 0.01, -0.02. eta = 0.1.
    # Step 1: A0 = B0 = 0, so the denominator is 0 and the guard gives D1 = 0; A1 = 0.001, B1 = 1e-5.
    # Step 2: dA = 0.1*(-0.02 - 0.001) = -0.0021, dB = 0.1*(4e-4 - 1e-5) = 3.9e-5, var = 1e-5 - 1e-6 = 9e-6,
    #   D2 = (1e-5*-0.0021 - 0.5*0.001*3.9e-5) / 9e-6**1.5 = -4.05e-8 / 2.7e-8 = -1.5
    env = TradingEnv(
        data=bars_from_closes([100.0, 101.0, 99.0, 99.5]),
        split="all",
        fee_rate=0.0,
        slippage=0.0,
        dsr_eta=0.1,
        window=2,
    )
    rewards = [s[1] for s in play(env, [LONG, LONG, LONG])]
    assert rewards[0] == 0.0
    assert rewards[1] == pytest.approx(-1.5, rel=1e-9)
    returns = np.array([0.01, -0.02, 0.005])
    assert rewards == pytest.approx(differential_sharpe(returns, 0.1).tolist(), rel=1e-9)
    a, b = 0.001 - 0.0021, 1e-5 + 3.9e-5  # A2 = A1 + dA, B2 = B1 + dB
    r3 = 0.005
    by_hand = (b * 0.1 * (r3 - a) - 0.5 * a * 0.1 * (r3 * r3 - b)) / (b - a * a) ** 1.5
    assert rewards[2] == pytest.approx(by_hand, rel=1e-9)
    # Equal returns keep the variance at zero: the guard holds the reward at 0, never inf or NaN.
    flat = differential_sharpe(np.zeros(5))
    assert flat.tolist() == [0.0] * 5


def test_the_episode_stops_at_a_thirty_percent_loss() -> None:
    env = TradingEnv(
        data=bars_from_closes([100.0, 95.0, 80.0, 60.0, 70.0, 75.0]),
        split="all",
        reward="profit",
        fee_rate=0.0,
        slippage=0.0,
        window=2,
    )
    steps = play(env, [LONG, LONG, LONG])
    assert [s[2] for s in steps] == [False, False, True]  # equity 95, 80, then 60 <= 70
    assert steps[-1][4]["equity"] == pytest.approx(60.0)


def test_flat_is_a_switch_and_argmax_picks_the_side() -> None:
    bars = bars_from_closes(CLOSES)
    no_flat = TradingEnv(data=bars, split="all", window=2)
    flat = TradingEnv(data=bars, split="all", window=2, allow_flat=True)
    weak = np.array([0.2, 0.1], np.float32)
    assert [s[4]["position"] for s in play(no_flat, [weak, np.array([0.1, 0.3], np.float32)])] == [1, -1]
    assert [s[4]["position"] for s in play(flat, [weak, np.array([0.1, 0.9], np.float32)])] == [0, -1]


def test_gym_make_and_episode_lengths(minute_bars: Bars) -> None:
    env = gym.make("mimetic/Trading-v0", data=minute_bars, split="all", window=5)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert obs.shape == (12 + 4 * 5,)
    n = 0
    while True:
        n += 1
        *_, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    assert n == 59  # a 60-bar session: act at bars 0..58, the last bar ends it
    chunked = TradingEnv(data=minute_bars, split="all", episode=25)
    assert chunked.num_episodes == math.ceil(len(minute_bars) / 25)


def test_vector_env_gives_the_same_numbers_as_sync_vector_env(minute_bars: Bars) -> None:
    kwargs = dict(data=minute_bars, split="all", allow_flat=True, episode=17)
    vec = TradingVectorEnv(3, **kwargs)
    sync = gym.vector.SyncVectorEnv([lambda: TradingEnv(**kwargs) for _ in range(3)])
    a, b = vec.reset(seed=11)[0], sync.reset(seed=11)[0]
    assert np.array_equal(a, b)
    rng = np.random.default_rng(1)
    resets = 0
    for _ in range(120):
        actions = rng.random((3, 2)).astype(np.float32)
        out_vec, out_sync = vec.step(actions), sync.step(actions)
        for x, y in zip(out_vec[:4], out_sync[:4], strict=True):
            assert np.array_equal(x, y)
        mask = out_sync[4]["_equity"]
        assert np.array_equal(out_vec[4]["equity"][mask], out_sync[4]["equity"][mask])
        resets += int(out_vec[2].sum())
    assert resets >= 10  # the comparison went through many autoresets


def test_make_vec_uses_the_vector_env(minute_bars: Bars) -> None:
    envs = gym.make_vec(
        "mimetic/Trading-v0",
        num_envs=2,
        vectorization_mode="vector_entry_point",
        data=minute_bars,
        split="all",
    )
    assert isinstance(envs.unwrapped, TradingVectorEnv)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (2, envs.single_observation_space.shape[0])


@pytest.mark.filterwarnings("ignore:.*Box observation space m")  # unbounded features are intended
def test_passes_gymnasiums_env_checker(minute_bars: Bars) -> None:
    from gymnasium.utils.env_checker import check_env

    check_env(TradingEnv(data=minute_bars, split="all"), skip_render_check=True)


def test_data_can_be_a_csv_path_or_a_dataframe(tmp_path) -> None:
    from tests.trading.markets import frame_from_closes

    frame = frame_from_closes(
        [100.0, 101.0, 102.0, 101.5, 103.0, 104.0], session=["2021-03-01"] * 3 + ["2021-03-02"] * 3
    )
    frame.to_csv(tmp_path / "bars.csv", index=False)
    for data in (frame, tmp_path / "bars.csv", str(tmp_path / "bars.csv")):
        env = TradingEnv(data=data, split="all", window=3)
        assert env.num_episodes == 2
        obs, _ = env.reset(options={"episode": 1})
        assert env.bar_index == 3 and obs.shape == (12 + 12,)
