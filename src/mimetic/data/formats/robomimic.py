"""robomimic: one HDF5 file of demonstrations, the layout robomimic trains from.

Layout (robomimic's own keys first, then the keys mimetic adds; robomimic ignores those):
    data                                  group; attrs:
        total                             total number of steps (sum of num_samples)
        env_args                          JSON {"env_name": env id, "type": 2 (robomimic's GYM_TYPE),
                                          "env_kwargs": {...}}; a file read from robomimic keeps its own
                                          env_args in metadata.extra["robomimic_env_args"] and writes them back
        mimetic_metadata                  JSON of the DatasetMetadata (spaces, env id, source, license, ...)
        mimetic_obs_layout                "array" or "dict"
    data/demo_<i>                         one group per episode, i = episode index; attrs:
        num_samples                       T, the number of steps
        mimetic_terminated / _truncated   the episode's end flags
        mimetic_no_rewards                present (True) when the episode has no rewards
    data/demo_<i>/obs/<key>               T observations (rows 0..T-1)
    data/demo_<i>/next_obs/<key>          T next observations (rows 1..T); the final observation is next_obs[-1]
    data/demo_<i>/actions                 T actions
    data/demo_<i>/rewards                 T rewards (float64 zeros plus the mimetic_no_rewards attr when none)
    data/demo_<i>/dones                   T int64 flags, 1 at the last step when the episode terminated
    data/demo_<i>/states                  extras["states"] when present (robomimic's simulator states)
    data/demo_<i>/mimetic_extras/<key>    the other extras, T rows
    data/demo_<i>/mimetic_infos/<key>     infos, T+1 rows (nested dicts become nested groups)
    data/demo_<i>/mimetic_final_obs/<key> the single observation of an empty (T = 0) episode, which
                                          obs/next_obs cannot hold
    mask/<name>                           demo names (bytes, e.g. b"demo_0") of each DatasetMetadata mask

Observations: an array observation is stored as `obs/flat`, the key robomimic's own gym wrapper
(`EnvGym.get_observation`) uses; dict observations map each key to `obs/<key>` (nested dicts to nested
groups). On reading, a file without `mimetic_obs_layout` whose only observation key is `flat` gives
array observations, anything else gives dict observations.

Files that mimetic did not write are read too: demos are taken in numeric order (demo_10 after
demo_9), `states` becomes extras["states"], `terminated` is dones[-1] and `truncated` is False; a
`dones` array that holds more than that one flag (robomimic's done_mode 2 marks every success
state) is kept whole as extras["dones"]. A file without `next_obs` (robomimic's
`--exclude-next-obs`) has no final observation, so the last action of each demo is dropped: T
observations, T-1 actions, and the episode is marked truncated. Other datasets in a demo group
(`action_dict`, ...) are not read.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError, located
from mimetic.data.formats import Format, register
from mimetic.data.formats.common import metadata_from_json, metadata_to_json
from mimetic.data.trajectory import Trajectory
from mimetic.data.tree import is_dict, tree_from_leaves, tree_leaves

ARRAY_OBS_KEY = "flat"
"""robomimic's key for a flat (non-dict) observation, as in its `EnvGym` wrapper."""

GYM_ENV_TYPE = 2
"""robomimic's `EnvType.GYM_TYPE` (robomimic/envs/env_base.py)."""

_DEMO = re.compile(r"^demo_(\d+)$")
_EXTRAS = "mimetic_extras"
_INFOS = "mimetic_infos"
_FINAL_OBS = "mimetic_final_obs"


def detect(path: Path) -> bool:
    """A file named *.hdf5 / *.h5, or any HDF5 file with a top-level `data` group."""
    if not path.is_file():
        return False
    if path.suffix.lower() in (".hdf5", ".h5"):
        return True
    if not h5py.is_hdf5(path):
        return False
    with h5py.File(path, "r") as f:
        return "data" in f


# --------------------------------------------------------------------------- write


