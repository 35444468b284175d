"""LeRobot v3: a directory of parquet tables (state and action features; videos and images are not read).

Layout, as LeRobot v3.0 writes it (`lerobot/datasets/utils.py`):
    meta/info.json                              codebase_version "v3.0", fps, robot_type, totals, chunks_size,
                                                data_files_size_in_mb, data_path, features, splits; plus a
                                                "mimetic" key: the DatasetMetadata and the column layout
    meta/tasks.parquet                          one row per task: task_index, task (the pandas index)
    meta/episodes/chunk-000/file-000.parquet    one row per episode: episode_index, tasks, length,
                                                dataset_from_index, dataset_to_index, data/chunk_index,
                                                data/file_index, meta/episodes/chunk_index, meta/episodes/file_index;
                                                mimetic adds mimetic.terminated, mimetic.truncated, the
                                                final observation, mimetic.final_observation.<key> (and
                                                mimetic.final_infos.<key>), and mimetic.no_rewards when only
                                                some episodes have rewards (the others store zeros)
    meta/stats.json                             min, max, mean, std, count of observation.*, action, next.reward
    data/chunk-000/file-000.parquet             one row per frame: index, episode_index, frame_index,
                                                timestamp, task_index, observation.state (or observation.<key>
                                                for dict observations), action, next.reward, next.done,
                                                mimetic.extras.<key>, mimetic.infos.<key>

A LeRobot frame is an (observation_t, action_t) pair, so an episode of T steps is T frames; the final
observation (row T) lives in the episodes table rather than as a fake frame. `next.done` is True at the
last frame of a terminated episode. Per-step values of shape () and (1,) are scalar columns (LeRobot
stores shape-(1,) features so); shape (k,) is a fixed-size list column, and higher ranks nested
fixed-size lists. Dtypes are kept exactly (float32 stays float32, bool stays bool), and the exact
per-step shape of every column is recorded in info.json["mimetic"]["layout"]. Nested dict keys and
extras/infos keys are joined with "." in column names (LeRobot forbids "/").

mimetic writes every episode to one data file; `total_tasks` is 1 (the env id, or "default"); fps and
robot_type come from metadata.extra["lerobot"] when present (fps defaults to 30).

Reading a dataset mimetic did not write (no "mimetic" key): every `observation.*` feature that is not
an image, video or string becomes an observation (the array itself when `observation.state` is the only
one, else a dict keyed by the part after "observation."); `action` the actions; `next.reward` the
rewards; every other numeric column except LeRobot's bookkeeping (index, episode_index, frame_index,
timestamp, task_index) an extra, under its column name. Such a dataset has no final observation, so
an episode of T frames gives T observations and T-1 actions (the last action is dropped) and is
marked truncated. fps, robot_type, codebase_version and the task strings go to
metadata.extra["lerobot"], and info.json splits ("0:N") become masks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError
from mimetic.data.formats import Format, register
from mimetic.data.formats.common import (
    Columns,
    dataset_from_columns,
    metadata_from_dict,
    metadata_to_dict,
    to_columns,
)
from mimetic.data.trajectory import Trajectory

CODEBASE_VERSION = "v3.0"
DEFAULT_FPS = 30
CHUNKS_SIZE = 1000
DATA_FILES_SIZE_IN_MB = 100
VIDEO_FILES_SIZE_IN_MB = 500
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
INFO_PATH = "meta/info.json"
TASKS_PATH = "meta/tasks.parquet"
STATS_PATH = "meta/stats.json"

_BOOKKEEPING = ("index", "episode_index", "frame_index", "timestamp", "task_index")
_NOT_NUMERIC_FEATURES = ("image", "video", "string")


def detect(path: Path) -> bool:
    """A directory with meta/info.json, or with both meta/ and data/ (a LeRobot dataset missing its info)."""
    if not path.is_dir():
        return False
    return (path / INFO_PATH).is_file() or ((path / "meta").is_dir() and (path / "data").is_dir())


# --------------------------------------------------------------------------- write


def write(ds: Dataset, path: Path) -> None:
    episodes_in, no_rewards = _fill_missing_rewards(ds.episodes)
    cols = to_columns(episodes_in)
    lengths = cols.lengths
    num_episodes, num_frames = len(lengths), int(lengths.sum())
    step_ends = np.cumsum(lengths)
    step_starts = step_ends - lengths
    final_rows = np.cumsum(lengths + 1) - 1
    frame_rows = np.ones(num_frames + num_episodes, dtype=bool)
    frame_rows[final_rows] = False

    frames: dict[str, np.ndarray] = {}
    finals: dict[str, np.ndarray] = {}
    layout: dict[str, dict[str, Any]] = {}
    for field, arr in [*cols.per_obs.items(), *cols.per_step.items()]:
        column = _frame_column(field)
        if column in layout:
            raise DatasetError(
                "two fields map to the same LeRobot column",
                file=path,
                field=field,
                expected="keys that stay distinct when '/' becomes '.'",
                found=f"{layout[column]['field']} and {field} -> {column}",
            )
        entry: dict[str, Any] = {"field": field, "shape": list(arr.shape[1:])}
        if field in cols.per_obs:
            entry["final"] = _final_column(column)
            frames[column] = arr[frame_rows]
            finals[entry["final"]] = arr[final_rows]
        else:
            frames[column] = arr
        layout[column] = entry

    lerobot_extra = ds.metadata.extra.get("lerobot")
    lerobot_extra = lerobot_extra if isinstance(lerobot_extra, Mapping) else {}
    fps = int(lerobot_extra.get("fps") or DEFAULT_FPS)
    episode_of_frame = np.repeat(np.arange(num_episodes, dtype=np.int64), lengths)
    frame_index = np.arange(num_frames, dtype=np.int64) - np.repeat(step_starts, lengths)
    done = np.zeros(num_frames, dtype=bool)
    nonempty = lengths > 0
    done[step_ends[nonempty] - 1] = cols.terminated[nonempty]
    frames["next.done"] = done
    frames["timestamp"] = (frame_index / fps).astype(np.float32)
    frames["frame_index"] = frame_index
    frames["episode_index"] = episode_of_frame
    frames["index"] = np.arange(num_frames, dtype=np.int64)
    frames["task_index"] = np.zeros(num_frames, dtype=np.int64)

    task = ds.metadata.env_id or "default"
    zeros = np.zeros(num_episodes, dtype=np.int64)
    episodes: dict[str, Any] = {
        "episode_index": pa.array(np.arange(num_episodes, dtype=np.int64)),
        "tasks": pa.array([[task]] * num_episodes, type=pa.list_(pa.string())),
        "length": pa.array(lengths.astype(np.int64)),
        "data/chunk_index": pa.array(zeros),
        "data/file_index": pa.array(zeros),
        "dataset_from_index": pa.array(step_starts.astype(np.int64)),
        "dataset_to_index": pa.array(step_ends.astype(np.int64)),
        "meta/episodes/chunk_index": pa.array(zeros),
        "meta/episodes/file_index": pa.array(zeros),
        "mimetic.terminated": pa.array(cols.terminated),
        "mimetic.truncated": pa.array(cols.truncated),
    }
    if no_rewards is not None:
        episodes["mimetic.no_rewards"] = pa.array(no_rewards)
    episodes.update({name: _to_arrow(arr, name, path) for name, arr in finals.items()})

    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": lerobot_extra.get("robot_type"),
        "total_episodes": num_episodes,
        "total_frames": num_frames,
        "total_tasks": 1,
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": DATA_FILES_SIZE_IN_MB,
        "video_files_size_in_mb": VIDEO_FILES_SIZE_IN_MB,
        "fps": fps,
        "splits": {"train": f"0:{num_episodes}"},
        "data_path": DATA_PATH,
        "video_path": None,
        "features": {name: _feature(arr) for name, arr in frames.items()},
        "mimetic": {**metadata_to_dict(ds.metadata), "layout": {"columns": layout}},
    }

    path.mkdir(parents=True)
    data_file = path / DATA_PATH.format(chunk_index=0, file_index=0)
    episodes_file = path / EPISODES_PATH.format(chunk_index=0, file_index=0)
    data_file.parent.mkdir(parents=True)
    episodes_file.parent.mkdir(parents=True)
    pq.write_table(pa.table({name: _to_arrow(arr, name, path) for name, arr in frames.items()}), data_file)
    pq.write_table(pa.table(episodes), episodes_file)
    pq.write_table(_tasks_table([task]), path / TASKS_PATH)
    (path / INFO_PATH).write_text(json.dumps(info, indent=4))
    (path / STATS_PATH).write_text(json.dumps(_stats(frames), indent=4))


def _fill_missing_rewards(episodes: Sequence[Trajectory]) -> tuple[Sequence[Trajectory], np.ndarray | None]:
    """When only some episodes have rewards, give the others zeros and flag them (mimetic.no_rewards)."""
    has = np.array([t.rews is not None for t in episodes])
    if has.all() or not has.any():
        return episodes, None
    dtype = next(t.rews.dtype for t in episodes if t.rews is not None)
    filled = [t if t.rews is not None else replace(t, rews=np.zeros(len(t), dtype)) for t in episodes]
    return filled, ~has


def _frame_column(field: str) -> str:
    if field == "obs":
        return "observation.state"
    if field == "acts":
        return "action"
    if field == "rews":
        return "next.reward"
    for prefix, column in (
        ("obs/", "observation."),
        ("extras/", "mimetic.extras."),
        ("infos/", "mimetic.infos."),
    ):
        if field.startswith(prefix):
            return column + field[len(prefix) :].replace("/", ".")
    raise DatasetError("no LeRobot column for this field", field=field)  # to_columns makes no other fields


def _final_column(column: str) -> str:
    if column.startswith("observation."):
        return "mimetic.final_observation." + column[len("observation.") :]
    return "mimetic.final_" + column[len("mimetic.") :]


def _to_arrow(arr: np.ndarray, name: str, path: Path) -> pa.Array:
    """Scalar column for per-row shape () or (1,), else (nested) fixed-size lists of the flat values."""
    rows, shape = arr.shape[0], arr.shape[1:]
    try:
        if shape in ((), (1,)):
            return pa.array(arr.reshape(rows))
        if 0 in shape:
            raise DatasetError(
                "zero-sized per-step arrays cannot be stored", file=path, field=name, found=arr.shape
            )
        out = pa.array(np.ascontiguousarray(arr).reshape(-1))
        for size in reversed(shape):
            out = pa.FixedSizeListArray.from_arrays(out, int(size))
        return out
    except (pa.ArrowException, TypeError, ValueError) as err:
        raise DatasetError(
            f"cannot store as a parquet column: {err}", file=path, field=name, found=arr.dtype
        ) from None


def _feature(arr: np.ndarray) -> dict[str, Any]:
    return {"dtype": str(arr.dtype), "shape": list(arr.shape[1:]) or [1], "names": None}


def _stats(frames: Mapping[str, np.ndarray]) -> dict[str, dict[str, list[Any]]]:
    """LeRobot's normalization statistics (min, max, mean, std, count) for the numeric features."""
    out = {}
    for name, arr in frames.items():
        wanted = name.startswith("observation.") or name in ("action", "next.reward")
        if not wanted or arr.shape[0] == 0 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            continue
        values = arr.astype(np.float64)
        out[name] = {
            "min": np.atleast_1d(values.min(axis=0)).tolist(),
            "max": np.atleast_1d(values.max(axis=0)).tolist(),
            "mean": np.atleast_1d(values.mean(axis=0)).tolist(),
            "std": np.atleast_1d(values.std(axis=0)).tolist(),
            "count": [int(arr.shape[0])],
        }
    return out


