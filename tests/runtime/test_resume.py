"""The resume-determinism test: SIGKILL a run after a checkpoint, resume, match an uninterrupted run bitwise."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import mimetic
from mimetic.experts import collect, scripted_expert
from mimetic.runtime import ResumeError, TrainerConfig, train

REPO = Path(__file__).resolve().parents[2]
STEPS = 600
CHECKPOINT_EVERY = 100

# The job a subprocess runs; the same arguments train the reference run in this process.
JOB = f"""
import sys, torch
torch.set_num_threads(1)
from mimetic.policies import PolicyConfig
from mimetic.runtime import TrainerConfig, train
policy, dataset, run_dir = sys.argv[1:4]
net = PolicyConfig(hidden_sizes=(32, 32), d_model=16, num_heads=2, num_layers=1, seq_len=4)
trainer = TrainerConfig(steps={STEPS}, seed=3, log_every=50, eval_every=300, eval_episodes=2,
                        checkpoint_every={CHECKPOINT_EVERY}, progress=False)
train("bc", dataset, env_id="CartPole-v1", run_dir=run_dir, policy=policy, net=net, trainer=trainer,
      valid_fraction=0.25)
"""


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = collect(scripted_expert("CartPole-v1"), "CartPole-v1", 4, seed=0)
    return mimetic.save(ds, tmp_path_factory.mktemp("data") / "cartpole.npz", format="npz")


def _run(policy: str, dataset: Path, run_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", JOB, policy, str(dataset), str(run_dir)], env=env, cwd=REPO
    )


def _final_weights(run_dir: Path) -> dict[str, torch.Tensor]:
    ckpt = run_dir / "checkpoints" / f"step_{STEPS}"
    return {**load_file(str(ckpt / "modules.safetensors")), **load_file(str(ckpt / "optimizers.safetensors"))}


# The transformer uses dropout, so torch's RNG state must survive the kill too.
@pytest.mark.parametrize("policy", ["discrete", "transformer"])
def test_sigkill_then_resume_is_bitwise_equal(policy: str, dataset_path: Path, tmp_path: Path) -> None:
    reference = _run(policy, dataset_path, tmp_path / "reference")
    killed_dir = tmp_path / "killed"
    proc = _run(policy, dataset_path, killed_dir)
    first = killed_dir / "checkpoints" / f"step_{CHECKPOINT_EVERY}"
    deadline = time.monotonic() + 120
    while not first.exists():
        assert proc.poll() is None, "the job ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed_dir / "checkpoints" / f"step_{STEPS}").exists(), "killed too late to test anything"
    assert reference.wait() == 0

    resumed = train("bc", run_dir=killed_dir, resume=True)
    assert resumed.summary["steps"] == STEPS

    expected, got = _final_weights(tmp_path / "reference"), _final_weights(killed_dir)
    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key
    ref_policy = load_file(str(tmp_path / "reference" / "policy" / "policy.safetensors"))
    new_policy = load_file(str(killed_dir / "policy" / "policy.safetensors"))
    assert all(torch.equal(ref_policy[k], new_policy[k]) for k in ref_policy)

    # metrics.jsonl has each step once, and the eval history matches the reference run
    steps = [json.loads(line)["step"] for line in (killed_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps))
    ref_eval = json.loads((tmp_path / "reference" / "eval.json").read_text())
    new_eval = json.loads((killed_dir / "eval.json").read_text())
    assert [h["return_mean"] for h in ref_eval["history"]] == [h["return_mean"] for h in new_eval["history"]]


def test_fresh_run_refuses_a_used_run_dir(dataset_path: Path, tmp_path: Path) -> None:
    trainer = TrainerConfig(steps=2, eval_every=0, checkpoint_every=1, progress=False)
    train("bc", dataset_path, run_dir=tmp_path, policy="discrete", trainer=trainer)
    with pytest.raises(ResumeError, match="already holds a run"):
        train("bc", dataset_path, run_dir=tmp_path, policy="discrete", trainer=trainer)


def test_resume_without_a_run_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ResumeError, match="no config.json"):
        train("bc", run_dir=tmp_path, resume=True)


def test_resume_before_the_first_checkpoint_starts_over(dataset_path: Path, tmp_path: Path) -> None:
    trainer = TrainerConfig(steps=20, eval_every=0, checkpoint_every=10, log_every=5, progress=False)
    reference = train("bc", dataset_path, run_dir=tmp_path / "a", policy="discrete", trainer=trainer)
    run = tmp_path / "b"
    train("bc", dataset_path, run_dir=run, policy="discrete", trainer=trainer)
    # make it look killed at step 7: no checkpoints, a partial log with a cut-off last line
    for ckpt in (run / "checkpoints").iterdir():
        ckpt.rename(run / "checkpoints" / f".tmp_{ckpt.name}_1")
    (run / "metrics.jsonl").write_text('{"step": 5, "loss": 1.0}\n{"step": 1')
    resumed = train("bc", run_dir=run, resume=True)
    assert not list((run / "checkpoints").glob(".tmp_*"))
    for key, value in reference.policy.state_dict().items():
        assert torch.equal(value, resumed.policy.state_dict()[key]), key
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [
        5,
        10,
        15,
        20,
    ]
