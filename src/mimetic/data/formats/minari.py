"""Minari: mimetic's native format, written with h5py and json so that Minari itself can read it.

Layout (Minari 0.5.x's HDF5 storage, `minari/dataset/_storages/hdf5_storage.py`):

    <root>/<namespace>/<name>-v<N>/data/
        metadata.json          dataset_id, total_episodes, total_steps, data_format ("hdf5"),
                               jpeg_encoding, observation_space and action_space (JSON text),
                               env_spec, minari_version, dataset_size ... and a "mimetic" key
        main_data.hdf5
            episode_<i>/       attrs: id, total_steps
                observations   T+1 rows; a group per Dict space, nested
                actions        T rows
                rewards        T rows
                terminations   T bools, only the last may be set
                truncations    T bools, only the last may be set
                infos/...      T+1 rows each (row 0 from reset), nested groups allowed
                extras/...     mimetic only: per-step side channels, T rows each

Where mimetic keeps what Minari has no field for (Minari's reader opens only the names above and
reads only the keys it knows from metadata.json, so none of this disturbs it):
    - `metadata.json["mimetic"]` holds the whole `DatasetMetadata` (`metadata_to_dict`): spaces,
      env id and spec, dataset id, source, license, masks and extra. When present it is what
      `read` returns, so every field round-trips exactly, `None`s included; the top-level Minari
      keys are filled for Minari's sake (spaces inferred from the data when unknown).
    - `episode_<i>/extras/<key>`: the per-step extras.
    - `rews=None`: Minari requires rewards, so zeros are written with the attribute
      `mimetic_placeholder=True` on the `rewards` dataset, and read back as `None`.
    - A Trajectory has episode-level `terminated`/`truncated`; they are the last step's flags.
    - Image observations are stored raw (`jpeg_encoding: false`), so they round-trip bitwise.

Datasets recorded by Minari's `DataCollector` (no "mimetic" key) load too: spaces come from
metadata.json, `env_id` from `env_spec`'s id, JPEG-encoded image observations are decoded as
Minari decodes them, and Minari's descriptive keys (author, description, algorithm_name, ...)
land in `metadata.extra["minari"]`, from where `write` puts them back.

The dataset id written is `ds.metadata.dataset_id`, else one derived from the final path (see
`dataset_id_for_path`). Reading opens the HDF5 file once and reads each array whole, through
h5py's low-level API: a Minari file holds one small dataset per field per episode, and the
per-dataset overhead of the high-level API dominates the load time of many short episodes.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from gymnasium import spaces
from h5py import h5a, h5d, h5g, h5o, h5s, h5t

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError
from mimetic.data.formats import Format, register
from mimetic.data.formats.common import FORMAT_VERSION, metadata_from_dict, metadata_to_dict
from mimetic.data.spaces import space_from_dict, space_to_dict
from mimetic.data.trajectory import Trajectory
from mimetic.data.tree import is_dict

MAIN_FILE = "main_data.hdf5"
METADATA_FILE = "metadata.json"
MINARI_VERSION = "0.5.4"
"""The Minari release whose layout `write` produces; it must be in Minari's `supported_dataset_versions`."""

PLACEHOLDER_ATTR = "mimetic_placeholder"
"""Set on an episode's `rewards` dataset when the zeros there stand for "no rewards"."""

# Keys of metadata.json that this module derives from the data; every other Minari key
# (author, description, algorithm_name, ref scores, ...) is carried in `extra["minari"]`.
_DERIVED_KEYS = frozenset(
    {
        "dataset_id",
        "total_episodes",
        "total_steps",
        "data_format",
        "jpeg_encoding",
        "observation_space",
        "action_space",
        "env_spec",
        "minari_version",
        "dataset_size",
        "mimetic",
    }
)
# Minari's id grammar (`minari/dataset/minari_dataset.py`): (namespace/)name-v<N>.
_NAME_VERSION_RE = re.compile(r"[-\w]+-v\d+")
_NAMESPACE_RE = re.compile(r"[-\w][-\w/]*[-\w]")
# `mimetic.data.io.save` writes to `.<name>.tmp-<hex>` next to the final path, then renames it.
_TEMP_NAME_RE = re.compile(r"\.(?P<name>.+)\.tmp-[0-9a-f]+")
# Field names in `Trajectory`'s errors, translated to the HDF5 names a user would look for.
_HDF5_NAMES = {"obs": "observations", "acts": "actions", "rews": "rewards"}


