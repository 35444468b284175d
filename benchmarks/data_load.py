"""Benchmark: load 1 million transitions from every format into `Transitions`.

For each format the same dataset (1000 episodes x 1000 steps, HalfCheetah-shaped: 17-dim float32
observations, 6-dim float32 actions, float64 rewards) is written once, then timed two ways in the
same process:
  - mimetic: `mimetic.load(path).transitions()`, the whole user-facing path;
  - raw: the same arrays read with the bare library (numpy, h5py or pyarrow), no validation and no
    episode objects. This is the speed ceiling; the goal is at least 50% of it.
Each timing is the best of `--repeats` runs (the page cache is warm after the first write).

    python benchmarks/data_load.py [--episodes 1000 --steps 1000 --repeats 3]

Writes benchmarks/results/data_load.json and the table in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from docs_section import write_section  # noqa: E402
from gymnasium import spaces  # noqa: E402

import mimetic  # noqa: E402
from mimetic.data import Dataset, DatasetMetadata, Trajectory  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "data_load.json"
DOC = ROOT / "docs" / "benchmarks.md"
OBS_DIM, ACT_DIM = 17, 6


def make_dataset(episodes: int, steps: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    trajs = [
        Trajectory(
            obs=rng.standard_normal((steps + 1, OBS_DIM), dtype=np.float32),
            acts=rng.uniform(-1, 1, (steps, ACT_DIM)).astype(np.float32),
            rews=rng.standard_normal(steps),
            truncated=True,
        )
        for _ in range(episodes)
    ]
    meta = DatasetMetadata(
        observation_space=spaces.Box(-np.inf, np.inf, (OBS_DIM,), np.float32),
        action_space=spaces.Box(-1.0, 1.0, (ACT_DIM,), np.float32),
        env_id="HalfCheetah-v5",
        dataset_id="bench/halfcheetah-synthetic-v0",
        source="benchmarks/data_load.py (random arrays)",
    )
    return Dataset(trajs, meta)


# Raw readers: the same arrays mimetic reads, with the bare library. Each returns bytes read.


def raw_npz(path: Path) -> int:
    with np.load(path) as data:
        return sum(data[k].nbytes for k in data.files)


def _h5_read_all(group: h5py.Group) -> int:
    total = 0
    for item in group.values():
        if isinstance(item, h5py.Group):
            total += _h5_read_all(item)
        else:
            total += item[()].nbytes
    return total


def raw_minari(path: Path) -> int:
    with h5py.File(path / "data" / "main_data.hdf5", "r") as f:
        return _h5_read_all(f)


def raw_robomimic(path: Path) -> int:
    with h5py.File(path, "r") as f:
        return _h5_read_all(f["data"])


def raw_lerobot(path: Path) -> int:
    total = 0
    for file in sorted((path / "data").rglob("*.parquet")):
        table = pq.read_table(file)
        for column in table.columns:
            arr = column.combine_chunks()
            while pa.types.is_fixed_size_list(arr.type) or pa.types.is_list(arr.type):
                arr = arr.flatten()
            total += arr.to_numpy(zero_copy_only=False).nbytes
    return total


FORMATS: dict[str, tuple[str, Callable[[Path], int], str]] = {
    "npz": ("d.npz", raw_npz, "numpy.load"),
    "minari": ("bench/d-v0", raw_minari, "h5py"),
    "robomimic": ("d.hdf5", raw_robomimic, "h5py"),
    "lerobot": ("d-lerobot", raw_lerobot, "pyarrow"),
}


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def transitions_bytes(tr: mimetic.Transitions) -> int:
    total = (
        tr.acts.nbytes + tr.dones.nbytes + tr.terminals.nbytes + (0 if tr.rews is None else tr.rews.nbytes)
    )
    total += tr.obs.nbytes + tr.next_obs.nbytes
    return int(total)


def run(episodes: int, steps: int, repeats: int, formats: list[str]) -> dict[str, Any]:
    ds = make_dataset(episodes, steps)
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("MIMETIC_BENCH_TMP")) as tmp:
        for name in formats:
            rel, raw_fn, raw_lib = FORMATS[name]
            path = Path(tmp) / rel
            write_s, _ = best_of(1, lambda p=path, f=name: mimetic.save(ds, p, format=f))
            size = sum(f.stat().st_size for f in path.rglob("*")) if path.is_dir() else path.stat().st_size
            raw_s, raw_bytes = best_of(repeats, lambda p=path, fn=raw_fn: fn(p))
            load_s, tr = best_of(repeats, lambda p=path: mimetic.load(p).transitions())
            assert len(tr) == episodes * steps
            mb = size / 1e6
            rows.append(
                {
                    "format": name,
                    "transitions": len(tr),
                    "file_mb": round(mb, 1),
                    "write_s": round(write_s, 3),
                    "mimetic_load_s": round(load_s, 3),
                    "mimetic_mb_per_s": round(mb / load_s, 1),
                    "raw_library": raw_lib,
                    "raw_read_s": round(raw_s, 3),
                    "raw_mb_per_s": round(mb / raw_s, 1),
                    "raw_bytes_read_mb": round(raw_bytes / 1e6, 1),
                    "transitions_mb": round(transitions_bytes(tr) / 1e6, 1),
                    "fraction_of_raw_speed": round(raw_s / load_s, 3),
                }
            )
            print(json.dumps(rows[-1]))
            del tr
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return {
        "benchmark": "data_load",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/data_load.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "episodes": episodes,
        "steps_per_episode": steps,
        "repeats": repeats,
        "goal": "mimetic load >= 50% of the raw library's speed",
        "rows": rows,
    }


def write_doc(result: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    start, end = "<!-- data_load:start -->", "<!-- data_load:end -->"
    lines = [
        start,
        "## Data loading: 1M transitions into `Transitions`",
        "",
        f"Command: `{result['command'].strip()}` · date {result['date']} · {result['machine']}.",
        f"{result['episodes']} episodes × {result['steps_per_episode']} steps (17-dim float32 obs, 6-dim float32 "
        f"actions, float64 rewards); best of {result['repeats']}. Raw = the same arrays read with the bare library "
        "in the same run. MB/s are file megabytes per second.",
        "",
        "| format | file MB | write s | mimetic load s | mimetic MB/s | raw library | raw s | raw MB/s | mimetic / raw speed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['format']} | {r['file_mb']} | {r['write_s']} | {r['mimetic_load_s']} | {r['mimetic_mb_per_s']} | "
            f"{r['raw_library']} | {r['raw_read_s']} | {r['raw_mb_per_s']} | {r['fraction_of_raw_speed']:.0%} |"
        )
    lines += [
        "",
        "Raw h5py reads every dataset with `ds[()]`; mimetic's Minari reader uses h5py's low-level read, which "
        "costs less per dataset, and Minari stores one dataset per field per episode, hence more than 100%.",
        "",
        f"Goal: {result['goal']}. Raw JSON: `benchmarks/results/data_load.json`.",
        end,
    ]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=list(FORMATS))
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    args = parser.parse_args()
    result = run(args.episodes, args.steps, args.repeats, args.formats)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)
        print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