def write(ds: Dataset, path: Path) -> None:
    meta = ds.metadata
    obs_is_array = not is_dict(ds.episodes[0].obs)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["total"] = np.int64(ds.num_steps)
        data.attrs["env_args"] = json.dumps(_env_args(meta))
        data.attrs["mimetic_metadata"] = metadata_to_json(meta)
        data.attrs["mimetic_obs_layout"] = "array" if obs_is_array else "dict"
        for i, traj in enumerate(ds.episodes):
            if is_dict(traj.obs) == obs_is_array:
                raise DatasetError(
                    "every episode must have the same observation structure",
                    file=path,
                    episode=i,
                    field="obs",
                    expected="array" if obs_is_array else "dict",
                    found="dict" if obs_is_array else "array",
                )
            _write_demo(data.create_group(f"demo_{i}"), traj)
        if meta.masks:
            mask = f.create_group("mask")
            for name, indices in meta.masks.items():
                mask.create_dataset(name, data=np.array([f"demo_{int(j)}" for j in indices], dtype="S"))


def _env_args(meta: DatasetMetadata) -> dict[str, Any]:
    previous = meta.extra.get("robomimic_env_args")
    args: dict[str, Any] = dict(previous) if isinstance(previous, dict) else {}
    args["env_name"] = meta.env_id if meta.env_id is not None else args.get("env_name", "")
    args.setdefault("type", GYM_ENV_TYPE)
    args.setdefault("env_kwargs", {})
    return args


def _write_demo(g: h5py.Group, traj: Trajectory) -> None:
    steps = len(traj)
    g.attrs["num_samples"] = np.int64(steps)
    g.attrs["mimetic_terminated"] = traj.terminated
    g.attrs["mimetic_truncated"] = traj.truncated
    for key, leaf in _obs_leaves(traj.obs):
        g.create_dataset(f"obs/{key}", data=leaf[:steps])
        g.create_dataset(f"next_obs/{key}", data=leaf[1:])
        if steps == 0:
            g.create_dataset(f"{_FINAL_OBS}/{key}", data=leaf)
    g.create_dataset("actions", data=traj.acts)
    if traj.rews is None:
        # robomimic's loaders read "rewards" by default, so a placeholder keeps the file usable there.
        g.create_dataset("rewards", data=np.zeros(steps, dtype=np.float64))
        g.attrs["mimetic_no_rewards"] = True
    else:
        g.create_dataset("rewards", data=traj.rews)
    dones = np.zeros(steps, dtype=np.int64)
    if steps and traj.terminated:
        dones[-1] = 1
    g.create_dataset("dones", data=dones)
    for key, value in traj.extras.items():
        g.create_dataset("states" if key == "states" else f"{_EXTRAS}/{key}", data=value)
    for key, value in traj.infos.items():
        for path, leaf in tree_leaves(value):
            g.create_dataset(f"{_INFOS}/{key}/{path}" if path else f"{_INFOS}/{key}", data=leaf)


def _obs_leaves(obs: Any) -> list[tuple[str, np.ndarray]]:
    if not is_dict(obs):
        return [(ARRAY_OBS_KEY, obs)]
    return list(tree_leaves(obs))


# --------------------------------------------------------------------------- read


def read(path: Path) -> Dataset:
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise DatasetError(f"corrupt or truncated HDF5 file: {err}", file=path) from None
    try:
        with f:
            return _read(f, path)
    except (OSError, RuntimeError) as err:  # h5py's errors when a block cannot be read
        raise DatasetError(f"corrupt or truncated HDF5 file: {err}", file=path) from None