# ---------------------------------------------------------------------------------------- detect


def _data_dir(path: Path) -> Path | None:
    """The Minari `data/` folder for `path` (the dataset dir, `data/` itself, or main_data.hdf5)."""
    if path.is_file():
        return path.parent if path.name == MAIN_FILE and (path.parent / METADATA_FILE).is_file() else None
    if not path.is_dir():
        return None
    # metadata.json alone is enough in a folder named data (Minari's arrow storage has no
    # main_data.hdf5; `read` then says which storage it is rather than "unknown format").
    for candidate in (path / "data", path):
        if (candidate / MAIN_FILE).is_file() or (
            candidate.name == "data" and (candidate / METADATA_FILE).is_file()
        ):
            return candidate
    return None


def detect(path: Path) -> bool:
    return _data_dir(path) is not None


# ----------------------------------------------------------------------------------------- write


def dataset_id_for_path(path: Path) -> str:
    """The Minari id for a dataset written to `path`, when the dataset does not carry one.

    The name is the final folder name: `io.save`'s temporary `.<name>.tmp-<hex>` is undone first.
    A name of the form `<name>-v<N>` gets a namespace: the folder's path below
    `MINARI_DATASETS_PATH` (or `~/.minari/datasets`) when it lies there, so that
    `minari.load_dataset(id)` finds it; else the parent folder's name when Minari allows it as a
    namespace. Any other name becomes `<name>-v0`, its characters outside `[-\\w]` replaced by `_`.
    """
    match = _TEMP_NAME_RE.fullmatch(path.name)
    name = match["name"] if match else path.name
    if not _NAME_VERSION_RE.fullmatch(name):
        return re.sub(r"[^-\w]", "_", name) + "-v0"
    namespace = _namespace_for(path.parent)
    return f"{namespace}/{name}" if namespace else name


def _namespace_for(parent: Path) -> str | None:
    root = Path(os.environ.get("MINARI_DATASETS_PATH") or Path.home() / ".minari" / "datasets")
    try:
        rel = parent.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        rel = None
    if rel is not None:
        return rel if rel != "." and _NAMESPACE_RE.fullmatch(rel) else None
    return parent.name if _NAMESPACE_RE.fullmatch(parent.name) else None


def write(ds: Dataset, path: Path) -> None:
    meta = ds.metadata
    if not ds.episodes and (meta.observation_space is None or meta.action_space is None):
        raise DatasetError(
            "Minari needs the spaces, and there are no episodes to infer them from",
            file=path,
            field="observation_space" if meta.observation_space is None else "action_space",
        )
    data_dir = path / "data"
    data_dir.mkdir(parents=True)
    main_file = data_dir / MAIN_FILE
    with h5py.File(main_file, "w", track_order=True) as f:
        for i, traj in enumerate(ds.episodes):
            _write_episode(f, i, traj, main_file)
    minari_extra = meta.extra.get("minari")
    out: dict[str, Any] = dict(minari_extra) if isinstance(minari_extra, Mapping) else {}
    out = {k: v for k, v in out.items() if k not in _DERIVED_KEYS}
    out.update(
        dataset_id=meta.dataset_id or dataset_id_for_path(path),
        total_episodes=len(ds.episodes),
        total_steps=sum(len(t) for t in ds.episodes),
        data_format="hdf5",
        jpeg_encoding=False,  # images are stored raw, so Minari must not JPEG-decode them
        observation_space=json.dumps(space_to_dict(meta.observation_space or _infer_tree_space(ds[0].obs))),
        action_space=json.dumps(space_to_dict(meta.action_space or _infer_space(ds[0].acts))),
        minari_version=MINARI_VERSION,
        dataset_size=round(main_file.stat().st_size / 1e6, 1),
    )
    if _is_env_spec_json(meta.env_spec):
        out["env_spec"] = meta.env_spec
    out["mimetic"] = metadata_to_dict(meta)
    try:
        text = json.dumps(out)
    except (TypeError, ValueError) as err:
        raise DatasetError(
            f"metadata is not JSON-serializable: {err}", file=data_dir / METADATA_FILE, field="metadata/extra"
        ) from None
    (data_dir / METADATA_FILE).write_text(text)


