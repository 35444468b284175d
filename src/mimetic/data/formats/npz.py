"""npz: one flat file for quick scripts.

Layout (every key an ordinary array, loadable with `np.load(path)` and no pickle):
    obs or obs/<key>...      concatenated observations, sum(T_i + 1) rows
    acts, rews               concatenated per-step arrays, sum(T_i) rows (rews optional)
    extras/<key>             per-step side channels
    infos/<key>              per-observation env infos
    episode_lengths          T_i for each episode
    terminated, truncated    one flag per episode
    metadata                 JSON text (spaces, env id, source, license, masks)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.data.formats import Format, register
from mimetic.data.formats.common import (
    Columns,
    dataset_from_columns,
    metadata_from_json,
    metadata_to_json,
    to_columns,
)

_REQUIRED = ("episode_lengths", "terminated", "truncated", "acts", "metadata")


def detect(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".npz"


def write(ds: Dataset, path: Path) -> None:
    cols = to_columns(ds.episodes)
    arrays = {
        "episode_lengths": cols.lengths,
        "terminated": cols.terminated,
        "truncated": cols.truncated,
        "metadata": np.array(metadata_to_json(ds.metadata)),
        **cols.per_obs,
        **cols.per_step,
    }
    # np.savez appends ".npz" to names without it; write through a file handle to keep our temp name.
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool


def read(path: Path) -> Dataset:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DatasetError(f"corrupt or truncated npz file: {err}", file=path) from None
    except ValueError as err:  # object arrays need pickle, which we refuse
        raise DatasetError(f"unreadable npz file: {err}", file=path) from None
    missing = [k for k in _REQUIRED if k not in arrays]
    if missing or not any(k == "obs" or k.startswith("obs/") for k in arrays):
        raise DatasetError(
            "missing keys",
            file=path,
            field=", ".join(missing) or "obs",
            expected=list(_REQUIRED) + ["obs"],
            found=sorted(arrays),
        )
    cols = Columns(
        lengths=arrays.pop("episode_lengths"),
        terminated=arrays.pop("terminated"),
        truncated=arrays.pop("truncated"),
        per_obs={k: v for k, v in arrays.items() if k == "obs" or k.startswith(("obs/", "infos/"))},
        per_step={k: v for k, v in arrays.items() if k in ("acts", "rews") or k.startswith("extras/")},
    )
    meta = metadata_from_json(str(arrays["metadata"]), path)
    return dataset_from_columns(cols, meta, path)


FORMAT = register(Format(name="npz", detect=detect, read=read, write=write, is_dir=False))