def _read(f: h5py.File, path: Path) -> Dataset:
    data = f.get("data")
    if not isinstance(data, h5py.Group):
        raise DatasetError(
            "not a robomimic file", file=path, field="data", expected="a 'data' group", found="none"
        )
    names = sorted((k for k in data if _DEMO.match(k)), key=lambda k: int(k[len("demo_") :]))
    if not names:
        raise DatasetError(
            "no demonstrations",
            file=path,
            field="data",
            expected="groups demo_0, demo_1, ...",
            found=sorted(data),
        )
    meta = _read_metadata(data, path)
    layout = _attr_str(data.attrs.get("mimetic_obs_layout"))
    episodes = []
    for i, name in enumerate(names):
        group = data[name]
        if not isinstance(group, h5py.Group):
            raise DatasetError("demo is not a group", file=path, episode=i, field=name)
        with located(path, i):
            episodes.append(_read_demo(group, name, layout))
    meta = replace(meta, masks=_read_masks(f, names, path))
    return Dataset(episodes, meta, path)


def _read_metadata(data: h5py.Group, path: Path) -> DatasetMetadata:
    if "mimetic_metadata" in data.attrs:
        return metadata_from_json(_attr_str(data.attrs["mimetic_metadata"]) or "", path)
    if "env_args" not in data.attrs:
        return DatasetMetadata()
    try:
        env_args = json.loads(_attr_str(data.attrs["env_args"]) or "")
    except json.JSONDecodeError as err:
        raise DatasetError(f"env_args is not valid JSON: {err}", file=path, field="env_args") from None
    if not isinstance(env_args, dict):
        raise DatasetError(
            "env_args must be a JSON object", file=path, field="env_args", found=type(env_args).__name__
        )
    env_name = env_args.get("env_name")
    return DatasetMetadata(env_id=str(env_name) if env_name else None, extra={"robomimic_env_args": env_args})


def _read_demo(g: h5py.Group, name: str, layout: str | None) -> Trajectory:
    acts = _dataset(g, "actions", name)
    steps = int(acts.shape[0]) if acts.ndim else 0
    if "num_samples" in g.attrs and int(g.attrs["num_samples"]) != steps:
        raise DatasetError(
            f"{name}: num_samples does not match the number of actions",
            field="num_samples",
            expected=steps,
            found=int(g.attrs["num_samples"]),
        )
    obs_leaves = _group_leaves(g, "obs", name)
    has_next = "next_obs" in g
    final_leaves = _group_leaves(g, _FINAL_OBS, name) if _FINAL_OBS in g else {}
    obs: dict[str, np.ndarray] = {}
    for key, first in obs_leaves.items():
        if key in final_leaves:
            obs[key] = final_leaves[key]
        elif has_next:
            nxt = _dataset(g, _join("next_obs", key), name)
            if nxt.ndim == 0 or nxt.shape[0] != first.shape[0] or nxt.shape[0] == 0:
                raise DatasetError(
                    f"{name}: next_obs must hold one row per obs row (the final observation is its last row)",
                    field=_join("next_obs", key),
                    expected=f"{first.shape[0] if first.ndim else '?'} rows (>= 1)",
                    found=f"shape {nxt.shape}",
                )
            obs[key] = np.concatenate([first, nxt[-1:]])
        else:
            obs[key] = first
    # Without next_obs the last observation has no successor: drop the last action (see module doc).
    cut = not has_next and not final_leaves
    keep = max(steps - 1, 0) if cut else steps
    rews = None
    if "rewards" in g and not g.attrs.get("mimetic_no_rewards", False):
        rews = _dataset(g, "rewards", name)[:keep]
    extras = {k: v[:keep] for k, v in _group_leaves(g, _EXTRAS, name).items()} if _EXTRAS in g else {}
    if "states" in g:
        extras["states"] = _dataset(g, "states", name)[:keep]
    terminated, truncated = _end_flags(g, name, extras, steps, cut)
    infos: dict[str, Any] = {}
    if _INFOS in g:
        for path, leaf in _group_leaves(g, _INFOS, name).items():
            key, _, rest = path.partition("/")
            infos.setdefault(key, {})[rest] = leaf
    if layout == "array" or (layout is None and set(obs) == {ARRAY_OBS_KEY}):
        if ARRAY_OBS_KEY not in obs:
            raise DatasetError(f"{name}: missing the observation", field=f"obs/{ARRAY_OBS_KEY}")
        obs_tree: Any = obs[ARRAY_OBS_KEY]
    else:  # a dict, or one array when `obs` is a dataset rather than a group (tree_from_leaves: "" path)
        obs_tree = tree_from_leaves(obs)
    return Trajectory(
        obs=obs_tree,
        acts=acts[:keep],
        rews=rews,
        terminated=terminated,
        truncated=truncated,
        infos={k: tree_from_leaves(v) for k, v in infos.items()},
        extras=extras,
    )