def _write_episode(f: h5py.File, i: int, traj: Trajectory, file: Path) -> None:
    steps = len(traj)
    if steps == 0 and (traj.terminated or traj.truncated):
        raise DatasetError(
            "Minari keeps termination flags per step, so an episode with no steps cannot carry them",
            file=file,
            episode=i,
            field="terminations",
            expected="terminated=False and truncated=False for a 0-step episode",
            found=f"terminated={traj.terminated}, truncated={traj.truncated}",
        )
    group = f.create_group(f"episode_{i}", track_order=True)
    group.attrs["id"] = i
    group.attrs["total_steps"] = steps
    terminations = np.zeros(steps, dtype=bool)
    truncations = np.zeros(steps, dtype=bool)
    if steps:
        terminations[-1] = traj.terminated
        truncations[-1] = traj.truncated
    rewards = np.zeros(steps, dtype=np.float64) if traj.rews is None else traj.rews
    nodes: dict[str, Any] = {
        "observations": traj.obs,
        "actions": traj.acts,
        "rewards": rewards,
        "terminations": terminations,
        "truncations": truncations,
    }
    if traj.infos:
        nodes["infos"] = dict(traj.infos)
    if traj.extras:
        nodes["extras"] = dict(traj.extras)
    for name, value in nodes.items():
        _write_node(group, name, value, file, i)
    if traj.rews is None:
        group["rewards"].attrs[PLACEHOLDER_ATTR] = True


def _write_node(group: h5py.Group, name: str, value: Any, file: Path, episode: int) -> None:
    if is_dict(value):
        sub = group.create_group(name, track_order=True)
        for key, item in value.items():
            _write_node(sub, str(key), item, file, episode)
        return
    try:
        group.create_dataset(name, data=value)
    except (TypeError, ValueError) as err:
        raise DatasetError(
            f"HDF5 cannot store this array: {err}",
            file=file,
            episode=episode,
            field=f"{group.name}/{name}".split("/", 2)[-1],
            found=f"dtype {np.asarray(value).dtype}",
        ) from None


def _infer_tree_space(value: Any) -> spaces.Space[Any]:
    if is_dict(value):
        return spaces.Dict({k: _infer_tree_space(v) for k, v in value.items()})
    return _infer_space(value)


def _infer_space(arr: np.ndarray) -> spaces.Space[Any]:
    """An unbounded space for data whose metadata names none, for Minari's sake only.

    Minari needs spaces in metadata.json; its HDF5 reader uses them only to walk dict groups and
    to spot JPEG images, so a dtype with no Box of its own (bytes, say) gets a float64 stand-in.
    The "mimetic" key keeps the real answer, None.
    """
    shape = tuple(arr.shape[1:])
    dtype = arr.dtype
    if dtype == np.bool_:
        return spaces.Box(0, 1, shape, np.bool_)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return spaces.Box(int(info.min), int(info.max), shape, dtype.newbyteorder("="))
    if dtype.kind == "f":
        return spaces.Box(-np.inf, np.inf, shape, dtype.newbyteorder("="))
    return spaces.Box(-np.inf, np.inf, shape, np.float64)


def _is_env_spec_json(text: str | None) -> bool:
    """Minari parses env_spec with `EnvSpec.from_json`; only hand it text that looks like one."""
    if not text:
        return False
    try:
        spec = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(spec, dict) and "id" in spec and "entry_point" in spec


# ------------------------------------------------------------------------------------------ read


