"""Benchmark: what one env step of the off-policy adversarial loop costs, part by part, on Pendulum-v1.

    python benchmarks/adversarial_step_cost.py [--steps 4000] [--rounds 3]

The adversarial overhead of `benchmarks/adversarial.py` (a whole run's CPU seconds over SAC alone's)
moves 10-15% from run to run on this machine, as much as the choices it is used to compare. This
script times the same learners in one process, interleaved: each round builds and runs SAC alone
(the env's reward), DAC, and off-policy AIRL with h at 32x32 and at g's 100x100, one after the other,
each for the same env steps (the warm-up included, as in a run). Besides each run's CPU seconds it
splits the time of every update into the discriminator step, the SAC update, and the rest (the env
step, replay sampling and the discriminator's relabelling of the SAC minibatch). The ratio to SAC
alone is taken within each round, so a slow spell of the machine hits both sides of it.

Demonstrations: the anchors' Pendulum-v1 expert file (`anchors.dataset`), as in the adversarial
benchmark. Writes benchmarks/results/adversarial_step_cost.json and its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mimetic.algorithms import ALGORITHMS  # noqa: E402
from mimetic.data.dataset import Dataset  # noqa: E402

torch.set_num_threads(1)
import anchors  # noqa: E402
from docs_section import atomic_write_text, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "adversarial_step_cost.json"
DOC = ROOT / "docs" / "benchmarks.md"
TASK = "Pendulum-v1"
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "SAC alone": ("sac", {}),
    "DAC": ("dac", {}),
    "AIRL-SAC, h 32x32": ("airl-sac", {"h_hidden_sizes": (32, 32)}),
    "AIRL-SAC, h 100x100": ("airl-sac", {"h_hidden_sizes": (100, 100)}),
}
"""Name: (registered algorithm, config fields over its preset)."""


class PartTimer:
    """CPU seconds spent inside one method of one object, wrapped in place for a measurement."""

    def __init__(self, owner: Any, method: str) -> None:
        self.seconds = 0.0
        inner: Callable[..., Any] = getattr(owner, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - start

        setattr(owner, method, timed)


def time_variant(
    algorithm: str, overrides: dict[str, Any], demos: Dataset, steps: int, seed: int
) -> dict[str, float]:
    """One learner's `steps` env steps (sample, then update), with its parts' CPU seconds."""
    algo = ALGORITHMS.get(algorithm)
    config = dataclasses.replace(algo.default_config(TASK), **overrides)
    learner = algo.build(
        demos if getattr(algo, "needs_dataset", True) else None, config, env_id=TASK, seed=seed
    )
    sac = PartTimer(learner.core, "update")
    disc = PartTimer(learner.fit, "step") if hasattr(learner, "fit") else None
    rng = np.random.default_rng(seed)
    updates = 0
    start = time.process_time()
    for _ in range(steps):
        batch = learner.sample(rng)
        updates += batch is not None
        learner.update(batch)
    total = time.process_time() - start
    disc_s = disc.seconds if disc is not None else 0.0
    per_update = 1000.0 / max(updates, 1)
    return {
        "cpu_s": total,
        "updates": updates,
        "sac_ms": sac.seconds * per_update,
        "disc_ms": disc_s * per_update,
        "rest_ms": (total - sac.seconds - disc_s) * per_update,
    }


def summarize(rounds: list[dict[str, dict[str, float]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in VARIANTS:
        runs = [r[name] for r in rounds]
        ratios = [r[name]["cpu_s"] / r["SAC alone"]["cpu_s"] for r in rounds]
        out[name] = {
            "cpu_s": [run["cpu_s"] for run in runs],
            "ratio_to_sac": ratios,
            "mean_ratio": statistics.fmean(ratios),
            **{k: statistics.fmean(run[k] for run in runs) for k in ("sac_ms", "disc_ms", "rest_ms")},
        }
    return out


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- adversarial_step_cost:start -->", "<!-- adversarial_step_cost:end -->"
    lines = [
        start,
        "## The off-policy adversarial loop, step by step",
        "",
        f"Command: `{result['command']}` · date {result['date']} · {result['machine']}, one torch thread; "
        # CPU seconds rise when other processes share the cores, so the table says how busy they were
        f"load average at the end {[round(x, 2) for x in result['load_average']]} (1, 5, 15 min).",
        f"{TASK}, {result['steps']:,} env steps per run ({result['updates']:,} updates after the warm-up), "
        f"{result['rounds']} interleaved rounds (round r: every learner with seed r, one after another, in one process). "
        "CPU seconds of the whole run; per update, the mean CPU ms of the discriminator step, of the SAC update, "
        "and of the rest (env step, replay sampling, relabelling the SAC minibatch with the discriminator). "
        "The ratio is to SAC alone in the same round.",
        "",
        "| learner | CPU s per round | ratio to SAC alone per round | mean ratio | discriminator ms | SAC ms | rest ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in result["variants"].items():
        lines.append(
            f"| {name} | {' / '.join(f'{s:.1f}' for s in row['cpu_s'])} | "
            f"{' / '.join(f'{r:.2f}' for r in row['ratio_to_sac'])} | {row['mean_ratio']:.2f}x | "
            f"{row['disc_ms']:.2f} | {row['sac_ms']:.2f} | {row['rest_ms']:.2f} |"
        )
    lines.append(end)
    write_section(DOC, start, end, "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=4000, help="env steps per run (warm-up included)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; round r uses seed r")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    args = parser.parse_args()
    if not anchors.demo_file(TASK).is_file():
        sys.exit(
            f"{anchors.demo_file(TASK)}: no {TASK} demonstrations (this benchmark reads ../shared/anchors)"
        )
    demos = anchors.dataset(TASK)  # read once: every learner of every round gets the same demonstrations
    rounds: list[dict[str, dict[str, float]]] = []
    for r in range(args.rounds):
        rounds.append({})
        for name, (algorithm, overrides) in VARIANTS.items():
            rounds[-1][name] = time_variant(algorithm, overrides, demos, args.steps, seed=r)
            print(f"round {r} {name}: {rounds[-1][name]['cpu_s']:.1f} CPU s", flush=True)
    result = {
        "command": "python benchmarks/adversarial_step_cost.py"
        + (f" --steps {args.steps}" if args.steps != 4000 else "")
        + (f" --rounds {args.rounds}" if args.rounds != 3 else ""),
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}",
        "steps": args.steps,
        "rounds": args.rounds,
        "updates": int(rounds[0]["SAC alone"]["updates"]),
        "load_average": list(os.getloadavg()),
        "variants": summarize(rounds),
    }
    print(json.dumps(result["variants"], indent=1))
    if not args.no_write:
        atomic_write_text(RESULTS, json.dumps(result, indent=1) + "\n")
        write_doc(result)


if __name__ == "__main__":
    sys.exit(main())
