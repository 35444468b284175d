"""Roll a policy out in a gymnasium env and record the episodes as a `Dataset`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from rich.progress import Progress

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.trajectory import Trajectory
from mimetic.data.tree import tree_map, tree_stack


def collect(
    policy: Any,
    env_id: str,
    episodes: int,
    seed: int = 0,
    *,
    source: str | None = None,
    dataset_id: str | None = None,
    show_progress: bool = False,
) -> Dataset:
    """Record `episodes` episodes of `policy` in `env_id`.

    Episode i starts from `env.reset(seed=seed + i)`, so the same seed gives the same data.
    Actions are taken deterministically (an expert demonstrates its best behaviour).
    """
    env = gym.make(env_id)
    trajectories = []
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"collecting {env_id}", total=episodes)
        for i in range(episodes):
            trajectories.append(_episode(env, policy, seed + i))
            progress.advance(task)
    spec = env.spec.to_json() if env.spec is not None else None
    meta = DatasetMetadata(
        observation_space=env.observation_space,
        action_space=env.action_space,
        env_id=env_id,
        env_spec=spec,
        dataset_id=dataset_id,
        source=source,
    )
    env.close()
    return Dataset(trajectories, meta)


def _episode(env: gym.Env[Any, Any], policy: Any, seed: int) -> Trajectory:
    obs, _ = env.reset(seed=seed)
    state = policy.reset(1)
    observations, actions, rewards = [obs], [], []
    while True:
        batched = tree_map(lambda x: np.asarray(x)[None], obs)
        action, state = policy.act(batched, state, deterministic=True)
        action = np.asarray(action)[0]
        step_action = action.item() if isinstance(env.action_space, gym.spaces.Discrete) else action
        obs, reward, terminated, truncated, _ = env.step(step_action)
        observations.append(obs)
        actions.append(action)
        rewards.append(reward)
        if terminated or truncated:
            break
    return Trajectory(
        obs=tree_stack(observations),
        acts=np.stack(actions),
        rews=np.asarray(rewards, dtype=np.float64),
        terminated=bool(terminated),
        truncated=bool(truncated),
    )