def read(path: Path) -> Dataset:
    data_dir = _data_dir(path)
    if data_dir is None:
        raise DatasetError(
            "not a Minari dataset", file=path, expected=f"a folder holding data/{MAIN_FILE}", found="none"
        )
    meta_file = data_dir / METADATA_FILE
    main_file = data_dir / MAIN_FILE
    raw = _read_metadata_json(meta_file)
    if raw.get("data_format", "hdf5") != "hdf5":
        raise DatasetError(
            "only Minari's HDF5 storage is supported",
            file=meta_file,
            field="data_format",
            expected="hdf5",
            found=raw.get("data_format"),
        )
    total = raw.get("total_episodes")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise DatasetError(
            "bad episode count", file=meta_file, field="total_episodes", expected="an int >= 0", found=total
        )
    meta = _metadata(raw, meta_file)
    if not main_file.is_file():
        raise DatasetError(
            "missing HDF5 file", file=main_file, expected=f"{MAIN_FILE} next to {METADATA_FILE}"
        )
    image_spaces = _image_spaces(raw, meta_file) if raw.get("jpeg_encoding", True) else {}
    try:
        f = h5py.File(main_file, "r")
    except OSError as err:
        raise DatasetError(f"cannot open HDF5 file (corrupt or truncated?): {err}", file=main_file) from None
    with f:
        root = h5g.open(f.id, b"/")
        episodes = [_read_episode(root, i, main_file, image_spaces) for i in range(total)]
    return Dataset(episodes, meta, path)


