"""Evaluation rollouts: vectorized gymnasium envs on fixed seeds, episode i seeded `seed + i`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from mimetic.eval.reference import expert_normalized_score

# Keys envs use to report task success in `info` (robosuite/robomimic "success", gymnasium-robotics "is_success").
SUCCESS_KEYS = ("success", "is_success")


@dataclass(frozen=True)
class EvalResult:
    """Returns of `episodes` episodes and their summary."""

    env_id: str
    seed: int
    returns: list[float]
    lengths: list[int]
    mean: float
    std: float
    expert_normalized_score: float | None
    success_rate: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def metrics(self) -> dict[str, float]:
        """Scalars for logging (the Trainer's `eval/...` columns)."""
        out = {"return_mean": self.mean, "return_std": self.std, "length_mean": float(np.mean(self.lengths))}
        if self.expert_normalized_score is not None:
            out["expert_normalized_score"] = self.expert_normalized_score
        if self.success_rate is not None:
            out["success_rate"] = self.success_rate
        return out


def evaluate(
    policy: Any,
    env_id: str,
    episodes: int = 10,
    seed: int = 10_000,
    *,
    num_envs: int = 8,
    deterministic: bool = True,
    env_kwargs: dict[str, Any] | None = None,
) -> EvalResult:
    """Roll `policy` out for `episodes` episodes; episode i starts from `reset(seed=seed + i)`.

    Episodes run in waves of `num_envs` parallel envs, so the result does not depend on `num_envs`.
    A recurrent policy gets a fresh `reset(n)` state per wave; envs that finished early keep
    stepping until the wave ends, but nothing they do is recorded.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    returns: list[float] = []
    lengths: list[int] = []
    successes: list[bool] = []
    reports_success = False
    width = min(num_envs, episodes)
    envs = gym.make_vec(env_id, num_envs=width, vectorization_mode="sync", **(env_kwargs or {}))
    discrete = isinstance(envs.single_action_space, gym.spaces.Discrete)
    try:
        for start in range(0, episodes, width):
            n = min(width, episodes - start)
            seeds = [seed + start + i for i in range(n)] + [seed + start + i for i in range(n, width)]
            obs, _ = envs.reset(seed=seeds)  # type: ignore[arg-type]  # vector envs take one seed per env
            state = policy.reset(width)
            ret = np.zeros(width)
            length = np.zeros(width, dtype=np.int64)
            done = np.zeros(width, dtype=bool)
            success = np.zeros(width, dtype=bool)
            while not done[:n].all():
                action, state = policy.act(obs, state, deterministic=deterministic)
                action = np.asarray(action)
                if discrete:
                    action = action.reshape(width).astype(np.int64)
                obs, reward, terminated, truncated, info = envs.step(action)
                live = ~done
                ret[live] += reward[live]
                length[live] += 1
                for key in SUCCESS_KEYS:
                    if key in info:
                        reports_success = True
                        mask = info.get(f"_{key}", np.ones(width, bool))
                        success |= live & mask & np.asarray(info[key], dtype=bool)
                done |= terminated | truncated
            returns += ret[:n].tolist()
            lengths += length[:n].tolist()
            successes += success[:n].tolist()
    finally:
        envs.close()
    mean = float(np.mean(returns))
    return EvalResult(
        env_id=env_id,
        seed=seed,
        returns=returns,
        lengths=lengths,
        mean=mean,
        std=float(np.std(returns)),
        expert_normalized_score=expert_normalized_score(env_id, mean),
        success_rate=float(np.mean(successes)) if reports_success else None,
    )
