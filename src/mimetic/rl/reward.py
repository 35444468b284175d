"""The pluggable reward: learners never know where their reward comes from.

GAIL and AIRL swap in a discriminator, SQIL a demonstration label, RLIF an intervention penalty,
and plain RL the env's own reward; the learner code is the same in every case.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class RewardFn(Protocol):
    """Maps a batch of transitions to rewards, shape (batch,)."""

    def __call__(self, obs: Any, acts: np.ndarray, next_obs: Any, env_rews: np.ndarray) -> np.ndarray: ...


class EnvReward:
    """The env's own reward, unchanged."""

    def __call__(self, obs: Any, acts: np.ndarray, next_obs: Any, env_rews: np.ndarray) -> np.ndarray:
        return env_rews
