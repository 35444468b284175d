"""Roll a policy out in a gymnasium env and record the episodes as a `Dataset`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from rich.progress import Progress

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError
from mimetic.data.trajectory import Trajectory
from mimetic.data.tree import tree_map, tree_stack


def collect(
    policy: Any,
    env_id: str,
    episodes: int,
    seed: int = 0,
    *,
    action_noise: float = 0.0,
    source: str | None = None,
    dataset_id: str | None = None,
    show_progress: bool = False,
    env_kwargs: dict[str, Any] | None = None,
    info_keys: Sequence[str] = (),
) -> Dataset:
    """Record `episodes` episodes of `policy` in `env_id`.

    `policy` is a Policy, or a factory that builds one from the env (for experts that read the
    env itself, like the trading env's hindsight teacher).
    Episode i starts from `env.reset(seed=seed + i)`, so the same seed gives the same data.
    The policy acts deterministically (an expert shows its best behaviour). With `action_noise`
    > 0 the executed action is perturbed (Gaussian noise of that std, as a fraction of the half
    range, for Box actions; a uniformly random action with that probability for discrete ones),
    and the expert's own action is kept in `extras["expert_action"]`, which DART-style noise
    injection and suboptimal-data studies need. `info_keys` names env info entries to keep in
    each trajectory's `infos` (one row per observation, the reset's info first), such as the
    behaviour label `mode` of `mimetic/Avoiding-v0`.
    """
    env = gym.make(env_id, **(env_kwargs or {}))
    if not hasattr(policy, "act"):
        policy = policy(env.unwrapped)
    rng = np.random.default_rng(seed)
    trajectories = []
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"collecting {env_id}", total=episodes)
        for i in range(episodes):
            trajectories.append(_episode(env, policy, seed + i, action_noise, rng, info_keys))
            progress.advance(task)
    spec = env.spec.to_json() if env.spec is not None and not env_kwargs else None
    meta = DatasetMetadata(
        observation_space=env.observation_space,
        action_space=env.action_space,
        env_id=env_id,
        env_spec=spec,
        dataset_id=dataset_id,
        source=source,
        extra={"action_noise": action_noise, "seed": seed} if action_noise else {"seed": seed},
    )
    env.close()
    return Dataset(trajectories, meta)


def _perturb(action: np.ndarray, space: gym.Space[Any], noise: float, rng: np.random.Generator) -> np.ndarray:
    if isinstance(space, gym.spaces.Box):
        half_range = (space.high - space.low) / 2.0
        noisy = action + rng.normal(0.0, noise, size=action.shape) * half_range
        return np.clip(noisy, space.low, space.high).astype(action.dtype)
    if rng.random() < noise:
        return np.asarray(space.sample(), dtype=action.dtype).reshape(action.shape)
    return action


def _episode(
    env: gym.Env[Any, Any],
    policy: Any,
    seed: int,
    noise: float,
    rng: np.random.Generator,
    info_keys: Sequence[str],
) -> Trajectory:
    obs, info = env.reset(seed=seed)
    infos: dict[str, list[Any]] = {key: [_info_value(info, key, env)] for key in info_keys}
    env.action_space.seed(seed)
    state = policy.reset(1)
    observations, actions, expert_actions, rewards = [obs], [], [], []
    while True:
        batched = tree_map(lambda x: np.asarray(x)[None], obs)
        expert_action, state = policy.act(batched, state, deterministic=True)
        expert_action = np.asarray(expert_action)[0]
        action = _perturb(expert_action, env.action_space, noise, rng) if noise > 0 else expert_action
        step_action = action.item() if isinstance(env.action_space, gym.spaces.Discrete) else action
        obs, reward, terminated, truncated, info = env.step(step_action)
        for key in info_keys:
            infos[key].append(_info_value(info, key, env))
        observations.append(obs)
        actions.append(action)
        expert_actions.append(expert_action)
        rewards.append(reward)
        if terminated or truncated:
            break
    return Trajectory(
        obs=tree_stack(observations),
        acts=np.stack(actions),
        rews=np.asarray(rewards, dtype=np.float64),
        terminated=bool(terminated),
        truncated=bool(truncated),
        extras={"expert_action": np.stack(expert_actions)} if noise > 0 else {},
        infos={key: np.asarray(values) for key, values in infos.items()},
    )


def _info_value(info: dict[str, Any], key: str, env: gym.Env[Any, Any]) -> Any:
    if key not in info:
        spec_id = env.spec.id if env.spec is not None else type(env).__name__
        raise DatasetError(
            f"{spec_id} reports no info '{key}'", field=f"infos/{key}", expected=key, found=sorted(info)
        )
    return info[key]