def _read_metadata_json(meta_file: Path) -> dict[str, Any]:
    try:
        text = meta_file.read_text()
    except FileNotFoundError:
        raise DatasetError("missing Minari metadata", file=meta_file, expected=f"{METADATA_FILE}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"unreadable Minari metadata: {err}", file=meta_file) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetError(f"metadata is not valid JSON: {err}", file=meta_file, field="metadata") from None
    if not isinstance(raw, dict):
        raise DatasetError(
            "metadata must be a JSON object", file=meta_file, field="metadata", found=type(raw).__name__
        )
    return raw


def _metadata(raw: dict[str, Any], meta_file: Path) -> DatasetMetadata:
    own = raw.get("mimetic")
    if own is not None:
        if not isinstance(own, dict):
            raise DatasetError(
                "bad mimetic metadata", file=meta_file, field="mimetic", expected="a JSON object", found=own
            )
        version = own.get("mimetic_format_version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise DatasetError(
                "written by a newer mimetic; upgrade mimetic to read it",
                file=meta_file,
                field="mimetic/mimetic_format_version",
                expected=f"<= {FORMAT_VERSION}",
                found=version,
            )
        try:
            return metadata_from_dict(own, meta_file)
        except (AttributeError, TypeError, ValueError) as err:
            raise DatasetError(
                f"malformed mimetic metadata: {err}", file=meta_file, field="mimetic"
            ) from None
    env_spec = raw.get("env_spec")
    env_id = None
    if isinstance(env_spec, str):
        try:
            spec = json.loads(env_spec)
        except json.JSONDecodeError:
            spec = None
        env_id = spec.get("id") if isinstance(spec, dict) else None
    return DatasetMetadata(
        observation_space=_space(raw, "observation_space", meta_file),
        action_space=_space(raw, "action_space", meta_file),
        env_id=env_id if isinstance(env_id, str) else None,
        env_spec=env_spec if isinstance(env_spec, str) else None,
        dataset_id=raw.get("dataset_id") if isinstance(raw.get("dataset_id"), str) else None,
        extra={"minari": {k: v for k, v in raw.items() if k not in _DERIVED_KEYS}},
    )


def _space(raw: dict[str, Any], key: str, meta_file: Path) -> spaces.Space[Any] | None:
    value = raw.get(key)
    if value is None:
        return None
    try:
        # Minari stores each space as JSON text inside the JSON; accept a plain object too.
        parsed = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as err:
        raise DatasetError(f"space is not valid JSON: {err}", file=meta_file, field=key) from None
    if not isinstance(parsed, dict):
        raise DatasetError(
            "malformed space",
            file=meta_file,
            field=key,
            expected="a JSON object",
            found=type(parsed).__name__,
        )
    try:
        return space_from_dict(parsed)
    except DatasetError as err:
        raise DatasetError(
            err.message, file=meta_file, field=key, expected=err.expected, found=err.found
        ) from None
    except (AttributeError, TypeError, ValueError) as err:
        raise DatasetError(f"malformed space: {err}", file=meta_file, field=key) from None


def _image_spaces(raw: dict[str, Any], meta_file: Path) -> dict[str, spaces.Box]:
    """Observation leaves that Minari JPEG-encodes (its `is_image_space`), keyed by leaf path.

    Minari decides from metadata.json's own observation_space, so this does too; a leaf that
    turns out to be stored raw is left alone (see `_maybe_decode_jpeg`).
    """
    space = _space(raw, "observation_space", meta_file)
    found: dict[str, spaces.Box] = {}

    def walk(s: spaces.Space[Any], prefix: str) -> None:
        if isinstance(s, spaces.Dict):
            for k, sub in s.spaces.items():
                walk(sub, f"{prefix}/{k}" if prefix else k)
        elif (
            isinstance(s, spaces.Box)
            and len(s.shape) in (2, 3)
            and s.shape[0] >= 32
            and s.shape[1] >= 32
            and s.dtype == np.uint8
            and bool(np.all(s.low == 0))
            and bool(np.all(s.high == 255))
        ):
            found[prefix] = s

    if space is not None:
        walk(space, "")
    return found


@contextmanager
def _at(file: Path, episode: int, field: str | None = None, *, hdf5: bool = True) -> Iterator[None]:
    """Re-raise errors from the body as a `DatasetError` naming file, episode and field.

    `Trajectory`'s own field names (obs, acts, rews) become the HDF5 names a user would look for;
    with `hdf5=True`, h5py's errors (a missing name, a corrupt block) are translated too.
    """
    try:
        yield
    except DatasetError as err:
        name = err.field
        if name is not None:
            head, sep, rest = name.partition("/")
            name = _HDF5_NAMES.get(head, head) + sep + rest
        raise DatasetError(
            err.message,
            file=err.file or file,
            episode=err.episode if err.episode is not None else episode,
            field=name if name is not None else field,
            expected=err.expected,
            found=err.found,
        ) from None
    except (KeyError, OSError, RuntimeError, ValueError, TypeError) as err:
        if not hdf5:
            raise
        if isinstance(err, KeyError):
            raise DatasetError(
                "missing from the HDF5 file", file=file, episode=episode, field=field
            ) from None
        raise DatasetError(f"unreadable HDF5 data: {err}", file=file, episode=episode, field=field) from None


_REQUIRED = (b"observations", b"actions", b"rewards", b"terminations", b"truncations")
_OPTIONAL = (b"infos", b"extras")


def _open(parent: Any, key: bytes) -> Any:
    """`h5o.open`, with a missing name always reported as `KeyError` (h5py varies the type)."""
    try:
        return h5o.open(parent, key)
    except (KeyError, ValueError, OSError, RuntimeError):
        if key not in parent:
            raise KeyError(key.decode()) from None
        raise


def _read_episode(root: Any, i: int, file: Path, image_spaces: dict[str, spaces.Box]) -> Trajectory:
    with _at(file, i, f"episode_{i}"):
        group = _open(root, f"episode_{i}".encode())
        if not isinstance(group, h5g.GroupID):
            raise DatasetError("must be a group", expected="a group per episode", found="an array")
    nodes: dict[str, Any] = {}
    for key in _REQUIRED + _OPTIONAL:
        name = key.decode()
        if key in _OPTIONAL and key not in group:
            nodes[name] = {}
            continue
        with _at(file, i, name):
            obj = _open(group, key)
            if (
                key == b"rewards"
                and isinstance(obj, h5d.DatasetID)
                and h5a.exists(obj, PLACEHOLDER_ATTR.encode())
            ):
                nodes["no_rewards"] = True
            nodes[name] = _read_node(obj, name, image_spaces if key == b"observations" else {})
    for name in ("actions", "rewards", "terminations", "truncations"):
        if is_dict(nodes[name]):
            raise DatasetError("must be an array, not a group", file=file, episode=i, field=name)
    for name in ("infos", "extras"):
        if not is_dict(nodes[name]):
            raise DatasetError("must be a group of arrays, not one array", file=file, episode=i, field=name)
    terms, truncs = nodes["terminations"], nodes["truncations"]
    with _at(file, i, hdf5=False):
        traj = Trajectory(
            obs=nodes["observations"],
            acts=nodes["actions"],
            rews=None if nodes.get("no_rewards") else nodes["rewards"],
            terminated=bool(terms.reshape(-1)[-1]) if terms.size else False,
            truncated=bool(truncs.reshape(-1)[-1]) if truncs.size else False,
            infos=nodes["infos"],
            extras=nodes["extras"],
        )
    steps = len(traj)
    for name, flags in (("terminations", terms), ("truncations", truncs)):
        if flags.shape != (steps,):
            raise DatasetError(
                "one flag per action", file=file, episode=i, field=name, expected=(steps,), found=flags.shape
            )
        early = np.flatnonzero(flags[:-1])
        if early.size:
            raise DatasetError(
                "an episode may only end at its last step (split the episode there)",
                file=file,
                episode=i,
                field=name,
                expected=f"only step {steps - 1} flagged",
                found=f"step {int(early[0])} of {steps} flagged",
            )
    return traj


def _read_node(obj: Any, name: str, image_spaces: dict[str, spaces.Box], prefix: str = "") -> Any:
    """Read a dataset, or a group of them as a dict, each array with one read of the whole of it."""
    if isinstance(obj, h5g.GroupID):
        out = {}
        for key in obj:
            sub = key.decode()
            out[sub] = _read_node(_open(obj, key), name, image_spaces, f"{prefix}/{sub}" if prefix else sub)
        return out
    if not isinstance(obj, h5d.DatasetID):
        raise DatasetError("not an array or a group", field=f"{name}/{prefix}" if prefix else name)
    arr = _read_array(obj)
    if name == "observations" and prefix in image_spaces:
        arr = _maybe_decode_jpeg(arr, image_spaces[prefix], f"{name}/{prefix}" if prefix else name)
    return arr


_MEMORY_TYPES: dict[np.dtype[Any], Any] = {}


def _read_array(did: h5d.DatasetID) -> np.ndarray:
    dtype = did.dtype
    shape = did.shape
    if dtype.kind in "biufc" and dtype.fields is None and shape is not None:
        out = np.empty(shape, dtype)
        if out.size:
            # What `h5py.Dataset.__getitem__` does for a whole read, minus its per-call overhead;
            # the memory type is cached because building it costs as much as a small read.
            mtype = _MEMORY_TYPES.get(dtype)
            if mtype is None:
                mtype = _MEMORY_TYPES[dtype] = h5t.py_create(dtype)
            did.read(h5s.ALL, h5s.ALL, out, mtype)
        return out
    # Strings, variable-length bytes (Minari's JPEG frames), compound types: h5py's general path.
    value = h5py.Dataset(did)[()]
    if not isinstance(value, np.ndarray):
        raise DatasetError("expected an array", found=type(value).__name__)
    return value


def _maybe_decode_jpeg(arr: np.ndarray, space: spaces.Box, field: str) -> np.ndarray:
    """Decode Minari's JPEG frames (variable or fixed-length byte rows) as Minari does, with Pillow."""
    if arr.dtype != object and tuple(arr.shape[1:]) == tuple(space.shape):
        return arr  # stored raw
    try:
        from PIL import Image
    except ImportError:
        raise DatasetError(
            "JPEG-encoded images need Pillow (pip install pillow)", field=field, found="JPEG frames"
        ) from None
    frames = []
    try:
        for row in arr:
            frames.append(
                np.array(Image.open(io.BytesIO(np.asarray(row, np.uint8).tobytes())), dtype=np.uint8)
            )
        return np.stack(frames) if frames else np.empty((0, *space.shape), np.uint8)
    except (OSError, ValueError) as err:
        raise DatasetError(f"cannot decode JPEG frame {len(frames)}: {err}", field=field) from None


FORMAT = register(Format(name="minari", detect=detect, read=read, write=write, is_dir=True))
