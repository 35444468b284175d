"""Shared by the benchmark scripts: run a grid of `mimetic train` runs as one `mimetic sweep`.

A benchmark writes its grid as a sweep spec (a dict here, YAML on disk beside the runs), runs it
through `mimetic.sweep.run_sweep` (Ray when installed, else one process per trial) and then reads
each trial's run directory: `metrics.jsonl` (the eval lines, with the training clocks
`train_s`/`train_cpu_s`), `trial.json` (wall-clock and CPU seconds of the whole trial) and
`policy/`. The run directories are the source of truth, so with `--work-dir` a rerun skips every
finished trial and an interrupted benchmark resumes where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mimetic.sweep.run import run_sweep
from mimetic.sweep.spec import Trial, load_spec
from mimetic.sweep.trial import TRIAL_FILE


@dataclass(frozen=True)
class Run:
    """One finished trial of a grid."""

    trial: Trial
    run_dir: Path

    @property
    def params(self) -> dict[str, Any]:
        return self.trial.params

    def metrics(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in (self.run_dir / "metrics.jsonl").read_text().splitlines() if x]

    def evals(self) -> list[dict[str, Any]]:
        """The eval lines of `metrics.jsonl`, in step order."""
        return [r for r in self.metrics() if "eval/return_mean" in r]

    def record(self) -> dict[str, Any]:
        """`trial.json`: attempts, wall-clock and CPU seconds of the trial's last attempt."""
        data: dict[str, Any] = json.loads((self.run_dir / TRIAL_FILE).read_text())
        return data


def add_sweep_args(parser: argparse.ArgumentParser, max_concurrent: int | None) -> None:
    """--backend, --max-concurrent and --work-dir, the same in every benchmark script."""
    parser.add_argument(
        "--backend", choices=["auto", "ray", "sequential"], default="auto", help="the sweeps' backend"
    )
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=max_concurrent,
        help=f"trials at once (default {max_concurrent or 'one per core'})",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="keep the sweeps' run directories here; a rerun skips finished trials (default: a temporary folder)",
    )


def sweep_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"backend": args.backend, "max_concurrent": args.max_concurrent, "show_progress": False}


@contextlib.contextmanager
def work_dir(args: argparse.Namespace) -> Iterator[Path]:
    """`--work-dir` when given (kept), else a temporary folder removed at the end."""
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        yield args.work_dir.resolve()
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("MIMETIC_BENCH_TMP")) as tmp:
        yield Path(tmp).resolve()


def run_grid(spec: dict[str, Any], out: Path, options: dict[str, Any]) -> list[Run]:
    """Write `spec` to `out/<out.name>.yaml` (its `out` is that folder), run it, return every trial.

    A trial that fails stops the benchmark with its error: a table with a hole would mislead."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump({"name": out.name, "out": ".", **spec}, sort_keys=False))
    loaded = load_spec(path)
    result = run_sweep(loaded, say=False, **options)
    if result.failed:
        first = result.failed[0]
        raise SystemExit(
            f"{path}: {len(result.failed)} trials failed; first: {first.trial.key}: {first.error}"
        )
    print(f"{out.name}: {len(result.ran)} trials ran, {result.skipped} were already finished", flush=True)
    return [Run(trial, loaded.out / trial.key) for trial in loaded.trials()]
