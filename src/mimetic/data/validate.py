"""`validate`: everything wrong with a dataset, one line per problem.

Loaders already refuse data they cannot represent (wrong lengths, missing keys, corrupt files).
This checks what a well-formed file can still get wrong: non-finite numbers, actions outside
the action space, and spaces that disagree with the env the user means to train in.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mimetic.data.dataset import Dataset
from mimetic.data.errors import Problem
from mimetic.data.spaces import space_to_dict, spaces_equal
from mimetic.data.tree import is_dict, tree_leaves


def validate(ds: Dataset, env: str | gym.Env[Any, Any] | None = None) -> list[Problem]:
    """Return every problem found in `ds` (empty when it is fine).

    `env` (an id or an instance) adds checks that the dataset's spaces match the env's and that
    every action lies in the env's action space.
    """
    file = None if ds.path is None else str(ds.path)
    problems: list[Problem] = []
    if len(ds) == 0:
        return [Problem("dataset has no episodes", file, field="episodes", expected=">= 1", found="0")]
    obs_space, act_space = ds.metadata.observation_space, ds.metadata.action_space
    if env is not None:
        env_obs, env_act = _env_spaces(env)
        for name, mine, theirs in (
            ("observation_space", obs_space, env_obs),
            ("action_space", act_space, env_act),
        ):
            if mine is not None and not spaces_equal(mine, theirs):
                problems.append(
                    Problem(
                        "dataset space does not match the env",
                        file,
                        field=name,
                        expected=_short(theirs),
                        found=_short(mine),
                    )
                )
        obs_space, act_space = env_obs, env_act
    for i, traj in enumerate(ds.episodes):
        for path, leaf in tree_leaves(traj.obs):
            problems += _finite(leaf, file, i, _join("obs", path))
        problems += _finite(traj.acts, file, i, "acts")
        if traj.rews is not None:
            problems += _finite(traj.rews, file, i, "rews")
        if traj.terminated and traj.truncated:
            problems.append(
                Problem(
                    "episode is both terminated and truncated", file, i, "terminated", "one of them", "both"
                )
            )
        if act_space is not None:
            problems += _check_space(traj.acts, act_space, file, i, "acts", len(traj))
        if obs_space is not None:
            problems += _check_obs(traj.obs, obs_space, file, i, len(traj) + 1)
    return problems


def _env_spaces(env: str | gym.Env[Any, Any]) -> tuple[spaces.Space[Any], spaces.Space[Any]]:
    if isinstance(env, str):
        made = gym.make(env)
        try:
            return made.observation_space, made.action_space
        finally:
            made.close()
    return env.observation_space, env.action_space


def _short(space: spaces.Space[Any]) -> str:
    d = space_to_dict(space)
    if d["type"] == "Box":
        return f"Box(shape={tuple(d['shape'])}, dtype={d['dtype']})"
    return str(space)


def _join(base: str, path: str) -> str:
    return f"{base}/{path}" if path else base


def _finite(arr: np.ndarray, file: str | None, episode: int, field: str) -> list[Problem]:
    if arr.dtype.kind not in "fc":
        return []
    bad = ~np.isfinite(arr)
    if not bad.any():
        return []
    step = int(np.argwhere(bad)[0][0])
    return [
        Problem(
            f"{int(bad.sum())} non-finite value(s), first at step {step}",
            file,
            episode,
            field,
            "finite numbers",
            str(arr[bad].ravel()[0]),
        )
    ]


def _check_obs(
    obs: Any, space: spaces.Space[Any], file: str | None, episode: int, rows: int
) -> list[Problem]:
    if isinstance(space, spaces.Dict):
        if not is_dict(obs):
            return [
                Problem("observation is not a dict", file, episode, "obs", "dict observations", "an array")
            ]
        problems = []
        if set(obs) != set(space.spaces):
            problems.append(
                Problem(
                    "observation keys differ",
                    file,
                    episode,
                    "obs",
                    str(sorted(space.spaces)),
                    str(sorted(obs)),
                )
            )
        for key in set(obs) & set(space.spaces):
            problems += _check_obs(obs[key], space.spaces[key], file, episode, rows)
        return problems
    if is_dict(obs):
        return [Problem("observation is a dict", file, episode, "obs", _short(space), "dict observations")]
    return _check_space(obs, space, file, episode, "obs", rows, check_bounds=False)


def _check_space(
    arr: np.ndarray,
    space: spaces.Space[Any],
    file: str | None,
    episode: int,
    field: str,
    rows: int,
    check_bounds: bool = True,
) -> list[Problem]:
    """Shape, dtype kind and (for actions) bounds of a (rows, ...) array against `space`."""
    shape = (rows, *(space.shape or ()))
    if arr.shape != shape:
        return [Problem("wrong shape", file, episode, field, str(shape), str(arr.shape))]
    want_kind = "f" if isinstance(space, spaces.Box) and space.dtype.kind == "f" else "iub"
    if arr.dtype.kind not in want_kind:
        expected = str(space.dtype) if space.dtype is not None else "integers"
        return [Problem("wrong dtype", file, episode, field, expected, str(arr.dtype))]
    if not check_bounds:
        return []
    if isinstance(space, spaces.Box):
        outside = (arr < space.low) | (arr > space.high)
    elif isinstance(space, spaces.Discrete):
        outside = (arr < space.start) | (arr >= space.start + space.n)
    elif isinstance(space, spaces.MultiDiscrete):
        outside = (arr < space.start) | (arr >= space.start + space.nvec)
    elif isinstance(space, spaces.MultiBinary):
        outside = (arr != 0) & (arr != 1)
    else:
        return []
    if not outside.any():
        return []
    step = int(np.argwhere(outside)[0][0])
    return [
        Problem(
            f"{int(np.any(outside.reshape(rows, -1), axis=1).sum())} action(s) outside the action space, "
            f"first at step {step}",
            file,
            episode,
            field,
            _short(space),
            str(arr[step]),
        )
    ]
