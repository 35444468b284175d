"""Experts for interactive imitation: resolve `--expert` specs, and make experts worse on purpose.

RLIF (Luo et al. 2023) studies interveners that are suboptimal; the zoo's "medium" and "low"
checkpoints are one way to get them, and `NoisyExpert` (noise on the expert's own action) is the
other, the same perturbation `mimetic.experts.collect` applies with `action_noise`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from mimetic.data.errors import DatasetError


def resolve_expert(spec: str, env_id: str, seed: int = 0) -> Any:
    """An expert `Policy` from a spec: "scripted", "zoo" or "zoo:expert|medium|low", or a policy folder."""
    if spec == "scripted":
        from mimetic.experts import scripted_expert

        return scripted_expert(env_id, seed=seed)
    if spec == "zoo" or spec.startswith("zoo:"):
        from mimetic import zoo

        return zoo.load(env_id, spec.partition(":")[2] or "expert")
    if Path(spec).is_dir():
        from mimetic.policies.learned import load

        return load(spec)
    raise DatasetError(
        "unknown expert", field="expert", expected="scripted, zoo[:quality] or a policy folder", found=spec
    )


class NoisyExpert:
    """An expert whose actions are perturbed: Gaussian noise of std `noise` times the half range
    (Box), or a uniformly random action with probability `noise` (Discrete).

    Acting draws from its own seeded generator, so a run with a noisy expert is reproducible.
    """

    def __init__(self, expert: Any, action_space: gym.Space[Any], noise: float, seed: int = 0) -> None:
        if noise < 0:
            raise ValueError(f"expert noise must be >= 0, got {noise}")
        self.expert = expert
        self.action_space = action_space
        self.noise = noise
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        action, state = self.expert.act(obs, state, deterministic=True)
        action = np.asarray(action)
        if self.noise == 0:
            return action, state
        space = self.action_space
        if isinstance(space, gym.spaces.Box):
            half = (space.high - space.low) / 2.0
            noisy = action + self.rng.normal(0.0, self.noise, size=action.shape) * half
            return np.clip(noisy, space.low, space.high).astype(action.dtype), state
        assert isinstance(space, gym.spaces.Discrete)
        flip = self.rng.random(action.shape) < self.noise
        random = self.rng.integers(0, int(space.n), size=action.shape)
        return np.where(flip, random, action).astype(action.dtype), state

    def reset(self, batch_size: int) -> Any:
        return self.expert.reset(batch_size)


def make_expert(spec: str, env_id: str, noise: float = 0.0, seed: int = 0) -> Any:
    """`resolve_expert`, wrapped in `NoisyExpert` when `noise` > 0."""
    expert = resolve_expert(spec, env_id, seed)
    if noise <= 0:
        return expert
    env = gym.make(env_id)
    space = env.action_space
    env.close()
    return NoisyExpert(expert, space, noise, seed)