def _end_flags(
    g: h5py.Group, name: str, extras: dict[str, np.ndarray], steps: int, cut: bool
) -> tuple[bool, bool]:
    if "mimetic_terminated" in g.attrs:
        return bool(g.attrs["mimetic_terminated"]), bool(g.attrs.get("mimetic_truncated", False))
    if cut:
        return False, True
    if "dones" not in g:
        return False, False
    dones = _dataset(g, "dones", name)
    if dones.shape[:1] != (steps,):
        raise DatasetError(
            f"{name}: one done flag per action", field="dones", expected=(steps,), found=dones.shape
        )
    terminated = bool(steps and dones[-1])
    canonical = np.zeros(steps, dtype=bool)
    if terminated:
        canonical[-1] = True
    if "dones" not in extras and not np.array_equal(dones.astype(bool), canonical):
        extras["dones"] = dones
    return terminated, False


def _read_masks(f: h5py.File, names: list[str], path: Path) -> dict[str, list[int]]:
    mask = f.get("mask")
    if not isinstance(mask, h5py.Group):
        return {}
    index = {name: i for i, name in enumerate(names)}
    masks: dict[str, list[int]] = {}
    for key in mask:
        values = mask[key]
        if not isinstance(values, h5py.Dataset):
            raise DatasetError("mask is not a dataset of demo names", file=path, field=f"mask/{key}")
        demo_names = [_attr_str(v) for v in np.atleast_1d(values[()])]
        missing = [n for n in demo_names if n not in index]
        if missing:
            raise DatasetError(
                "mask names demos that do not exist",
                file=path,
                field=f"mask/{key}",
                expected=f"names among {names[0]}..{names[-1]}",
                found=missing[:5],
            )
        masks[key] = [index[n] for n in demo_names]  # type: ignore[index]
    return masks


def _dataset(g: h5py.Group, key: str, demo: str) -> np.ndarray:
    node = g.get(key)
    if node is None:
        raise DatasetError(f"{demo}: missing dataset", field=key, expected=f"{g.name}/{key}", found="none")
    if not isinstance(node, h5py.Dataset):
        raise DatasetError(f"{demo}: expected a dataset, found a group", field=key)
    try:
        return np.asarray(node[()])
    except (OSError, RuntimeError, ValueError) as err:
        raise DatasetError(
            f"{demo}: cannot read dataset (corrupt or truncated file?): {err}", field=key
        ) from None


def _group_leaves(g: h5py.Group, key: str, demo: str) -> dict[str, np.ndarray]:
    """Every dataset under `g/key`, by '/'-joined path relative to it ('' when `key` is a dataset)."""
    node = g.get(key)
    if node is None:
        raise DatasetError(f"{demo}: missing group", field=key, expected=f"{g.name}/{key}", found="none")
    if isinstance(node, h5py.Dataset):
        return {"": _dataset(g, key, demo)}
    out: dict[str, np.ndarray] = {}
    for child in node:
        for path, arr in _group_leaves(node, child, demo).items():
            out[f"{child}/{path}" if path else child] = arr
    if not out:
        raise DatasetError(f"{demo}: group holds no datasets", field=key)
    return out


def _join(base: str, key: str) -> str:
    return f"{base}/{key}" if key else base


def _attr_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _attr_str(value[()])
    return str(value)


FORMAT = register(Format(name="robomimic", detect=detect, read=read, write=write, is_dir=False))