def _tasks_table(tasks: Sequence[str]) -> pa.Table:
    """tasks.parquet as LeRobot writes it with pandas: a task_index column indexed by the task string."""
    pandas_meta = {
        "index_columns": ["task"],
        "column_indexes": [
            {
                "name": None,
                "field_name": None,
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            }
        ],
        "columns": [
            {
                "name": "task_index",
                "field_name": "task_index",
                "pandas_type": "int64",
                "numpy_type": "int64",
                "metadata": None,
            },
            {
                "name": "task",
                "field_name": "task",
                "pandas_type": "unicode",
                "numpy_type": "object",
                "metadata": None,
            },
        ],
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.2.3",
    }
    table = pa.table(
        {"task_index": pa.array(np.arange(len(tasks), dtype=np.int64)), "task": pa.array(list(tasks))}
    )
    return table.replace_schema_metadata({b"pandas": json.dumps(pandas_meta).encode()})


# --------------------------------------------------------------------------- read


def read(path: Path) -> Dataset:
    info_file = path / INFO_PATH
    info = _read_info(info_file)
    version = str(info.get("codebase_version", ""))
    if not version.startswith("v3"):
        raise DatasetError(
            "unsupported LeRobot dataset version",
            file=info_file,
            field="codebase_version",
            expected="v3.x",
            found=version or "none",
        )
    episodes_files = sorted((path / "meta" / "episodes").glob("*/*.parquet"))
    if not episodes_files:
        raise DatasetError(
            "no episode tables", file=path / "meta" / "episodes", expected="chunk-*/file-*.parquet"
        )
    data_files = sorted((path / "data").glob("*/*.parquet"))
    if not data_files:
        raise DatasetError("no data files", file=path / "data", expected="chunk-*/file-*.parquet")

    mimetic = info.get("mimetic")
    layout = mimetic.get("layout", {}).get("columns") if isinstance(mimetic, dict) else None

    episodes = _read_tables(episodes_files, None)
    episodes_where = episodes_files[0] if len(episodes_files) == 1 else path / "meta" / "episodes"
    starts, ends = _episode_ranges(episodes, episodes_where)
    wanted = list(layout) if layout is not None else _foreign_columns(info, data_files[0])
    wanted_in_files = wanted + [c for c in ("index", "episode_index") if c not in wanted]
    data = _read_tables(data_files, wanted_in_files, optional=("index", "episode_index"))
    data_where = data_files[0] if len(data_files) == 1 else path / "data"
    frames = _frames(data, wanted, starts, ends, data_where, layout)

    if layout is not None:
        cols = _mimetic_columns(frames, episodes, layout, starts, ends, episodes_where)
        meta = metadata_from_dict(mimetic, info_file)  # type: ignore[arg-type]
    else:
        cols = _foreign_columns_to_episodes(frames, starts, ends, episodes_where)
        meta = _foreign_metadata(info, path, len(starts))
    ds = dataset_from_columns(cols, meta, path)
    if layout is not None and "mimetic.no_rewards" in episodes:
        no_rewards = _column(episodes["mimetic.no_rewards"], "mimetic.no_rewards", episodes_where).astype(
            bool
        )
        ds = Dataset(
            [replace(t, rews=None) if flag else t for t, flag in zip(ds, no_rewards, strict=True)], meta, path
        )
    return ds


