"""The trajectory model: one episode (`Trajectory`) and the flat batch view (`Transitions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mimetic.data.errors import DatasetError
from mimetic.data.tree import tree_concat, tree_equal, tree_leaves, tree_len, tree_map


def _freeze(arr: np.ndarray) -> np.ndarray:
    """Read-only view: a Trajectory is a value; in-place edits would corrupt shared buffers."""
    view = arr.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One episode of T steps.

    Attributes:
        obs: T+1 observations, the final one included; an array or a (nested) dict of arrays.
        acts: T actions.
        rews: T rewards, or None when the source has none (pure demonstrations).
        terminated: the episode ended in a terminal state (no bootstrapping past it).
        truncated: the episode was cut off (time limit); its last state is not terminal.
        infos: per-observation side data from the env, each array with T+1 rows (row 0 from reset),
            following Minari's convention.
        extras: per-step side channels with T rows: an expert action, an intervention flag,
            a thought token, a mode label.
    """

    obs: Any
    acts: np.ndarray
    rews: np.ndarray | None = None
    terminated: bool = False
    truncated: bool = False
    infos: Mapping[str, Any] = field(default_factory=dict)
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        obs = tree_map(np.asarray, self.obs)
        acts = np.asarray(self.acts)
        leaves = list(tree_leaves(obs))
        if not leaves:
            raise DatasetError("observation dict has no arrays", field="obs")
        for path, leaf in leaves:
            if leaf.ndim == 0:
                raise DatasetError(
                    "observations need a leading time axis",
                    field=_name("obs", path),
                    expected="shape (T+1, ...)",
                    found="a scalar",
                )
        if acts.ndim == 0:
            raise DatasetError(
                "actions need a leading time axis", field="acts", expected="shape (T, ...)", found="a scalar"
            )
        steps = int(acts.shape[0])
        for path, leaf in leaves:
            if leaf.shape[0] != steps + 1:
                raise DatasetError(
                    "observations must hold one more step than actions (the final observation)",
                    field=_name("obs", path),
                    expected=f"{steps + 1} rows for {steps} actions",
                    found=f"{leaf.shape[0]} rows",
                )
        rews = None if self.rews is None else np.asarray(self.rews)
        if rews is not None and rews.shape != (steps,):
            raise DatasetError("one reward per action", field="rews", expected=(steps,), found=rews.shape)
        infos = {k: tree_map(np.asarray, v) for k, v in self.infos.items()}
        for key, value in infos.items():
            for path, leaf in tree_leaves(value):
                if leaf.ndim == 0 or leaf.shape[0] != steps + 1:
                    raise DatasetError(
                        "infos have one row per observation",
                        field=_name(f"infos/{key}", path),
                        expected=f"{steps + 1} rows",
                        found=f"shape {leaf.shape}",
                    )
        extras = {k: np.asarray(v) for k, v in self.extras.items()}
        for key, value in extras.items():
            if value.ndim == 0 or value.shape[0] != steps:
                raise DatasetError(
                    "extras have one row per action",
                    field=f"extras/{key}",
                    expected=f"{steps} rows",
                    found=f"shape {value.shape}",
                )
        object.__setattr__(self, "obs", tree_map(_freeze, obs))
        object.__setattr__(self, "acts", _freeze(acts))
        object.__setattr__(self, "rews", None if rews is None else _freeze(rews))
        object.__setattr__(self, "terminated", bool(self.terminated))
        object.__setattr__(self, "truncated", bool(self.truncated))
        object.__setattr__(self, "infos", {k: tree_map(_freeze, v) for k, v in infos.items()})
        object.__setattr__(self, "extras", {k: _freeze(v) for k, v in extras.items()})

    def __len__(self) -> int:
        return int(self.acts.shape[0])

    @property
    def ret(self) -> float:
        """Undiscounted return; NaN when the trajectory has no rewards."""
        return float("nan") if self.rews is None else float(np.sum(self.rews, dtype=np.float64))

    def equals(self, other: Trajectory) -> bool:
        """Bitwise equality of every field (dtypes included)."""
        if self.terminated != other.terminated or self.truncated != other.truncated:
            return False
        if (self.rews is None) != (other.rews is None):
            return False
        return (
            tree_equal(self.obs, other.obs)
            and tree_equal(self.acts, other.acts)
            and (self.rews is None or tree_equal(self.rews, other.rews))
            and tree_equal(dict(self.infos), dict(other.infos))
            and tree_equal(dict(self.extras), dict(other.extras))
        )


def _name(base: str, path: str) -> str:
    return f"{base}/{path}" if path else base


@dataclass(frozen=True)
class Transitions:
    """The flat batch view of many trajectories: row i is one step (s, a, s', ...).

    `dones` marks the last step of every episode (terminated or truncated); `terminals` marks
    only true terminations, which is what TD learning needs to stop bootstrapping.
    """

    obs: Any
    acts: np.ndarray
    next_obs: Any
    dones: np.ndarray
    terminals: np.ndarray
    rews: np.ndarray | None
    extras: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.acts.shape[0])

    def __getitem__(self, index: Any) -> Transitions:
        """Index or slice every field the same way (a minibatch is `transitions[idx]`)."""

        def take(x: np.ndarray) -> np.ndarray:
            return x[index]

        return Transitions(
            obs=tree_map(take, self.obs),
            acts=self.acts[index],
            next_obs=tree_map(take, self.next_obs),
            dones=self.dones[index],
            terminals=self.terminals[index],
            rews=None if self.rews is None else self.rews[index],
            extras={k: v[index] for k, v in self.extras.items()},
        )

    @classmethod
    def from_trajectories(cls, trajectories: Sequence[Trajectory]) -> Transitions:
        """Flatten episodes. One episode gives views (no copy); several are concatenated once."""
        if not trajectories:
            raise DatasetError("cannot build transitions from no episodes", field="episodes")

        def head(x: np.ndarray) -> np.ndarray:
            return x[:-1]

        def tail(x: np.ndarray) -> np.ndarray:
            return x[1:]

        dones, terminals = [], []
        for traj in trajectories:
            done = np.zeros(len(traj), dtype=bool)
            term = np.zeros(len(traj), dtype=bool)
            if len(traj):
                done[-1] = traj.terminated or traj.truncated
                term[-1] = traj.terminated
            dones.append(done)
            terminals.append(term)
        has_rews = all(t.rews is not None for t in trajectories)
        extra_keys = set(trajectories[0].extras)
        for traj in trajectories[1:]:
            extra_keys &= set(traj.extras)
        return cls(
            obs=tree_concat([tree_map(head, t.obs) for t in trajectories]),
            acts=tree_concat([t.acts for t in trajectories]),
            next_obs=tree_concat([tree_map(tail, t.obs) for t in trajectories]),
            dones=tree_concat(dones),
            terminals=tree_concat(terminals),
            rews=tree_concat([t.rews for t in trajectories]) if has_rews else None,
            extras={k: tree_concat([t.extras[k] for t in trajectories]) for k in sorted(extra_keys)},
        )

    @property
    def num_obs_rows(self) -> int:
        return tree_len(self.obs)
