"""`mimetic/Trading-v0`: the QTNet/iRDPG trading POMDP (spec: ../shared/specs/qtnet.md, Problem).

One episode is one trading session (or N consecutive bars). At bar t the agent sees bar t and
earlier ones only, picks a position from a = [p_long, p_short], and earns what that position
makes until bar t+1 minus the cost of the trade that set it. Everything market-dependent (the
OHLC window, the indicators) is precomputed once per market, so `step` is a few scalar
operations and one row copy.

Profit of the step that acts at bar t (points, one unit of the instrument):
    profit_t = (c_{t+1} - c_t) * pos_t - (fee_rate + slippage) * |pos_t - pos_{t-1}| * c_t
This is the spec's r_{t+1} = (c_{t+1} - c_t)*pos_t - delta*|pos_{t+1} - pos_t|*c_{t+1} with each
trade's cost booked on the step that makes the trade, so an action's reward holds its own cost
and its own P&L; summed over an episode the two agree (the env makes no decision at the last bar).
Slippage is a fraction of price paid per unit traded, so a reversal (|delta pos| = 2) pays the
spec's 2*zeta. Why not the spec's term literally: (c_{t+1} - c_t - 2*zeta)*pos_t charges a long
2*zeta on every bar it is held and credits a short the same, +-2.4% a day on 240 one-minute bars
at the defaults, a bias no cost model intends. `slippage_model="spec"` keeps that literal form
for comparison with the reimplementations (zeta_t = slippage * c_t).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector.utils import batch_space

from mimetic.trading.data import Bars, MarketSource, load_market, split_days
from mimetic.trading.indicators import IndicatorConfig, dual_thrust_lines, macd, rsi, sma, stochastic_kd

# Observation layout: indicator features first, so their indices do not depend on the window.
FEATURE_NAMES = (
    "buy_line",  # Dual Thrust buy line / close - 1  (< 0: the close broke above it)
    "sell_line",  # Dual Thrust sell line / close - 1 (> 0: the close broke below it)
    "sma_fast",  # SMA(7) / close - 1
    "sma_slow",  # SMA(56) / close - 1
    "rsi",  # RSI / 100
    "stoch_k",  # K / 100
    "stoch_d",  # D / 100
    "macd",  # MACD line / close
    "macd_signal",  # signal line / close
    "macd_hist",  # histogram / close
)
NUM_FEATURES = len(FEATURE_NAMES)
POSITION = NUM_FEATURES  # the account part: the position held now (-1, 0, +1)
EPISODE_PROFIT = NUM_FEATURES + 1  # and the episode's cumulative profit / capital
WINDOW_START = NUM_FEATURES + 2  # then the window: (open, high, low, close) / close_t - 1, oldest first


@dataclass(frozen=True)
class TradingConfig:
    """Everything that defines `mimetic/Trading-v0`; every field is also a `gym.make` keyword.

    Defaults follow the spec: fee rate delta = 2.3e-5 and slippage zeta = 0.2 index points (the
    reimplementations' CSI 300 futures values), here expressed per instrument as a fraction of
    price: 0.2 / 4000 (the index level of the paper's data) = 5e-5. The differential Sharpe ratio
    with eta = 0.01 (Moody & Saffell 1998), the stop at a 30% loss, and a flat position off.
    `window` (not given by the spec) is the number of recent bars in the observation.
    """

    data: MarketSource = "btc-usd-1h"
    split: str = "train"
    episode: Literal["day"] | int = "day"
    window: int = 10
    fee_rate: float = 2.3e-5
    slippage: float = 5e-5
    slippage_model: Literal["per-trade", "spec"] = "per-trade"
    allow_flat: bool = False
    flat_threshold: float = 0.5  # with allow_flat: flat when max(p_long, p_short) < this
    reward: Literal["dsr", "profit"] = "dsr"
    dsr_eta: float = 0.01
    stop_loss: float = 0.3
    indicators: IndicatorConfig = field(default_factory=IndicatorConfig)


def config_from_kwargs(config: TradingConfig | None, kwargs: dict[str, Any]) -> TradingConfig:
    cfg = config or TradingConfig()
    unknown = set(kwargs) - set(TradingConfig.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown Trading-v0 option(s): {', '.join(sorted(unknown))}")
    cfg = replace(cfg, **kwargs)
    if cfg.reward not in ("dsr", "profit"):
        raise ValueError(f"reward must be 'dsr' or 'profit', not {cfg.reward!r}")
    if cfg.slippage_model not in ("per-trade", "spec"):
        raise ValueError(f"slippage_model must be 'per-trade' or 'spec', not {cfg.slippage_model!r}")
    if cfg.window < 1:
        raise ValueError("window must be >= 1")
    return cfg


# ----------------------------------------------------------------------------- market features


@lru_cache(maxsize=16)
def market_matrix(bars: Bars, window: int, indicators: IndicatorConfig) -> np.ndarray:
    """The market part of every bar's observation, shape (bars, WINDOW_START + 4*window), float32.

    Row t uses bars <= t only: indicators are causal, the window ends at t, and everything is
    scaled by close_t. Bars before the first one are padded with the first bar. The account
    columns are left 0 for the env to fill.
    """
    cfg = indicators
    o, h, lo, c = bars.open, bars.high, bars.low, bars.close
    buy, sell = dual_thrust_lines(
        o, h, lo, c, bars.day_bounds, cfg.dual_thrust_days, cfg.dual_thrust_k1, cfg.dual_thrust_k2
    )
    k, d = stochastic_kd(h, lo, c, cfg.kd_period, cfg.kd_smoothing)
    line, signal, hist = macd(c, cfg.macd_fast, cfg.macd_slow, cfg.macd_signal)
    n = len(c)
    out = np.zeros((n, WINDOW_START + 4 * window), dtype=np.float64)
    out[:, 0] = buy / c - 1.0
    out[:, 1] = sell / c - 1.0
    out[:, 2] = sma(c, cfg.sma_fast) / c - 1.0
    out[:, 3] = sma(c, cfg.sma_slow) / c - 1.0
    out[:, 4] = rsi(c, cfg.rsi_period) / 100.0
    out[:, 5] = k / 100.0
    out[:, 6] = d / 100.0
    out[:, 7] = line / c
    out[:, 8] = signal / c
    out[:, 9] = hist / c
    ohlc = np.stack([o, h, lo, c], axis=1)
    for j in range(window):  # column block j holds bar t - (window - 1 - j)
        lag = window - 1 - j
        src = np.arange(n) - lag
        past = ohlc[np.maximum(src, 0)]
        out[:, WINDOW_START + 4 * j : WINDOW_START + 4 * j + 4] = past / c[:, None] - 1.0
    result = out.astype(np.float32)
    result.setflags(write=False)
    return result


def episode_bounds(day_bounds: np.ndarray, episode: Literal["day"] | int, n_bars: int) -> np.ndarray:
    """(start, stop) bar ranges of the episodes: sessions, or N-bar chunks; each needs >= 2 bars."""
    if episode == "day":
        starts, stops = day_bounds[:-1], day_bounds[1:]
    else:
        length = int(episode)
        if length < 2:
            raise ValueError("episode must be 'day' or a number of bars >= 2")
        starts = np.arange(0, n_bars - 1, length)
        stops = np.minimum(starts + length, n_bars)
    pairs = np.stack([starts, stops], axis=1).astype(np.int64)
    return pairs[pairs[:, 1] - pairs[:, 0] >= 2]


class MarketView:
    """The arrays of one split of one market that the envs, strategies and backtests share."""

    def __init__(self, cfg: TradingConfig) -> None:
        full = load_market(cfg.data)
        first, stop = split_days(full, cfg.split)
        lo, hi = int(full.day_bounds[first]), int(full.day_bounds[stop])
        self.full_bars = full
        self.bars = full.take_days(first, stop)
        # Features come from the full history, so the first bars of a split see real past bars.
        self.market = market_matrix(full, cfg.window, cfg.indicators)[lo:hi]
        self.close = self.bars.close
        self.episodes = episode_bounds(self.bars.day_bounds, cfg.episode, len(self.bars))
        if len(self.episodes) == 0:
            raise ValueError(f"split '{cfg.split}' of {full.name} has no episode of 2 or more bars")


def position_from_action(p_long: float, p_short: float, allow_flat: bool, flat_threshold: float) -> int:
    """Argmax of [p_long, p_short] (a tie goes long); with allow_flat, flat when neither reaches the threshold."""
    if allow_flat and max(p_long, p_short) < flat_threshold:
        return 0
    return 1 if p_long >= p_short else -1


# ---------------------------------------------------------------------------------------- env


class TradingEnv(gym.Env[np.ndarray, np.ndarray]):
    """The single trading env; see the module docstring for the step, `TradingConfig` for options.

    `info` after a step: position, profit (points), equity (capital + episode profit, points),
    bar_index (into the split's bars). Capital is one unit at the episode's first close, so
    equity/capital - 1 is the episode's return and the stop fires at equity <= 0.7 * capital.
    `reset(options={"episode": k})` plays episode k (in time order) instead of a random one.
    """

    metadata = {"render_modes": []}

    def __init__(self, config: TradingConfig | None = None, **kwargs: Any) -> None:
        cfg = config_from_kwargs(config, kwargs)
        self.config = cfg
        self.view = MarketView(cfg)
        self.num_episodes = len(self.view.episodes)
        width = self.view.market.shape[1]
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(width,), dtype=np.float32)
        self.action_space = spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)
        self._market = self.view.market
        self._close = self.view.close.tolist()  # Python floats: scalar reads from a list are fastest
        self._cost_rate = cfg.fee_rate + cfg.slippage
        self._dsr = cfg.reward == "dsr"
        self._spec_slippage = cfg.slippage_model == "spec"
        self.episode_index = -1
        self.bar_index = 0
        self._last = 0
        self.position = 0
        self.episode_profit = 0.0
        self.capital = 1.0
        self._dsr_a = 0.0
        self._dsr_b = 0.0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        if options and "episode" in options:
            k = int(options["episode"])
            if not 0 <= k < self.num_episodes:
                raise ValueError(f"episode {k} out of range [0, {self.num_episodes})")
        else:
            k = int(self.np_random.integers(self.num_episodes))
        start, stop = self.view.episodes[k]
        self.episode_index = k
        self.bar_index = int(start)
        self._last = int(stop) - 1
        self.position = 0  # flat before the first trade of the episode
        self.episode_profit = 0.0
        self.capital = self._close[self.bar_index]
        self._dsr_a = self._dsr_b = 0.0
        obs = self._market[self.bar_index].copy()
        return obs, {"episode_index": k, "bar_index": self.bar_index, "equity": self.capital}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        cfg = self.config
        p_long, p_short = float(action[0]), float(action[1])
        if cfg.allow_flat and max(p_long, p_short) < cfg.flat_threshold:
            pos = 0
        else:
            pos = 1 if p_long >= p_short else -1
        t = self.bar_index
        c0, c1 = self._close[t], self._close[t + 1]
        traded = abs(pos - self.position)
        if self._spec_slippage:
            profit = (c1 - c0 - 2.0 * cfg.slippage * c0) * pos - cfg.fee_rate * traded * c0
        else:
            profit = (c1 - c0) * pos - self._cost_rate * traded * c0
        self.position = pos
        self.episode_profit += profit
        ret = profit / self.capital
        reward = self._dsr_update(ret) if self._dsr else ret
        t += 1
        self.bar_index = t
        equity = self.capital + self.episode_profit
        terminated = t == self._last or equity <= (1.0 - cfg.stop_loss) * self.capital
        obs = self._market[t].copy()
        obs[POSITION] = pos
        obs[EPISODE_PROFIT] = self.episode_profit / self.capital
        return (
            obs,
            reward,
            terminated,
            False,
            {"position": pos, "profit": profit, "equity": equity, "bar_index": t},
        )

    def _dsr_update(self, r: float) -> float:
        # Differential Sharpe ratio (Moody & Saffell 1998), the spec's D_t with eta = dsr_eta.
        a, b = self._dsr_a, self._dsr_b
        eta = self.config.dsr_eta
        delta_a = eta * (r - a)
        delta_b = eta * (r * r - b)
        var = b - a * a
        # Guard: at an episode's start A = B = 0, so the denominator is 0 (and stays ~0 while every
        # return is equal); the reward is 0 until the moving variance is positive.
        d = (b * delta_a - 0.5 * a * delta_b) / (var * math.sqrt(var)) if var > DSR_GUARD * b else 0.0
        self._dsr_a, self._dsr_b = a + delta_a, b + delta_b
        return d


# Relative to B: a variance below 1e-12 of the second moment is rounding noise, not risk.
DSR_GUARD = 1e-12


def differential_sharpe(returns: np.ndarray, eta: float = 0.01) -> np.ndarray:
    """The DSR of each return in a sequence starting from A = B = 0 (reference implementation, loops)."""
    a = b = 0.0
    out = np.zeros(len(returns))
    for i, r in enumerate(map(float, returns)):
        delta_a, delta_b = eta * (r - a), eta * (r * r - b)
        var = b - a * a
        out[i] = (b * delta_a - 0.5 * a * delta_b) / (var * math.sqrt(var)) if var > DSR_GUARD * b else 0.0
        a, b = a + delta_a, b + delta_b
    return out


# ---------------------------------------------------------------------------------- vector env


class TradingVectorEnv(gym.vector.VectorEnv):
    """`num_envs` trading envs stepped together with numpy; the same numbers as
    `gym.vector.SyncVectorEnv` over `TradingEnv`s with the same seeds (next-step autoreset:
    the step after an episode ends resets that env, ignores its action and returns reward 0).
    """

    metadata = {"autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 8, config: TradingConfig | None = None, **kwargs: Any) -> None:
        cfg = config_from_kwargs(config, kwargs)
        self.config = cfg
        self.view = MarketView(cfg)
        self.num_envs = num_envs
        self.num_episodes = len(self.view.episodes)
        width = self.view.market.shape[1]
        self.single_observation_space = spaces.Box(-np.inf, np.inf, shape=(width,), dtype=np.float32)
        self.single_action_space = spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._rngs: list[np.random.Generator] | None = None
        self.episode_index = np.zeros(num_envs, dtype=np.int64)
        self.bar_index = np.zeros(num_envs, dtype=np.int64)
        self._last = np.zeros(num_envs, dtype=np.int64)
        self.position = np.zeros(num_envs, dtype=np.int64)
        self.episode_profit = np.zeros(num_envs)
        self.capital = np.ones(num_envs)
        self._dsr_a = np.zeros(num_envs)
        self._dsr_b = np.zeros(num_envs)
        self._needs_reset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed: int | list[int] | None = None, options: dict[str, Any] | None = None):
        if seed is not None or self._rngs is None:
            seeds = (
                seed
                if isinstance(seed, list)
                else [None if seed is None else seed + i for i in range(self.num_envs)]
            )
            self._rngs = [seeding.np_random(s)[0] for s in seeds]
        episodes = (
            None
            if not options or "episode" not in options
            else np.broadcast_to(options["episode"], (self.num_envs,))
        )
        for i in range(self.num_envs):
            self._reset_one(i, None if episodes is None else int(episodes[i]))
        self._needs_reset[:] = False
        obs = self.view.market[self.bar_index].copy()
        return obs, {"episode_index": self.episode_index.copy(), "bar_index": self.bar_index.copy()}

    def _reset_one(self, i: int, episode: int | None) -> None:
        assert self._rngs is not None
        k = int(self._rngs[i].integers(self.num_episodes)) if episode is None else episode
        start, stop = self.view.episodes[k]
        self.episode_index[i] = k
        self.bar_index[i] = start
        self._last[i] = stop - 1
        self.position[i] = 0
        self.episode_profit[i] = 0.0
        self.capital[i] = self.view.close[start]
        self._dsr_a[i] = self._dsr_b[i] = 0.0

    def step(self, actions: np.ndarray):
        cfg = self.config
        actions = np.asarray(actions, dtype=np.float64)
        p_long, p_short = actions[:, 0], actions[:, 1]
        pos = np.where(p_long >= p_short, 1, -1)
        if cfg.allow_flat:
            pos = np.where(np.maximum(p_long, p_short) < cfg.flat_threshold, 0, pos)
        resetting = self._needs_reset
        stepping = ~resetting
        close = self.view.close
        t = self.bar_index
        c0 = close[t]
        c1 = close[np.minimum(t + 1, len(close) - 1)]
        traded = np.abs(pos - self.position)
        if cfg.slippage_model == "spec":
            profit = (c1 - c0 - 2.0 * cfg.slippage * c0) * pos - cfg.fee_rate * traded * c0
        else:
            profit = (c1 - c0) * pos - (cfg.fee_rate + cfg.slippage) * traded * c0
        profit = np.where(stepping, profit, 0.0)
        ret = profit / self.capital
        if cfg.reward == "dsr":
            a, b, eta = self._dsr_a, self._dsr_b, cfg.dsr_eta
            delta_a = eta * (ret - a)
            delta_b = eta * (ret * ret - b)
            var = b - a * a
            ok = var > DSR_GUARD * b
            safe_var = np.where(ok, var, 1.0)
            reward = np.where(ok, (b * delta_a - 0.5 * a * delta_b) / (safe_var * np.sqrt(safe_var)), 0.0)
            self._dsr_a = np.where(stepping, a + delta_a, a)
            self._dsr_b = np.where(stepping, b + delta_b, b)
        else:
            reward = ret
        reward = np.where(stepping, reward, 0.0)
        self.position = np.where(stepping, pos, self.position)
        self.episode_profit = self.episode_profit + profit
        self.bar_index = np.where(stepping, t + 1, t)
        equity = self.capital + self.episode_profit
        terminated = stepping & (
            (self.bar_index == self._last) | (equity <= (1.0 - cfg.stop_loss) * self.capital)
        )
        for i in np.flatnonzero(resetting):
            self._reset_one(int(i), None)
        obs = self.view.market[self.bar_index].copy()
        obs[:, POSITION] = self.position
        obs[:, EPISODE_PROFIT] = self.episode_profit / self.capital
        self._needs_reset = terminated.copy()
        info = {
            "position": self.position.copy(),
            "_position": stepping.copy(),
            "profit": profit,
            "_profit": stepping.copy(),
            "equity": self.capital + self.episode_profit,
            "_equity": stepping.copy(),
            "bar_index": self.bar_index.copy(),
            "_bar_index": stepping.copy(),
        }
        return obs, reward, terminated, np.zeros(self.num_envs, dtype=bool), info
