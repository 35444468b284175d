"""`run_sweep`: expand the spec, skip finished trials, run the rest, rebuild the results."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mimetic.sweep.backends import Outcome, ray_available, run_ray, run_sequential
from mimetic.sweep.results import trial_row, write_results
from mimetic.sweep.spec import SweepSpec
from mimetic.sweep.trial import is_finished

Backend = Literal["auto", "ray", "sequential"]


class SweepError(RuntimeError):
    """The sweep cannot run as asked (for example Ray is requested but not installed)."""


@dataclass
class SweepResult:
    backend: str
    ran: list[Outcome]
    skipped: int
    paths: dict[str, Path]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.ran if o.record is None]


def run_sweep(
    spec: SweepSpec,
    *,
    backend: Backend = "auto",
    address: str | None = None,
    max_concurrent: int | None = None,
    show_progress: bool = True,
    say: bool = True,
) -> SweepResult:
    """Run every unfinished trial of `spec` and write `sweep.json`, `sweep.md` and `sweep.png`."""
    chosen = _backend(backend, address)
    trials = spec.trials()
    todo = [t for t in trials if not is_finished(spec.out / t.key)]
    spec.out.mkdir(parents=True, exist_ok=True)
    if say:
        note = ""
        if chosen == "sequential" and backend == "auto":
            note = " (install mimetic[ray] to run them in parallel: `pip install mimetic[ray]`)"
        print(
            f"sweep {spec.name}: {len(trials)} trials, {len(trials) - len(todo)} already finished, "
            f"{len(todo)} to run on {chosen}{note}; results in {spec.out}"
        )
    start = time.perf_counter()
    ran = _run(chosen, todo, spec, address, max_concurrent, show_progress)
    wall = time.perf_counter() - start
    rows = [trial_row(t, spec.out / t.key) for t in trials]
    paths = write_results(spec.name, spec.out, rows, wall)
    return SweepResult(chosen, ran, len(trials) - len(todo), paths)


def _backend(backend: Backend, address: str | None) -> str:
    if backend == "sequential":
        if address is not None:
            raise SweepError("--address needs Ray; drop --backend sequential")
        return "sequential"
    if ray_available():
        return "ray"
    if backend == "ray" or address is not None:
        raise SweepError("Ray is not installed; install it with `pip install mimetic[ray]`")
    return "sequential"


def _run(
    backend: str,
    todo: list,
    spec: SweepSpec,
    address: str | None,
    max_concurrent: int | None,
    show_progress: bool,
) -> list[Outcome]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not show_progress or not todo, transient=False) as progress:
        bar = progress.add_task("trials", total=len(todo))

        def done(outcome: Outcome) -> None:
            progress.advance(bar)
            if outcome.record is None:
                progress.console.print(f"[red]failed[/red] {outcome.trial.key}: {outcome.error}")

        if not todo:
            return []
        if backend == "ray":
            return run_ray(todo, spec.out, spec.retries, done, address=address, max_concurrent=max_concurrent)
        return run_sequential(todo, spec.out, spec.retries, done)