def _read_info(info_file: Path) -> dict[str, Any]:
    if not info_file.is_file():
        raise DatasetError(
            "missing LeRobot info file", file=info_file, expected="meta/info.json", found="none"
        )
    try:
        info = json.loads(info_file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(f"unreadable info.json: {err}", file=info_file) from None
    if not isinstance(info, dict):
        raise DatasetError("info.json must be a JSON object", file=info_file, found=type(info).__name__)
    return info


def _read_table(file: Path, columns: Sequence[str] | None, optional: Sequence[str] = ()) -> pa.Table:
    """Read `columns` (all when None) of one parquet file; a missing one is an error unless `optional`.

    `ParquetFile.read` gives one chunk per row group, which numpy can view without a copy
    (`pq.read_table` splits columns into batches that would have to be concatenated).
    """
    try:
        with pq.ParquetFile(file) as pf:
            present = pf.schema_arrow.names
            names = list(present) if columns is None else list(columns)
            missing = [n for n in names if n not in present and n not in optional]
            if missing:
                raise DatasetError(
                    "missing column",
                    file=file,
                    field=", ".join(missing),
                    expected=missing,
                    found=sorted(present),
                )
            return pf.read(columns=[n for n in names if n in present])
    except (OSError, pa.ArrowException) as err:
        raise DatasetError(f"corrupt or truncated parquet file: {err}", file=file) from None


def _schema(file: Path) -> pa.Schema:
    try:
        return pq.read_schema(file)
    except (OSError, pa.ArrowException) as err:
        raise DatasetError(f"corrupt or truncated parquet file: {err}", file=file) from None


def _read_tables(
    files: Sequence[Path], columns: Sequence[str] | None, optional: Sequence[str] = ()
) -> dict[str, list[pa.Array]]:
    """The columns of every file, in file order, as lists of chunks (all columns when `columns` is None).

    A missing column is an error, except an `optional` one, which is dropped unless every file has it.
    """
    out: dict[str, list[pa.Array]] = {}
    seen: dict[str, int] = {}
    for file in files:
        table = _read_table(file, columns, optional)
        for name in table.column_names:
            out.setdefault(name, []).extend(table.column(name).chunks)
            seen[name] = seen.get(name, 0) + 1
    return {name: chunks for name, chunks in out.items() if seen[name] == len(files)}


def _episode_ranges(episodes: dict[str, list[pa.Array]], where: Path) -> tuple[np.ndarray, np.ndarray]:
    """Each episode's [start, end) frame range, checked; sorts `episodes` by episode_index in place."""
    for name in ("dataset_from_index", "dataset_to_index"):
        if name not in episodes:
            raise DatasetError("missing column", file=where, field=name, found=sorted(episodes))
    starts = _column(episodes["dataset_from_index"], "dataset_from_index", where).astype(np.int64)
    ends = _column(episodes["dataset_to_index"], "dataset_to_index", where).astype(np.int64)
    if len(starts) == 0:
        raise DatasetError("no episodes", file=where, field="episode_index", expected=">= 1 row", found=0)
    order = None
    if "episode_index" in episodes:
        index = _column(episodes["episode_index"], "episode_index", where).astype(np.int64)
        if not np.array_equal(index, np.arange(len(index))):
            order = np.argsort(index, kind="stable")
            if not np.array_equal(index[order], np.arange(len(index))):
                raise DatasetError(
                    "episode indices must be 0..E-1, each once",
                    file=where,
                    field="episode_index",
                    expected=f"0..{len(index) - 1}",
                    found=index[order][:10].tolist(),
                )
            starts, ends = starts[order], ends[order]
    for i in np.flatnonzero(ends < starts)[:1]:
        raise DatasetError(
            "episode ends before it starts",
            file=where,
            episode=int(i),
            field="dataset_to_index",
            expected=f">= {starts[i]}",
            found=int(ends[i]),
        )
    if "length" in episodes:
        length = _column(episodes["length"], "length", where).astype(np.int64)
        if order is not None:
            length = length[order]
        for i in np.flatnonzero(length != ends - starts)[:1]:
            raise DatasetError(
                "episode length does not match its frame range",
                file=where,
                episode=int(i),
                field="length",
                expected=f"{ends[i] - starts[i]} (dataset_to_index - dataset_from_index)",
                found=int(length[i]),
            )
    if order is not None:
        for name, chunks in episodes.items():
            episodes[name] = [pa.chunked_array(chunks).combine_chunks().take(pa.array(order))]
    return starts, ends


def _foreign_columns(info: Mapping[str, Any], file: Path) -> list[str]:
    """The data columns to read from a dataset mimetic did not write (named by the first data file)."""
    schema = _schema(file)
    features = info.get("features") if isinstance(info.get("features"), dict) else {}
    columns = []
    for field in schema:
        feature = features.get(field.name) if features else None
        if isinstance(feature, dict) and feature.get("dtype") in _NOT_NUMERIC_FEATURES:
            continue
        if field.name in _BOOKKEEPING or not _numeric(field.type):
            continue
        columns.append(field.name)
    if "action" not in columns:
        raise DatasetError(
            "missing column",
            file=file,
            field="action",
            expected="a numeric 'action' column",
            found=schema.names,
        )
    if not any(_is_obs_column(c) for c in columns):
        raise DatasetError(
            "missing column",
            file=file,
            field="observation.state",
            expected="numeric observation.* columns",
            found=schema.names,
        )
    return columns


def _numeric(t: pa.DataType) -> bool:
    while pa.types.is_fixed_size_list(t) or pa.types.is_list(t) or pa.types.is_large_list(t):
        t = t.value_type
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _is_obs_column(name: str) -> bool:
    return name == "observation" or name.startswith("observation.")


class _RowError(Exception):
    def __init__(self, row: int, message: str, found: object) -> None:
        super().__init__(message)
        self.row, self.message, self.found = row, message, found


def _column(
    chunks: Sequence[pa.Array],
    name: str,
    where: Path,
    shape: Sequence[int] | None = None,
    episode_of: Callable[[int], int | None] | None = None,
) -> np.ndarray:
    """Chunks of one column as a numpy array (rows, *per-row shape), without Python loops over rows."""
    parts, offset = [], 0
    for chunk in chunks:
        try:
            parts.append(_chunk_to_numpy(chunk))
        except _RowError as err:
            row = offset + err.row
            raise DatasetError(
                err.message,
                file=where,
                episode=None if episode_of is None else episode_of(row),
                field=name,
                found=f"{err.found} at row {row}",
            ) from None
        offset += len(chunk)
    nonempty = [p for p in parts if p.shape[0]]
    if len(nonempty) == 1:
        arr = nonempty[0]
    elif nonempty:
        try:
            arr = np.concatenate(nonempty)
        except ValueError as err:
            raise DatasetError(
                f"files disagree on the column's shape or type: {err}", file=where, field=name
            ) from None
    elif parts:
        arr = parts[0]
    else:
        arr = np.zeros(0)
    if shape is not None:
        try:
            arr = arr.reshape((arr.shape[0], *shape))
        except ValueError:
            raise DatasetError(
                "column does not have the recorded shape",
                file=where,
                field=name,
                expected=list(shape),
                found=list(arr.shape[1:]),
            ) from None
    return arr


def _chunk_to_numpy(arr: pa.Array) -> np.ndarray:
    rows, dims, outer = len(arr), [], 1
    while (
        pa.types.is_fixed_size_list(arr.type)
        or pa.types.is_list(arr.type)
        or pa.types.is_large_list(arr.type)
    ):
        if arr.null_count:
            raise _RowError(_first_null(arr) // outer, "missing values", "null")
        if pa.types.is_fixed_size_list(arr.type):
            size = arr.type.list_size
        else:
            sizes = np.diff(np.asarray(arr.offsets))
            size = int(sizes[0]) if len(sizes) else 0
            bad = np.flatnonzero(sizes != size)
            if len(bad):
                raise _RowError(
                    int(bad[0]) // outer, "lists of different lengths", f"lengths {size} and {sizes[bad[0]]}"
                )
        arr = arr.flatten()
        dims.append(size)
        outer *= size
    if arr.null_count:
        raise _RowError(_first_null(arr) // max(outer, 1), "missing values", "null")
    if pa.types.is_boolean(arr.type) or pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        values = arr.to_numpy(zero_copy_only=False)
    else:
        raise _RowError(0, "not a numeric column", arr.type)
    return values.reshape((rows, *dims))


def _first_null(arr: pa.Array) -> int:
    return int(np.flatnonzero(~np.asarray(arr.is_valid()))[0])


def _frames(
    data: Mapping[str, list[pa.Array]],
    wanted: Sequence[str],
    starts: np.ndarray,
    ends: np.ndarray,
    where: Path,
    layout: Mapping[str, Any] | None,
) -> dict[str, np.ndarray]:
    """The wanted columns as numpy, rows in episode order (sorted by `index`, checked against the ranges)."""

    def episode_of(row: int) -> int | None:
        hits = np.flatnonzero((starts <= row) & (row < ends))
        return int(hits[0]) if len(hits) else None

    frames = {
        name: _column(data[name], name, where, None if layout is None else layout[name]["shape"], episode_of)
        for name in wanted
    }
    total = next(iter(frames.values())).shape[0]
    for name, arr in frames.items():
        if arr.shape[0] != total:
            raise DatasetError(
                "columns have different lengths", file=where, field=name, expected=total, found=arr.shape[0]
            )
    episode_index = None
    if "episode_index" in data:
        episode_index = _column(data["episode_index"], "episode_index", where).astype(np.int64)
    rows = None
    if "index" in data:
        index = _column(data["index"], "index", where).astype(np.int64)
        if not np.array_equal(index, np.arange(total)):
            rows = np.argsort(index, kind="stable")
            if not np.array_equal(index[rows], np.arange(total)):
                raise DatasetError(
                    "frame indices must be 0..N-1, each once",
                    file=where,
                    field="index",
                    expected=f"0..{total - 1}",
                    found=index[rows][:10].tolist(),
                )
    for i in np.flatnonzero((starts < 0) | (ends > total))[:1]:
        raise DatasetError(
            "episode frame range lies outside the data",
            file=where,
            episode=int(i),
            field="dataset_to_index",
            expected=f"a range within [0, {total}]",
            found=f"[{starts[i]}, {ends[i]})",
        )
    if not (starts[0] == 0 and ends[-1] == total and np.array_equal(starts[1:], ends[:-1])):
        # Episodes do not tile the frames in order: gather each one's range (copies, but only here).
        ranges = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        rows = ranges if rows is None else rows[ranges]
    if rows is not None:
        frames = {k: v[rows] for k, v in frames.items()}
        episode_index = None if episode_index is None else episode_index[rows]
    if episode_index is not None:
        expected = np.repeat(np.arange(len(starts), dtype=np.int64), ends - starts)
        for r in np.flatnonzero(episode_index != expected)[:1]:
            raise DatasetError(
                "frame belongs to another episode than its range says",
                file=where,
                episode=int(expected[r]),
                field="episode_index",
                expected=int(expected[r]),
                found=int(episode_index[r]),
            )
    return frames


def _mimetic_columns(
    frames: Mapping[str, np.ndarray],
    episodes: Mapping[str, list[pa.Array]],
    layout: Mapping[str, Any],
    starts: np.ndarray,
    ends: np.ndarray,
    where: Path,
) -> Columns:
    lengths = ends - starts
    count = len(lengths)
    final_rows = np.cumsum(lengths + 1) - 1
    frame_rows = np.ones(int(lengths.sum()) + count, dtype=bool)
    frame_rows[final_rows] = False
    per_obs, per_step = {}, {}
    for column, entry in layout.items():
        arr = frames[column]
        if "final" not in entry:
            per_step[entry["field"]] = arr
            continue
        final_name = entry["final"]
        if final_name not in episodes:
            raise DatasetError("missing column (the final observation)", file=where, field=final_name)
        final = _column(episodes[final_name], final_name, where, entry["shape"])
        if final.shape[0] != count or final.dtype != arr.dtype:
            raise DatasetError(
                "final observation column does not match the episodes",
                file=where,
                field=final_name,
                expected=f"{count} rows of {arr.dtype}",
                found=f"{final.shape[0]} rows of {final.dtype}",
            )
        merged = np.empty((arr.shape[0] + count, *arr.shape[1:]), dtype=arr.dtype)
        merged[frame_rows] = arr
        merged[final_rows] = final
        per_obs[entry["field"]] = merged
    flags = {}
    for name in ("mimetic.terminated", "mimetic.truncated"):
        if name not in episodes:
            raise DatasetError("missing column", file=where, field=name)
        flags[name] = _column(episodes[name], name, where).astype(bool)
    return Columns(
        lengths=lengths,
        terminated=flags["mimetic.terminated"],
        truncated=flags["mimetic.truncated"],
        per_obs=per_obs,
        per_step=per_step,
    )


def _foreign_columns_to_episodes(
    frames: Mapping[str, np.ndarray], starts: np.ndarray, ends: np.ndarray, where: Path
) -> Columns:
    frame_counts = ends - starts
    for i in np.flatnonzero(frame_counts < 1)[:1]:
        raise DatasetError(
            "an episode needs at least one frame",
            file=where,
            episode=int(i),
            field="length",
            expected=">= 1",
            found=0,
        )
    last = np.cumsum(frame_counts) - 1
    step_rows = np.ones(int(frame_counts.sum()), dtype=bool)
    step_rows[last] = False  # the last action has no next observation: dropped (see module doc)
    obs_columns = [c for c in frames if _is_obs_column(c)]
    array_obs = obs_columns in (["observation.state"], ["observation"])
    per_obs, per_step = {}, {}
    for column, arr in frames.items():
        if _is_obs_column(column):
            key = "obs" if array_obs else "obs/" + column.removeprefix("observation.")
            per_obs[key] = arr
        elif column == "action":
            per_step["acts"] = arr[step_rows]
        elif column == "next.reward":
            per_step["rews"] = arr[step_rows]
        else:
            per_step[f"extras/{column}"] = arr[step_rows]
    count = len(frame_counts)
    return Columns(
        lengths=frame_counts - 1,
        terminated=np.zeros(count, dtype=bool),
        truncated=np.ones(count, dtype=bool),
        per_obs=per_obs,
        per_step=per_step,
    )


def _foreign_metadata(info: Mapping[str, Any], path: Path, count: int) -> DatasetMetadata:
    masks = {}
    splits = info.get("splits")
    if isinstance(splits, dict):
        for name, value in splits.items():
            lo, sep, hi = str(value).partition(":")
            if sep and lo.strip().isdigit() and hi.strip().isdigit() and int(lo) <= int(hi) <= count:
                masks[str(name)] = list(range(int(lo), int(hi)))
    lerobot = {
        "codebase_version": info.get("codebase_version"),
        "fps": info.get("fps"),
        "robot_type": info.get("robot_type"),
        "tasks": _read_tasks(path / TASKS_PATH),
    }
    return DatasetMetadata(masks=masks, extra={"lerobot": lerobot})


def _read_tasks(file: Path) -> list[str]:
    """Task strings in task_index order; [] when there is no tasks table."""
    if not file.is_file():
        return []
    table = _read_table(file, None)
    text = next((c for c in ("task", "__index_level_0__") if c in table.column_names), None)
    if text is None or "task_index" not in table.column_names:
        raise DatasetError(
            "tasks table needs task and task_index columns", file=file, field="task", found=table.column_names
        )
    tasks = table.column(text).to_pylist()
    order = _column(table.column("task_index").chunks, "task_index", file)
    return [str(tasks[i]) for i in np.argsort(order, kind="stable")]


FORMAT = register(Format(name="lerobot", detect=detect, read=read, write=write, is_dir=True))
