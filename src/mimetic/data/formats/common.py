"""Pieces every format shares: metadata as JSON, and episodes as flat, concatenated columns."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError, located
from mimetic.data.spaces import space_from_dict, space_to_dict
from mimetic.data.trajectory import Trajectory
from mimetic.data.tree import tree_from_leaves, tree_leaves

FORMAT_VERSION = 1
"""Version of mimetic's own keys inside each format; bumped on any incompatible change."""


def metadata_to_dict(meta: DatasetMetadata) -> dict[str, Any]:
    return {
        "mimetic_format_version": FORMAT_VERSION,
        "observation_space": None
        if meta.observation_space is None
        else space_to_dict(meta.observation_space),
        "action_space": None if meta.action_space is None else space_to_dict(meta.action_space),
        "env_id": meta.env_id,
        "env_spec": meta.env_spec,
        "dataset_id": meta.dataset_id,
        "source": meta.source,
        "license": meta.license,
        "masks": {k: [int(i) for i in v] for k, v in meta.masks.items()},
        "extra": dict(meta.extra),
    }


def metadata_from_dict(d: Mapping[str, Any], file: str | Path | None = None) -> DatasetMetadata:
    try:
        return DatasetMetadata(
            observation_space=None
            if d.get("observation_space") is None
            else space_from_dict(d["observation_space"]),
            action_space=None if d.get("action_space") is None else space_from_dict(d["action_space"]),
            env_id=d.get("env_id"),
            env_spec=d.get("env_spec"),
            dataset_id=d.get("dataset_id"),
            source=d.get("source"),
            license=d.get("license"),
            masks={k: [int(i) for i in v] for k, v in (d.get("masks") or {}).items()},
            extra=d.get("extra") or {},
        )
    except DatasetError as err:
        raise err.located(file=file) from None


def metadata_to_json(meta: DatasetMetadata) -> str:
    return json.dumps(metadata_to_dict(meta), sort_keys=True)


def metadata_from_json(text: str | bytes, file: str | Path | None = None) -> DatasetMetadata:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetError(f"metadata is not valid JSON: {err}", file=file, field="metadata") from None
    if not isinstance(d, dict):
        raise DatasetError(
            "metadata must be a JSON object", file=file, field="metadata", found=type(d).__name__
        )
    return metadata_from_dict(d, file)


@dataclass(frozen=True)
class Columns:
    """Episodes flattened into concatenated columns, keyed by '/'-joined field paths.

    Per-observation fields ("obs/...", "infos/...") have sum(T_i + 1) rows; per-step fields
    ("acts", "rews", "extras/...") have sum(T_i) rows. `lengths` holds each T_i.
    """

    lengths: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    per_obs: dict[str, np.ndarray]
    per_step: dict[str, np.ndarray]


def to_columns(episodes: Sequence[Trajectory]) -> Columns:
    per_obs: dict[str, list[np.ndarray]] = {}
    per_step: dict[str, list[np.ndarray]] = {}
    has_rews = all(t.rews is not None for t in episodes)
    for i, traj in enumerate(episodes):
        fields_obs = {_join("obs", p): a for p, a in tree_leaves(traj.obs)}
        for key, value in traj.infos.items():
            fields_obs.update({_join(f"infos/{key}", p): a for p, a in tree_leaves(value)})
        fields_step = {"acts": traj.acts}
        if has_rews:
            fields_step["rews"] = traj.rews  # type: ignore[assignment]
        fields_step.update({f"extras/{k}": v for k, v in traj.extras.items()})
        for store, fields in ((per_obs, fields_obs), (per_step, fields_step)):
            if i == 0:
                store.update({k: [v] for k, v in fields.items()})
            elif set(fields) != set(store):
                raise DatasetError(
                    "every episode must have the same fields to be stored in one table",
                    episode=i,
                    expected=sorted(store),
                    found=sorted(fields),
                )
            else:
                for k, v in fields.items():
                    store[k].append(v)
    return Columns(
        lengths=np.array([len(t) for t in episodes], dtype=np.int64),
        terminated=np.array([t.terminated for t in episodes], dtype=bool),
        truncated=np.array([t.truncated for t in episodes], dtype=bool),
        per_obs={k: np.concatenate(v) for k, v in per_obs.items()},
        per_step={k: np.concatenate(v) for k, v in per_step.items()},
    )


def from_columns(cols: Columns, file: str | Path | None = None) -> list[Trajectory]:
    """Cut columns back into episodes; slices are views, so this costs no copy."""
    lengths = cols.lengths.astype(np.int64)
    step_ends = np.cumsum(lengths)
    obs_ends = np.cumsum(lengths + 1)
    for name, store, ends in (
        ("per-step", cols.per_step, step_ends),
        ("per-observation", cols.per_obs, obs_ends),
    ):
        total = int(ends[-1]) if len(ends) else 0
        for key, arr in store.items():
            if arr.shape[0] != total:
                raise DatasetError(
                    f"{name} column does not match the episode lengths",
                    file=file,
                    field=key,
                    expected=f"{total} rows",
                    found=f"{arr.shape[0]} rows",
                )
    episodes = []
    for i, steps in enumerate(lengths):
        s0, s1 = int(step_ends[i] - steps), int(step_ends[i])
        o0, o1 = int(obs_ends[i] - steps - 1), int(obs_ends[i])
        obs_leaves = {_strip(k, "obs"): v[o0:o1] for k, v in cols.per_obs.items() if _under(k, "obs")}
        info_leaves = {
            k[len("infos/") :]: v[o0:o1] for k, v in cols.per_obs.items() if k.startswith("infos/")
        }
        infos: dict[str, Any] = {}
        for path, arr in info_leaves.items():
            key, _, rest = path.partition("/")
            infos.setdefault(key, {})[rest] = arr
        with located(file, i):
            episodes.append(
                Trajectory(
                    obs=tree_from_leaves(obs_leaves),
                    acts=cols.per_step["acts"][s0:s1],
                    rews=cols.per_step["rews"][s0:s1] if "rews" in cols.per_step else None,
                    terminated=bool(cols.terminated[i]),
                    truncated=bool(cols.truncated[i]),
                    infos={k: tree_from_leaves(v) for k, v in infos.items()},
                    extras={
                        k[len("extras/") :]: v[s0:s1]
                        for k, v in cols.per_step.items()
                        if k.startswith("extras/")
                    },
                )
            )
    return episodes


def _join(base: str, path: str) -> str:
    return f"{base}/{path}" if path else base


def _under(key: str, base: str) -> bool:
    return key == base or key.startswith(base + "/")


def _strip(key: str, base: str) -> str:
    return "" if key == base else key[len(base) + 1 :]


def dataset_from_columns(cols: Columns, meta: DatasetMetadata, file: Path) -> Dataset:
    return Dataset(from_columns(cols, file), meta, file)
