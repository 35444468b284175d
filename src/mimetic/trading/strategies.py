"""Classical strategies as `Policy`s on `mimetic/Trading-v0` observations, and the hindsight teacher.

Every classical strategy reads only the observation (its indicator features and the position
held), so it sees exactly what a learned agent sees and cannot look ahead. Each one has two
faces with one rule: `signal(features)` maps indicator rows to +1 (long), -1 (short) or 0
(no signal: keep the position), vectorized over any number of bars; `act(obs)` applies it to a
batch of observations and returns actions [p_long, p_short]. `positions(features, starts)`
turns signals into the held position over a whole series, for the backtester.

The hindsight teacher is different on purpose: it reads the future of the day from the env and
exists only as the behaviour-cloning target of iRDPG training (spec, Agent). It is never a
baseline and never runs at test time.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from mimetic.registry import Registry
from mimetic.trading.env import FEATURE_NAMES, NUM_FEATURES, POSITION

STRATEGIES: Registry[type[Any]] = Registry("trading strategy")

_F = {name: i for i, name in enumerate(FEATURE_NAMES)}


def actions_from_positions(positions: np.ndarray) -> np.ndarray:
    """[p_long, p_short] per position: long [1, 0], short [0, 1], flat [0, 0] (flat without
    `allow_flat` reads as long, argmax's tie rule)."""
    positions = np.asarray(positions)
    return np.stack([positions > 0, positions < 0], axis=-1).astype(np.float32)


def hold_signals(signal: np.ndarray, starts: np.ndarray | None = None, initial: int = 0) -> np.ndarray:
    """Positions from signals: each 0 keeps the previous position; the position is `initial`
    before the first signal and again at every index in `starts` (the env's episodes start flat)."""
    signal = np.asarray(signal, dtype=np.int64)
    idx = np.arange(len(signal))
    last = np.where(signal != 0, idx, -1)
    if starts is not None and len(starts):
        # A fake "signal" at each start that the forward fill stops at: it reads as `initial`.
        anchor = np.zeros(len(signal), dtype=bool)
        anchor[np.asarray(starts)] = True
        last = np.where(anchor & (signal == 0), idx, last)
        signal = np.where(anchor & (signal == 0), initial, signal)
    last = np.maximum.accumulate(last)
    return np.where(last >= 0, signal[np.maximum(last, 0)], initial)


class ClassicalStrategy:
    """Base of the look-ahead-free strategies: subclasses define `signal` on indicator features."""

    name: ClassVar[str] = ""
    uses_future: ClassVar[bool] = False

    def signal(self, features: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(obs)
        sig = self.signal(obs[:, :NUM_FEATURES])
        held = np.rint(obs[:, POSITION]).astype(np.int64)
        return actions_from_positions(np.where(sig != 0, sig, held)), state

    def reset(self, batch_size: int) -> Any:
        return None

    def positions(
        self, features: np.ndarray, starts: np.ndarray | None = None, initial: int = 0
    ) -> np.ndarray:
        """The position chosen at each bar of a series (what `act` does step by step in an env
        whose episodes begin at `starts`). `initial` is the position before the first signal:
        0 (flat), or 1 where the env has no flat position and a tie [0, 0] reads as long."""
        return hold_signals(self.signal(features), starts, initial)


@STRATEGIES.register("dual-thrust")
class DualThrust(ClassicalStrategy):
    """Dual Thrust (spec): long when the close breaks above BuyLine = open + K1*Range, short when it
    breaks below SellLine = open - K2*Range, otherwise keep the position. The lines (n = 5,
    K1 = K2 = 0.5 by default) are indicator features of the observation; set them through the
    env's `IndicatorConfig`. An env episode starts flat, so until the first break of the day it
    asks for flat ([0, 0]): flat with `allow_flat`, long without it (argmax's tie rule)."""

    name = "dual-thrust"

    def signal(self, features: np.ndarray) -> np.ndarray:
        above = features[:, _F["buy_line"]] < 0  # line/close - 1 < 0  <=>  close > line
        below = features[:, _F["sell_line"]] > 0
        return np.where(above, 1, np.where(below, -1, 0))


@STRATEGIES.register("buy-hold")
class BuyAndHold(ClassicalStrategy):
    """Long from the first bar on (a baseline)."""

    name = "buy-hold"

    def signal(self, features: np.ndarray) -> np.ndarray:
        return np.ones(len(features), dtype=np.int64)


@STRATEGIES.register("short-hold")
class ShortAndHold(ClassicalStrategy):
    """Short from the first bar on (a baseline)."""

    name = "short-hold"

    def signal(self, features: np.ndarray) -> np.ndarray:
        return -np.ones(len(features), dtype=np.int64)


@STRATEGIES.register("macd")
class MacdCrossover(ClassicalStrategy):
    """Long while the MACD line is at or above its signal line, short below (a baseline):
    the position flips at each crossover."""

    name = "macd"

    def signal(self, features: np.ndarray) -> np.ndarray:
        return np.where(features[:, _F["macd"]] >= features[:, _F["macd_signal"]], 1, -1)


@STRATEGIES.register("sma-cross")
class SmaCrossover(ClassicalStrategy):
    """Long while SMA(7) is at or above SMA(56), short below (a baseline)."""

    name = "sma-cross"

    def signal(self, features: np.ndarray) -> np.ndarray:
        return np.where(features[:, _F["sma_fast"]] >= features[:, _F["sma_slow"]], 1, -1)


def hindsight_positions(close: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """LOOK-AHEAD. The prophetic teacher's position at each bar (spec, Agent): within each episode,
    in hindsight, long from the lowest close to the highest and short from the highest to the
    lowest. Before the first extreme it already holds the side that the first extreme ends
    (short before a low, long before a high); after the last one it takes the opposite side.
    """
    out = np.empty(len(close), dtype=np.int64)
    for start, stop in bounds:
        day = close[start:stop]
        lo, hi = int(np.argmin(day)), int(np.argmax(day))
        t = np.arange(stop - start)
        if lo <= hi:  # down to the low, up to the high, then down
            out[start:stop] = np.where((t >= lo) & (t < hi), 1, -1)
        else:  # up to the high, down to the low, then up
            out[start:stop] = np.where((t >= hi) & (t < lo), -1, 1)
    return out


@STRATEGIES.register("hindsight-teacher")
class HindsightTeacher:
    """LOOK-AHEAD, training only: the prophetic teacher of iRDPG's behaviour cloning.

    It is not a function of the observation: it reads the env's current bar and the rest of the
    episode. Build it on the env it teaches, `HindsightTeacher(env)` (a `TradingEnv`, a
    `TradingVectorEnv` or any wrapper of one); `act(obs)` then returns the teacher's action for
    the env's current step(s), ignoring `obs`. The collect path must pass the env in.
    """

    name = "hindsight-teacher"
    uses_future = True

    def __init__(self, env: Any) -> None:
        self.env = getattr(env, "unwrapped", env)
        view = self.env.view
        self._positions = hindsight_positions(view.close, view.episodes)

    def act(
        self, obs: Any = None, state: Any = None, *, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        index = np.atleast_1d(np.asarray(self.env.bar_index))
        return actions_from_positions(self._positions[index]), state

    def reset(self, batch_size: int) -> Any:
        return None

    def positions(self) -> np.ndarray:
        return self._positions.copy()


def make_strategy(name: str, env: Any = None) -> Any:
    """A strategy by registry name; the hindsight teacher needs the env it reads the future from."""
    cls = STRATEGIES.get(name)
    if getattr(cls, "uses_future", False):
        if env is None:
            raise ValueError(f"'{name}' looks ahead and needs the env: make_strategy('{name}', env)")
        return cls(env)
    return cls()


BASELINES = ("dual-thrust", "buy-hold", "short-hold", "macd", "sma-cross")
