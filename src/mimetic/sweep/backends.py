"""Where trials run: on Ray (local by default, or a cluster by address), or one after another.

Ray is the scheduler; mimetic adds no scheduling of its own. Each trial is a Ray task asking for
one CPU, so Ray runs as many at once as there are cores (or `max_concurrent`). A task whose worker
process dies is retried by Ray (`max_retries`), and the retried trial resumes from its last
checkpoint (`mimetic.sweep.trial`). Without Ray, trials run one after another, each in its own
process, restarted with `--resume` when the process is killed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mimetic.sweep.spec import Trial
from mimetic.sweep.trial import TRIAL_FILE

THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Outcome:
    trial: Trial
    record: dict[str, Any] | None
    error: str | None = None


Done = Callable[[Outcome], None]


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def run_sequential(trials: list[Trial], out: Path, retries: int, on_done: Done) -> list[Outcome]:
    """Each trial in a fresh process, one at a time; a killed process is restarted with --resume."""
    outcomes = []
    env = {**os.environ, **THREAD_ENV}
    for trial in trials:
        run_dir = out / trial.key
        outcome = Outcome(trial, None, "not run")
        for _ in range(retries + 1):
            proc = subprocess.run(
                [sys.executable, "-m", "mimetic.sweep.trial", json.dumps(trial.to_json()), str(run_dir)],
                env=env,
                capture_output=True,
                text=True,
            )
            if proc.returncode == 0:
                outcome = Outcome(trial, json.loads((run_dir / TRIAL_FILE).read_text()))
                break
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            outcome = Outcome(trial, None, lines[-1] if lines else f"exit code {proc.returncode}")
            if proc.returncode > 0:
                break  # the trial itself failed (bad flags, bad data): running it again will not help
            # a negative code is a signal (SIGKILL, out of memory): go on from the last checkpoint
        outcomes.append(outcome)
        on_done(outcome)
    return outcomes


def _ray_trial(trial_json: dict[str, Any], run_dir: str) -> dict[str, Any]:
    import ray

    from mimetic.sweep.trial import run_trial

    node = ray.get_runtime_context().get_node_id()
    return run_trial(Trial.from_json(trial_json), run_dir, node=node)


def run_ray(
    trials: list[Trial],
    out: Path,
    retries: int,
    on_done: Done,
    *,
    address: str | None = None,
    max_concurrent: int | None = None,
) -> list[Outcome]:
    """All trials as Ray tasks of one CPU each, at most `max_concurrent` in flight."""
    import ray
    from ray.exceptions import RayError, RayTaskError

    init: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": logging.WARNING,
        "runtime_env": {"env_vars": THREAD_ENV},
    }
    if address is None:
        ray.init(num_cpus=os.cpu_count() or 1, **init)
    else:
        ray.init(address=address, **init)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=False)(_ray_trial)
        limit = max_concurrent or max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue, outcomes = list(trials), []
        pending: dict[Any, Trial] = {}
        while queue or pending:
            while queue and len(pending) < limit:
                trial = queue.pop(0)
                pending[task.remote(trial.to_json(), str(out / trial.key))] = trial
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                trial = pending.pop(ref)
                try:
                    outcome = Outcome(trial, ray.get(ref))
                except RayTaskError as err:
                    outcome = Outcome(trial, None, str(err.cause) if err.cause is not None else str(err))
                except RayError as err:  # the worker died more often than `retries` allows
                    outcome = Outcome(trial, None, f"{type(err).__name__}: {str(err).splitlines()[0]}")
                outcomes.append(outcome)
                on_done(outcome)
        return outcomes
    finally:
        ray.shutdown()
