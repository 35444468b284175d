"""The iRDPG replay: whole trading days as sequences, with a demonstration region that is never evicted.

RDPG (Heess et al. 2015) replays whole episodes so that a recurrent critic can rebuild its hidden
state from the episode's start; here an episode is one trading day. DDPGfD (Vecerik et al. 2017)
keeps demonstrations in the replay forever and samples everything by priority. Rows
[0, demo_capacity) hold demonstration days, written once; rows after them are a ring of the agent's
own days. Sampling is proportional to priority (`mimetic.rl.prioritized`); alpha = 0 gives the
uniform replay of plain RDPG.

Checkpoints store days compactly (episode index and actions): the env is deterministic, so the
observations and rewards of a day are rebuilt exactly by replaying its actions (`restore`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mimetic.rl.prioritized import PrioritizedSampler


@dataclass(frozen=True)
class Day:
    """One played trading day: T decisions, T+1 observations (the last one after the last step)."""

    episode: int
    obs: np.ndarray  # (T + 1, obs_dim), raw env observations
    acts: np.ndarray  # (T, 2), the executed actions [p_long, p_short]
    rews: np.ndarray  # (T,)
    teacher: np.ndarray  # (T, 2), the hindsight teacher's actions (look-ahead; a training target only)
    terminated: bool  # whether the last step ended the episode (no bootstrap after it)

    def __post_init__(self) -> None:
        steps = len(self.acts)
        if self.obs.shape[0] != steps + 1 or self.rews.shape != (steps,) or self.teacher.shape != (steps, 2):
            raise ValueError(
                f"day {self.episode}: inconsistent shapes obs {self.obs.shape}, acts {self.acts.shape}, "
                f"rews {self.rews.shape}, teacher {self.teacher.shape}"
            )


@dataclass(frozen=True)
class SequenceBatch:
    """A minibatch of padded days; `valid[b, t]` marks real steps."""

    indices: np.ndarray  # (B,) rows of the replay
    weights: np.ndarray  # (B,) importance weights
    is_demo: np.ndarray  # (B,) bool
    obs: np.ndarray  # (B, L + 1, obs_dim)
    acts: np.ndarray  # (B, L, 2)
    rews: np.ndarray  # (B, L)
    teacher: np.ndarray  # (B, L, 2)
    dones: np.ndarray  # (B, L): 1 at a terminal last step
    valid: np.ndarray  # (B, L)


class SequenceReplay:
    """Days padded to `max_len` steps; demo rows first (never evicted), then a ring of agent days."""

    def __init__(
        self,
        capacity: int,
        demo_capacity: int,
        max_len: int,
        obs_dim: int,
        *,
        alpha: float = 0.0,
        beta: float = 0.0,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1 day, got {capacity}")
        rows = demo_capacity + capacity
        self.capacity = capacity
        self.demo_capacity = demo_capacity
        self.max_len = max_len
        self.obs = np.zeros((rows, max_len + 1, obs_dim), dtype=np.float32)
        self.acts = np.zeros((rows, max_len, 2), dtype=np.float32)
        self.rews = np.zeros((rows, max_len), dtype=np.float32)
        self.teacher = np.zeros((rows, max_len, 2), dtype=np.float32)
        self.dones = np.zeros((rows, max_len), dtype=np.float32)
        self.lengths = np.zeros(rows, dtype=np.int64)
        self.episodes = np.full(rows, -1, dtype=np.int64)
        self.sampler = PrioritizedSampler(rows, alpha, beta)
        self.num_demos = 0
        self.num_agent = 0
        self.pos = 0  # next agent row, relative to the agent region

    def __len__(self) -> int:
        return self.num_demos + self.num_agent

    def _write(self, row: int, day: Day) -> None:
        steps = len(day.acts)
        if steps > self.max_len or steps < 1:
            raise ValueError(f"a day of {steps} steps does not fit rows of 1..{self.max_len} steps")
        self.obs[row] = 0.0
        self.acts[row] = 0.0
        self.rews[row] = 0.0
        self.teacher[row] = 0.0
        self.dones[row] = 0.0
        self.obs[row, : steps + 1] = day.obs
        self.acts[row, :steps] = day.acts
        self.rews[row, :steps] = day.rews
        self.teacher[row, :steps] = day.teacher
        self.dones[row, steps - 1] = float(day.terminated)
        self.lengths[row] = steps
        self.episodes[row] = day.episode
        self.sampler.set(row)

    def add_demo(self, day: Day) -> int:
        """Store a demonstration day for good; demo rows are never overwritten."""
        if self.num_agent:
            raise ValueError("demonstrations go in before the agent's own days")
        if self.num_demos >= self.demo_capacity:
            raise ValueError(f"the demonstration region is full ({self.demo_capacity} days)")
        row = self.num_demos
        self._write(row, day)
        self.num_demos += 1
        return row

    def add(self, day: Day) -> int:
        """Store an agent day, overwriting the oldest agent day when full (never a demo day)."""
        row = self.demo_capacity + self.pos
        self._write(row, day)
        self.pos = (self.pos + 1) % self.capacity
        self.num_agent = min(self.num_agent + 1, self.capacity)
        return row

    def _row_count(self) -> int:
        if self.num_demos < self.demo_capacity and self.num_agent:
            raise ValueError("the demonstration region must be full before agent days are sampled")
        return self.demo_capacity + self.num_agent if self.num_agent else self.num_demos

    def sample(self, batch_size: int, rng: np.random.Generator) -> SequenceBatch:
        rows = self._row_count()
        if rows == 0:
            raise ValueError("cannot sample from an empty replay")
        idx, weights = self.sampler.sample(batch_size, rows, rng)
        steps = int(self.lengths[idx].max())
        valid = (np.arange(steps)[None, :] < self.lengths[idx, None]).astype(np.float32)
        return SequenceBatch(
            indices=idx,
            weights=weights.astype(np.float32),
            is_demo=idx < self.demo_capacity,
            obs=self.obs[idx, : steps + 1],
            acts=self.acts[idx, :steps],
            rews=self.rews[idx, :steps],
            teacher=self.teacher[idx, :steps],
            dones=self.dones[idx, :steps],
            valid=valid,
        )

    def update_priorities(self, indices: np.ndarray, priorities: np.ndarray) -> None:
        self.sampler.update(indices, priorities)

    # ---- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The compact state: which episode each row played, its actions, and every priority."""
        return {
            "episodes": self.episodes.copy(),
            "lengths": self.lengths.copy(),
            "acts": self.acts.copy(),
            "priorities": self.sampler.priorities.copy(),
            "counters": np.array([self.num_demos, self.num_agent, self.pos], dtype=np.int64),
            "max_priority": np.array(self.sampler.max_priority),
        }

    def load_state_dict(
        self, state: dict[str, np.ndarray], replay_day: Callable[[int, np.ndarray, bool], Day]
    ) -> None:
        """Rebuild every stored day with `replay_day(episode, actions, is_demo)` (which re-runs the env)."""
        episodes = np.asarray(state["episodes"], dtype=np.int64)
        if episodes.shape != self.episodes.shape:
            raise ValueError(f"replay state holds {len(episodes)} rows, this replay has {len(self.episodes)}")
        num_demos, num_agent, pos = (int(v) for v in state["counters"])
        lengths = np.asarray(state["lengths"], dtype=np.int64)
        acts = np.asarray(state["acts"], dtype=np.float32)
        self.num_demos, self.num_agent, self.pos = 0, 0, 0
        live = list(range(num_demos)) + [self.demo_capacity + i for i in range(num_agent)]
        for row in live:
            day = replay_day(int(episodes[row]), acts[row, : lengths[row]], row < self.demo_capacity)
            self._write(row, day)
        self.num_demos, self.num_agent, self.pos = num_demos, num_agent, pos
        self.sampler.priorities[:] = np.asarray(state["priorities"], dtype=np.float64)
        self.sampler.max_priority = float(state["max_priority"])
