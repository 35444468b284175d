"""Collecting experience from vector envs, the one place that knows about autoreset.

Gymnasium's vector envs reset a finished sub-env by themselves. With the SAME_STEP mode the step
that ends an episode returns the *reset* observation and puts the true final observation in
`info["final_obs"]`. Learners need the true next observation (to bootstrap at time limits and
to score transitions with a learned reward), so this module swaps it back in and hands learners
plain (s, a, r, s') arrays. Nothing else in mimetic handles autoreset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from mimetic.data.tree import tree_map, tree_stack
from mimetic.rl.reward import EnvReward, RewardFn


@dataclass
class Rollout:
    """T steps of N envs. Observations are (T, N, ...); `next_obs` holds true next observations."""

    obs: Any
    acts: np.ndarray
    rews: np.ndarray
    env_rews: np.ndarray
    next_obs: Any
    terminated: np.ndarray
    truncated: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def episode_end(self) -> np.ndarray:
        return self.terminated | self.truncated


ActFn = Callable[[Any], tuple[np.ndarray, dict[str, np.ndarray]]]
"""Maps a batch of observations to (actions, per-step extras such as log-probs and values)."""


class VecCollector:
    """Steps N copies of an env and records rollouts; tracks finished episodes' env returns.

    Sub-env i is first reset with `seed + i`, so a collector is reproducible from its seed.
    """

    def __init__(
        self,
        env_id: str,
        num_envs: int,
        seed: int,
        reward_fn: RewardFn | None = None,
        env_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.envs = gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="sync",
            vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
            **(env_kwargs or {}),
        )
        self.num_envs = num_envs
        self.reward_fn: RewardFn = reward_fn or EnvReward()
        self.obs, _ = self.envs.reset(seed=seed)
        self.envs.action_space.seed(seed)
        # warm-up exploration samples single actions; an unseeded space would make runs differ
        self.envs.single_action_space.seed(seed)
        self._running_return = np.zeros(num_envs)
        self._running_length = np.zeros(num_envs, dtype=np.int64)
        self.finished_returns: list[float] = []
        self.finished_lengths: list[int] = []
        self.total_steps = 0

    @property
    def single_action_space(self) -> gym.Space[Any]:
        return self.envs.single_action_space

    @property
    def single_observation_space(self) -> gym.Space[Any]:
        return self.envs.single_observation_space

    def step(self, actions: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray, Any, np.ndarray, np.ndarray]:
        """One vector step: (obs, actions, env rewards, true next obs, terminated, truncated)."""
        obs = self.obs
        next_obs, rews, terminated, truncated, info = self.envs.step(actions)
        true_next = tree_map(np.copy, next_obs)
        if "_final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                final = info["final_obs"][i]
                if isinstance(true_next, dict):
                    for key in true_next:
                        true_next[key][i] = final[key]
                else:
                    true_next[i] = final
        self._running_return += rews
        self._running_length += 1
        for i in np.flatnonzero(terminated | truncated):
            self.finished_returns.append(float(self._running_return[i]))
            self.finished_lengths.append(int(self._running_length[i]))
            self._running_return[i] = 0.0
            self._running_length[i] = 0
        self.obs = next_obs
        self.total_steps += self.num_envs
        return obs, actions, rews, true_next, terminated, truncated

    def rollout(self, act_fn: ActFn, steps: int) -> Rollout:
        """Collect `steps` vector steps; rewards are relabelled by the collector's `reward_fn`."""
        records: list[tuple[Any, ...]] = []
        extras: list[dict[str, np.ndarray]] = []
        for _ in range(steps):
            actions, step_extras = act_fn(self.obs)
            records.append(self.step(actions))
            extras.append(step_extras)
        obs, acts, env_rews, next_obs, terminated, truncated = (list(x) for x in zip(*records, strict=True))
        obs_s, next_s = tree_stack(obs), tree_stack(next_obs)
        acts_s, env_rews_s = np.stack(acts), np.stack(env_rews)
        flat = (steps * self.num_envs,)
        rews = self.reward_fn(
            tree_map(lambda x: x.reshape(flat + x.shape[2:]), obs_s),
            acts_s.reshape(flat + acts_s.shape[2:]),
            tree_map(lambda x: x.reshape(flat + x.shape[2:]), next_s),
            env_rews_s.reshape(flat),
        ).reshape(steps, self.num_envs)
        return Rollout(
            obs=obs_s,
            acts=acts_s,
            rews=np.asarray(rews, dtype=np.float64),
            env_rews=env_rews_s,
            next_obs=next_s,
            terminated=np.stack(terminated),
            truncated=np.stack(truncated),
            extras={k: np.stack([e[k] for e in extras]) for k in (extras[0] if extras else {})},
        )

    def pop_finished(self) -> tuple[list[float], list[int]]:
        """Returns and lengths of episodes finished since the last call."""
        out = (self.finished_returns, self.finished_lengths)
        self.finished_returns, self.finished_lengths = [], []
        return out

    def close(self) -> None:
        self.envs.close()
