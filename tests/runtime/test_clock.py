"""The training clocks and counters in `metrics.jsonl`: time in the learner, without evaluation."""

from __future__ import annotations

import json
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from mimetic.runtime.trainer import Trainer, TrainerConfig


class _SlowLearner:
    """A learner whose every update takes a known time; its policy is never used."""

    policy = None

    def __init__(self) -> None:
        self.counters = {"events": 0}

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        return {}

    def update(self, batch: dict[str, Any]) -> dict[str, float]:
        time.sleep(0.002)
        self.counters["events"] += 3
        return {"loss": 0.0, "events": float(self.counters["events"])}

    def modules(self) -> dict[str, Any]:
        return {}

    def optimizers(self) -> dict[str, Any]:
        return {}

    def validation_loss(self) -> float | None:
        return None


def test_train_clock_counts_setup_and_updates_but_not_evaluation(tmp_path: Path) -> None:
    def slow_eval(policy: Any) -> dict[str, Any]:
        time.sleep(0.05)
        return {"return_mean": 1.0}

    config = TrainerConfig(
        steps=40,
        log_every=10,
        eval_every=10,
        checkpoint_every=0,
        progress=False,
        tensorboard=False,
        report=False,
    )
    trainer = Trainer(
        _SlowLearner(), config, tmp_path / "run", evaluate_fn=slow_eval, setup_clock=(1.5, 0.25)
    )
    trainer.train()
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in lines if "eval/return_mean" in r]
    assert [r["step"] for r in evals] == [10, 20, 30, 40]
    # counters are logged as they stand, not averaged over the 10 steps like losses (that would be 16.5)
    assert [r["events"] for r in evals] == [30, 60, 90, 120]
    train_s = [r["train_s"] for r in evals]
    # setup (1.5 s) plus 10 updates of >= 2 ms per line; the four 50 ms evaluations are left out
    assert train_s[0] >= 1.5 + 0.02 and all(b - a >= 0.02 for a, b in pairwise(train_s))
    assert all(b - a < 0.045 for a, b in pairwise(train_s))
    assert evals[-1]["wall_s"] >= 0.2 + 0.08  # the loop's own clock includes evaluation
    assert evals[0]["train_cpu_s"] >= 0.25 and evals[-1]["train_cpu_s"] < 0.25 + 0.04  # sleeping uses no CPU
