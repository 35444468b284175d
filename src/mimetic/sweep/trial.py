"""Run one trial of a sweep: a `mimetic train` run in its own folder, resumed if it was cut short.

The run folder is the single source of truth. A finished trial holds `trial.json` (written
atomically after training returns); a started one holds the run's `config.json` and checkpoints, so
a retry continues it with `--resume`; each attempt appends a line to `attempts.jsonl` (process id,
host, Ray node, start time), which is how a retry, or a test, can tell what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from mimetic.sweep.spec import Trial, cli_command

TRIAL_FILE = "trial.json"
ATTEMPTS_FILE = "attempts.jsonl"
LOG_FILE = "trial.log"


class TrialError(RuntimeError):
    """The trial's `mimetic train` exited with an error (bad flags, bad data); retrying will not help."""


def is_finished(run_dir: Path) -> bool:
    return (run_dir / TRIAL_FILE).is_file()


def run_trial(trial: Trial, run_dir: str | Path, node: str | None = None) -> dict[str, Any]:
    """Train `trial` in `run_dir` (resuming what is there) and return its `trial.json` record."""
    import torch

    torch.set_num_threads(1)  # one trial per core: parallelism comes from running trials side by side
    run_dir = Path(run_dir)
    if is_finished(run_dir):
        return dict(json.loads((run_dir / TRIAL_FILE).read_text()))
    run_dir.mkdir(parents=True, exist_ok=True)
    resume = (run_dir / "config.json").is_file()
    attempt = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "node": node,
        "resume": resume,
        "started_unix": time.time(),
    }
    with (run_dir / ATTEMPTS_FILE).open("a") as f:
        f.write(json.dumps(attempt) + "\n")
    if resume:
        argv = [*cli_command(trial.algorithm), "--run-dir", str(run_dir), "--resume", "--no-progress"]
        if trial.steps is not None:
            argv += ["--steps", str(trial.steps)]
    else:
        argv = [*cli_command(trial.algorithm), *trial.argv, "--run-dir", str(run_dir)]
    start, cpu_start = time.perf_counter(), time.process_time()
    rc = _run_cli(argv, run_dir / LOG_FILE)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if rc != 0:
        tail = (run_dir / LOG_FILE).read_text().strip().splitlines()[-1:] or ["(no output)"]
        raise TrialError(f"{trial.key}: `mimetic {' '.join(argv)}` exited {rc}: {tail[0]}")
    attempts = len((run_dir / ATTEMPTS_FILE).read_text().splitlines())
    record = {
        **trial.to_json(),
        "run_dir": str(run_dir),
        "wall_s_last_attempt": round(wall, 3),
        "cpu_s_last_attempt": round(cpu, 3),
        "attempts": attempts,
        "node": node,
        "finished_unix": time.time(),
    }
    tmp = run_dir / f".{TRIAL_FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, run_dir / TRIAL_FILE)  # a trial counts as finished only once this exists whole
    return record


def _run_cli(argv: list[str], log: Path) -> int:
    """`mimetic ARGV` in this process, its output appended to `log`."""
    from mimetic.cli import main

    with log.open("a") as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
        f.write(f"$ mimetic {' '.join(argv)}\n")
        f.flush()
        return main(argv)


def main() -> None:
    """Entry point of the process-per-trial runner: `python -m mimetic.sweep.trial TRIAL_JSON RUN_DIR`."""
    import sys

    trial = Trial.from_json(json.loads(sys.argv[1]))
    try:
        run_trial(trial, sys.argv[2])
    except TrialError as err:
        print(err, file=sys.stderr)
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
