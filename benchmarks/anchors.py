"""Shared by the side-by-side benchmarks: the anchors' demonstrations, evaluation and normalization.

The anchors (`../shared/anchors/`, or $MIMETIC_ANCHORS) are read-only reference runs of the peer
libraries. Their own `common/evalproto.py` is imported as is (numpy + gymnasium only), so our
numbers come from exactly the protocol theirs did: 20 episodes, seeds 10000..10019, deterministic.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from mimetic.data import Dataset, DatasetMetadata, Trajectory

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = Path(os.environ.get("MIMETIC_ANCHORS", ROOT.parent / "shared" / "anchors"))


def evalproto() -> Any:
    """The anchors' `common/evalproto.py` module."""
    sys.path.insert(0, str(ANCHORS / "common"))
    import evalproto as ep

    return ep


def demo_file(task: str) -> Path:
    return ANCHORS / "data" / f"{task}_expert.npz"


def trajectories(task: str, episodes: int | None = None) -> list[Trajectory]:
    """The first `episodes` (all by default) of the anchors' demonstrations; [] if they have none."""
    if not demo_file(task).is_file():
        return []
    ep = evalproto()
    raw = ep.split_episodes(ep.load_demos_npz(str(demo_file(task))))
    return [
        Trajectory(
            obs=e["obs"],
            acts=e["acts"],
            rews=np.asarray(e["rews"], dtype=np.float64),
            terminated=e["terminated"],
            truncated=not e["terminated"],
        )
        for e in raw[:episodes]
    ]


def dataset(task: str, episodes: int | None = None) -> Dataset:
    """`trajectories` as a Dataset with the env's spaces."""
    env = gym.make(task)
    meta = DatasetMetadata(
        observation_space=env.observation_space, action_space=env.action_space, env_id=task
    )
    env.close()
    return Dataset(trajectories(task, episodes), meta)


def recorded_tasks() -> dict[str, Any]:
    """Per task, the expert and random returns the imitation anchor recorded on the eval seeds."""
    return dict(json.loads((ANCHORS / "imitation" / "results.json").read_text())["tasks"])


def reference(task: str) -> tuple[float, float]:
    """(expert, random) mean returns on the 20 eval seeds, from the imitation anchor's results.json."""
    ref = recorded_tasks()[task]
    return ref["expert"]["mean"], ref["random"]["mean"]


def evaluate(policy: Any, task: str) -> dict[str, Any]:
    """`evalproto.evaluate` of a mimetic policy (deterministic actions, one env)."""

    def act(obs: np.ndarray) -> Any:
        action = np.asarray(policy.act(obs[None], deterministic=True)[0])[0]
        return int(action) if action.ndim == 0 else action

    result: dict[str, Any] = evalproto().evaluate(act, task)
    return result
