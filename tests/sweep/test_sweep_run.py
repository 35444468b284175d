"""Sweeps end to end: every cell, retries of killed trials, resumed sweeps, and a two-node Ray cluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mimetic
from mimetic.experts import collect, scripted_expert
from mimetic.sweep import load_spec, run_sweep
from mimetic.sweep.trial import ATTEMPTS_FILE, TRIAL_FILE

ray = pytest.importorskip("ray")

SEEDS = [0, 1]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_DISABLE_USAGE_STATS": "1"}


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demos") / "cartpole.npz"
    mimetic.save(collect(scripted_expert("CartPole-v1"), "CartPole-v1", 5, seed=0), path, format="npz")
    return path


def _spec(tmp_path: Path, demos: Path, steps: int = 200, checkpoint_every: int = 100) -> Path:
    """BC (from 5 demonstrations) and DAgger (scripted expert) on CartPole-v1, 2 seeds: 4 trials."""
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"""
name: tiny
out: runs
algorithms: [bc, dagger]
envs: [CartPole-v1]
seeds: {SEEDS}
dataset: {demos}
steps: {steps}
args: {{eval-every: {steps}, eval-episodes: 3, checkpoint-every: {checkpoint_every}}}
algorithm_args:
  bc: {{policy: discrete}}
  dagger: {{expert: scripted, labels: 300, initial-labels: 100, labels-per-round: 100, updates-per-round: 50}}
"""
    )
    return path


def _attempts(run_dir: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run_dir / ATTEMPTS_FILE).read_text().splitlines()]


def _kill_when_checkpointed(run_dir: Path, proc: subprocess.Popen[str], timeout: float = 240.0) -> int:
    """SIGKILL the process training in `run_dir` once it has written a checkpoint; return its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list((run_dir / "checkpoints").glob("step_*")) and (run_dir / ATTEMPTS_FILE).is_file():
            pid = int(_attempts(run_dir)[-1]["pid"])  # type: ignore[call-overload]
            os.kill(pid, signal.SIGKILL)
            return pid
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"{run_dir} never checkpointed (sweep exit code {proc.poll()})")


def _sweep_process(spec: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "mimetic.cli", "sweep", str(spec), "--no-progress", *extra]
    return subprocess.Popen(cmd, env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sequential_sweep_fills_every_cell(tmp_path: Path, demos: Path) -> None:
    spec = load_spec(_spec(tmp_path, demos))
    result = run_sweep(spec, backend="sequential", show_progress=False, say=False)
    assert result.backend == "sequential" and not result.failed and result.skipped == 0
    table = json.loads(result.paths["json"].read_text())
    assert len(table["rows"]) == 4 and all(r["finished"] for r in table["rows"])
    assert [c["seeds"] for c in table["cells"]] == [2, 2]
    assert all(c["return_mean"] is not None for c in table["cells"])
    assert (
        result.paths["png"].stat().st_size > 0
        and "| dagger | CartPole-v1 | - | 2 |" in result.paths["md"].read_text()
    )
    # what the table says is what the run folders hold
    one = spec.out / "dagger/CartPole-v1/seed-1"
    ret = json.loads((one / "eval.json").read_text())["last"]["return_mean"]
    assert [r["return"] for r in table["rows"] if r["key"] == "dagger/CartPole-v1/seed-1"] == [ret]
    record = json.loads((one / TRIAL_FILE).read_text())
    assert record["cpu_s_last_attempt"] > 0 and record["wall_s_last_attempt"] > 0


def test_ray_retries_a_killed_trial_and_finishes_every_cell(tmp_path: Path, demos: Path) -> None:
    spec_path = _spec(tmp_path, demos, steps=600, checkpoint_every=50)
    target = tmp_path / "runs" / "bc/CartPole-v1/seed-0"
    proc = _sweep_process(spec_path, "--max-concurrent", "2")
    killed = _kill_when_checkpointed(target, proc)
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out
    attempts = _attempts(target)
    assert len(attempts) == 2 and attempts[0]["pid"] == killed and attempts[1]["resume"] is True
    table = json.loads((tmp_path / "runs" / "sweep.json").read_text())
    assert table["finished"] == 4 and [c["seeds"] for c in table["cells"]] == [2, 2]
    assert all(r["node"] for r in table["rows"])  # ran as Ray tasks


def test_sequential_backend_restarts_a_killed_trial(tmp_path: Path, demos: Path) -> None:
    spec_path = _spec(tmp_path, demos, steps=600, checkpoint_every=50)
    target = tmp_path / "runs" / "bc/CartPole-v1/seed-0"
    proc = _sweep_process(spec_path, "--backend", "sequential")
    _kill_when_checkpointed(target, proc)
    out, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, out
    assert [a["resume"] for a in _attempts(target)] == [False, True]


def test_interrupted_sweep_reruns_nothing_that_finished(tmp_path: Path, demos: Path) -> None:
    spec_path = _spec(tmp_path, demos)
    first = tmp_path / "runs" / "bc/CartPole-v1/seed-0"
    cmd = [
        sys.executable,
        "-m",
        "mimetic.cli",
        "sweep",
        str(spec_path),
        "--no-progress",
        "--backend",
        "sequential",
    ]
    proc = subprocess.Popen(cmd, env=ENV, start_new_session=True)
    deadline = time.monotonic() + 240
    while not (first / "trial.json").is_file() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and the trial it was running
    proc.wait()
    finished_before = {p.parent for p in (tmp_path / "runs").rglob("trial.json")}
    assert first in finished_before and len(finished_before) < 4
    stamps = {d: (d / "trial.json").stat().st_mtime_ns for d in finished_before}

    result = run_sweep(load_spec(spec_path), backend="sequential", show_progress=False, say=False)
    assert result.skipped == len(finished_before) and not result.failed
    assert {o.trial.key for o in result.ran}.isdisjoint(
        {str(d.relative_to(tmp_path / "runs")) for d in finished_before}
    )
    assert all((d / "trial.json").stat().st_mtime_ns == t for d, t in stamps.items())
    assert len(_attempts(first)) == 1
    assert json.loads(result.paths["json"].read_text())["finished"] == 4


def test_sweep_runs_on_a_two_node_ray_cluster(tmp_path: Path, demos: Path) -> None:
    """`--address` of a running cluster: a head and a second node, both on this machine (Ray's
    `cluster_utils.Cluster` starts real raylets, as `ray start --head` / `ray start --address` would)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        proc = _sweep_process(_spec(tmp_path, demos, steps=200), "--address", cluster.address)
        out, _ = proc.communicate(timeout=400)
        assert proc.returncode == 0, out
        rows = json.loads((tmp_path / "runs" / "sweep.json").read_text())["rows"]
        assert len(rows) == 4 and all(r["finished"] for r in rows)
        assert len({r["node"] for r in rows}) == 2  # both nodes ran trials
    finally:
        cluster.shutdown()
