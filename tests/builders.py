"""Small datasets with every feature the formats must carry (dict obs, extras, infos, masks)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mimetic.data import Dataset, DatasetMetadata, Trajectory


def make_array_dataset(episodes: int = 3, seed: int = 0) -> Dataset:
    """CartPole-shaped data with rewards, extras, infos and masks."""
    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    trajs = []
    for i in range(episodes):
        steps = 5 + i
        trajs.append(
            Trajectory(
                obs=rng.standard_normal((steps + 1, 4)).astype(np.float32),
                acts=rng.integers(0, 2, steps).astype(np.int64),
                rews=np.ones(steps, dtype=np.float64),
                terminated=i % 2 == 0,
                truncated=i % 2 == 1,
                infos={"success": rng.integers(0, 2, steps + 1).astype(bool)},
                extras={"expert_action": rng.integers(0, 2, steps).astype(np.int64)},
            )
        )
    meta = DatasetMetadata(
        observation_space=env.observation_space,
        action_space=env.action_space,
        env_id="CartPole-v1",
        env_spec=env.spec.to_json() if env.spec else None,
        dataset_id="test/cartpole-v0",
        source="test",
        license="CC0-1.0",
        masks={"train": [0, 1], "valid": [2]},
        extra={"note": "fixture"},
    )
    env.close()
    return Dataset(trajs, meta)


def make_dict_dataset(episodes: int = 2, seed: int = 1, with_rewards: bool = False) -> Dataset:
    """Goal-conditioned data: dict observations, continuous actions, no rewards by default."""
    rng = np.random.default_rng(seed)
    obs_space = spaces.Dict(
        {
            "observation": spaces.Box(-np.inf, np.inf, (3,), np.float64),
            "desired_goal": spaces.Box(-1.0, 1.0, (2,), np.float32),
        }
    )
    act_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
    trajs = []
    for i in range(episodes):
        steps = 4 + 2 * i
        trajs.append(
            Trajectory(
                obs={
                    "observation": rng.standard_normal((steps + 1, 3)),
                    "desired_goal": rng.uniform(-1, 1, (steps + 1, 2)).astype(np.float32),
                },
                acts=rng.uniform(-1, 1, (steps, 2)).astype(np.float32),
                rews=rng.standard_normal(steps).astype(np.float32) if with_rewards else None,
                terminated=False,
                truncated=True,
                extras={
                    "mode": np.full(steps, i, dtype=np.int32),
                    "intervention": np.zeros(steps, dtype=bool),
                },
            )
        )
    return Dataset(trajs, DatasetMetadata(observation_space=obs_space, action_space=act_space, source="test"))
