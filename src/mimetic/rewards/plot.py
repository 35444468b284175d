"""A learned reward over a 2D slice of the state space, as a heat map (matplotlib, Agg backend).

Two observation dimensions vary over a grid; the others stay at a base observation (by default
the reward networks' normalization mean, i.e. the demonstrations' average state). Actions are
fixed too, or, for discrete actions, the reward is maximized over them, which shows where the
reward pulls the agent whatever it does next.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from mimetic.rewards.learned import LearnedReward


def reward_slice(
    reward: LearnedReward,
    dims: tuple[int, int] = (0, 1),
    lows: tuple[float, float] = (-1.0, -1.0),
    highs: tuple[float, float] = (1.0, 1.0),
    resolution: int = 50,
    base_obs: np.ndarray | None = None,
    action: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, rewards of shape (resolution, resolution)) on the grid; next_obs = obs (a standstill)."""
    obs_dim = reward.obs_dim
    for d in dims:
        if not 0 <= d < obs_dim:
            raise ValueError(f"slice dimension {d} is out of range for {obs_dim}-dimensional observations")
    net = next(iter(reward.nets.values()))
    base = net.obs_mean.numpy().astype(np.float64) if base_obs is None else np.asarray(base_obs, np.float64)
    xs = np.linspace(lows[0], highs[0], resolution)
    ys = np.linspace(lows[1], highs[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    obs = np.repeat(base[None], resolution * resolution, axis=0).astype(np.float32)
    obs[:, dims[0]] = grid_x.ravel()
    obs[:, dims[1]] = grid_y.ravel()
    spec = net.spec
    with torch.no_grad():
        if spec.discrete and action is None:
            values = np.stack(
                [reward.score(obs, np.full(len(obs), a), obs).numpy() for a in range(spec.act_dim)]
            ).max(0)
        else:
            if action is None:
                action = np.zeros(spec.act_dim, dtype=np.float32)
            acts = np.repeat(np.asarray(action, dtype=np.float32).reshape(1, -1), len(obs), axis=0)
            if spec.discrete:
                acts = acts.reshape(-1).astype(np.int64)
            values = reward.score(obs, acts, obs).numpy()
    return xs, ys, values.reshape(resolution, resolution)


def plot_reward_slice(
    reward: LearnedReward,
    path: str | Path,
    dims: tuple[int, int] = (0, 1),
    lows: tuple[float, float] = (-1.0, -1.0),
    highs: tuple[float, float] = (1.0, 1.0),
    labels: tuple[str, str] | None = None,
    **kwargs: Any,
) -> Path:
    """Write the heat map of `reward_slice` to `path` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs, ys, values = reward_slice(reward, dims, lows, highs, **kwargs)
    fig, ax = plt.subplots(figsize=(5, 4))
    mesh = ax.pcolormesh(xs, ys, values, shading="auto", cmap="viridis")
    fig.colorbar(mesh, ax=ax, label="learned reward")
    names = labels or (f"obs[{dims[0]}]", f"obs[{dims[1]}]")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    source = reward.meta.get("algorithm", "learned")
    ax.set_title(f"{source} reward, other dims at the demo mean")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp_{path.name}")
    fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path
