"""Measure the random-policy returns in `mimetic.eval.reference.REFERENCE_RETURNS`.

Uniform random actions (the action space sampled with a seeded generator), 100 episodes seeded
10000..10099. Run: `python scripts/reference_returns.py [ENV_ID ...]`; it prints JSON.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np

from mimetic.eval.rollout import evaluate


class UniformRandomPolicy:
    def __init__(self, space: Any, seed: int) -> None:
        self.space = space
        self.space.seed(seed)

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        batch = len(next(iter(obs.values())) if isinstance(obs, dict) else obs)
        return np.stack([self.space.sample() for _ in range(batch)]), state

    def reset(self, batch_size: int) -> Any:
        return None


def main(env_ids: list[str]) -> None:
    import gymnasium as gym

    results = {}
    for env_id in env_ids:
        env = gym.make(env_id)
        policy = UniformRandomPolicy(env.action_space, seed=0)
        env.close()
        result = evaluate(policy, env_id, episodes=100, seed=10_000, deterministic=False)
        results[env_id] = {
            "random_mean": round(result.mean, 1),
            "random_std": round(result.std, 1),
            "episodes": 100,
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:] or ["CartPole-v1", "Pendulum-v1"])
