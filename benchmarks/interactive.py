"""Benchmark: interactive imitation (BC, DAgger, HG-DAgger, RLIF) with experts of three qualities.

Three studies, 3 seeds each. The budget and RLIF studies are grids of ordinary `mimetic train
dagger|hg-dagger|rlif` runs, run as `mimetic sweep`s (`benchmarks/grid.py`: Ray when installed, one
trial per core; with --work-dir a rerun skips finished trials); their curves are the eval lines of
each run's metrics.jsonl (one evaluation per round). The anchor study times learners against
imitation's recorded runs, so it runs in this process after a warm-up, as the anchors were timed.
  1. budget: CartPole-v1, Pendulum-v1, Hopper-v5 and Walker2d-v5 with the zoo's policy (PPO / SAC) at quality expert /
     medium / low as the labeller. BC (DAgger with beta = 1 in every round: the expert drives, so
     it is BC on the same number of labels), DAgger (beta_1 = 1, then 0; Ross et al. 2011) and
     HG-DAgger (action-distance gate, 4-step takeovers; Kelly et al. 2019) spend 400 labels in
     rounds of 50 (CartPole), 1000 in rounds of 200 (Pendulum) or 4000 in rounds of 1000 (MuJoCo,
     64x64 nets as everywhere in this study); the policy is evaluated after
     every round (10 episodes, seeds 10000..10009): return against labels.
  2. rlif: CartPole-v1, the zoo's medium and low policies as the intervener, RLIF's value-based
     rule (p = 0.95 / 0.05, 4-step takeovers) on the Q of the zoo expert (fitted by FQE in each
     trial, on the trial's seed), RLIF (Luo et al. 2023; SAC with RLPD sampling and its 10
     LayerNorm critics) for 6000 env steps against HG-DAgger driven by the same rule and
     intervener with 1600 labels (about the expert-driven steps RLIF's takeovers take), and the
     intervener's own return. RLIF's claim:
     it beats the DAgger variants, most of all with suboptimal experts.
  3. anchor: DAgger with 8000 labels on CartPole-v1 (zoo expert) and Pendulum-v1 (scripted expert),
     next to `imitation`'s recorded SimpleDAggerTrainer runs (`../shared/anchors/imitation/`, read
     here only): evaluation with the anchors' own `common/evalproto.py` (20 episodes, seeds
     10000..10019), normalized with their stored expert / random means; wall-clock of learner
     construction + training, as the anchors time it. The anchors used their own SB3 experts
     (CartPole PPO 500, Pendulum SAC -130); ours are the zoo's PPO (500) and the scripted
     Pendulum controller (about -137), so the labellers differ. As imitation does, ours rolls out
     on 8 envs, acting batched, in rounds of one whole episode per env (`ANCHOR_ROUNDS`).

    python benchmarks/interactive.py [--seeds 0 1 2] [--studies budget rlif anchor] [--no-write]
        [--work-dir DIR] [--max-concurrent N] [--backend auto|ray|sequential]

A subset of --studies reruns only those and keeps the others' last results.

Writes benchmarks/results/interactive.json, the interactive section of docs/benchmarks.md with
its plot (docs/img/interactive_budget.png), and the DAgger, HG-DAgger and RLIF rows of docs/papers.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import anchors  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, upsert_row, write_section  # noqa: E402
from grid import Run, add_sweep_args, run_grid, sweep_options, work_dir  # noqa: E402

from mimetic import zoo  # noqa: E402
from mimetic.algorithms.bc import Config as BCConfig  # noqa: E402
from mimetic.algorithms.dagger import Config as DAggerConfig  # noqa: E402
from mimetic.algorithms.dagger import DAggerLearner  # noqa: E402
from mimetic.eval.rollout import evaluate  # noqa: E402
from mimetic.interactive.experts import resolve_expert  # noqa: E402
from mimetic.interactive.reference import has_critic  # noqa: E402
from mimetic.policies import PolicyConfig  # noqa: E402
from mimetic.runtime.seeding import seed_everything  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = anchors.ANCHORS
RESULTS = ROOT / "benchmarks" / "results" / "interactive.json"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "interactive_budget.png"
PLOT_RLIF_MUJOCO = ROOT / "docs" / "img" / "interactive_rlif_mujoco.png"
PAPERS = ROOT / "docs" / "papers.md"
COMMAND = "python benchmarks/interactive.py"
QUALITIES = ("expert", "medium", "low")
SMALL = BCConfig(net=PolicyConfig(hidden_sizes=(64, 64)))
BUDGETS = {
    "CartPole-v1": {
        "initial_labels": 50,
        "labels_per_round": 50,
        "max_labels": 400,
        "updates_per_round": 200,
    },
    "Pendulum-v1": {
        "initial_labels": 200,
        "labels_per_round": 200,
        "max_labels": 1000,
        "updates_per_round": 400,
    },
    "Hopper-v5": {
        "initial_labels": 1000,
        "labels_per_round": 1000,
        "max_labels": 4000,
        "updates_per_round": 500,
    },
    "Walker2d-v5": {
        "initial_labels": 1000,
        "labels_per_round": 1000,
        "max_labels": 4000,
        "updates_per_round": 500,
    },
}
BUDGET = BUDGETS["CartPole-v1"]
HG_MATCHED = {"initial_labels": 200, "labels_per_round": 200, "max_labels": 1600, "updates_per_round": 200}
"""HG-DAgger next to RLIF gets about as many expert-driven steps as RLIF's takeovers take in 6000 env steps."""
ANCHOR_ROUNDS: dict[str, dict[str, int]] = {
    "CartPole-v1": {
        "num_envs": 8,
        "initial_labels": 4_000,
        "labels_per_round": 4_000,
        "updates_per_round": 480,
    },
    "Pendulum-v1": {
        "num_envs": 8,
        "initial_labels": 1_600,
        "labels_per_round": 1_600,
        "updates_per_round": 192,
    },
}
"""Against imitation's DAgger: its 8 envs, and rounds of one whole episode per env (CartPole 500 steps,
Pendulum 200), as its rounds collect complete episodes; 960 gradient steps in all, as before."""
RLIF_STEPS = 6_000
EVAL_EPISODES = 10
MUJOCO = ("Hopper-v5", "Walker2d-v5")
MUJOCO_RLIF_STEPS = 20_000
"""The Hopper-v5 probe with a medium intervener first reached its full 1000-step episodes at 20k env
steps (docs/interactive.md)."""
MUJOCO_RLIF_EVAL_EVERY = 5_000
MUJOCO_RLIF_CRITICS = 2
"""SAC's clipped double-Q, not RLPD's 10: on Hopper-v5 RLIF runs 68 env steps/s with 2 critics and 23
with 10 (2000-step probe), so 3 seeds on both tasks fit in an hour on 2 cores instead of 3.5."""
STUDIES = ("budget", "rlif", "rlif-mujoco", "anchor")
HG_MUJOCO = {"initial_labels": 2000, "labels_per_round": 2000, "max_labels": 14000, "updates_per_round": 1000}
"""HG-DAgger next to MuJoCo RLIF: about the expert-driven steps of RLIF's 20k (the probe: 12.7k)."""


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.pstdev(values) if len(values) > 1 else 0.0)


def _rounds(budget: dict[str, int]) -> int:
    return (budget["max_labels"] - budget["initial_labels"]) // budget["labels_per_round"] + 1


def _round_args(budget: dict[str, int], quiet: bool = True) -> dict[str, Any]:
    """`mimetic train dagger|hg-dagger` flags for a label budget, evaluated after every round; `quiet`
    adds --no-report and --no-tensorboard (off where the sweep's shared args already have them)."""
    flags = {
        "initial-labels": budget["initial_labels"],
        "labels-per-round": budget["labels_per_round"],
        "labels": budget["max_labels"],
        "updates-per-round": budget["updates_per_round"],
        "eval-every": budget["updates_per_round"],
        "checkpoint-every": budget["updates_per_round"],
        "hidden-sizes": ",".join(map(str, SMALL.net.hidden_sizes)),
    }
    return {**flags, "no-report": True, "no-tensorboard": True} if quiet else flags


def _curve(run: Run) -> list[dict[str, float]]:
    """(labels spent, eval return) after every round, from the run's metrics.jsonl."""
    return [{"labels": int(r["labels"]), "return": r["eval/return_mean"]} for r in run.evals()]


def _counters(run: Run) -> dict[str, Any]:
    last = run.metrics()[-1]
    return {
        "labels": int(last["labels"]),
        "interventions": int(last.get("interventions", 0)),
        "env_steps": int(last["env_steps"]),
        "wall_s": run.record()["wall_s_last_attempt"],
    }


def study_budget(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """One sweep per task: {DAgger with beta decay 0 (DAgger) and 1 (BC), HG-DAgger} x labeller x seed."""
    runs = []
    for env_id, budget in BUDGETS.items():
        spec = {
            "algorithms": ["dagger", "hg-dagger"],
            "envs": [env_id],
            "seeds": seeds,
            "steps": _rounds(budget) * budget["updates_per_round"],
            "args": {
                "expert": [f"zoo:{q}" for q in QUALITIES],
                "eval-episodes": EVAL_EPISODES,
                **_round_args(budget),
            },
            "algorithm_args": {
                "dagger": {"beta-decay": [0.0, 1.0]},
                "hg-dagger": {"intervener": "action-distance"},
            },
        }
        for run in run_grid(spec, work / f"budget-{env_id}", options):
            method = run.trial.algorithm
            if method == "dagger" and run.params["beta-decay"] == 1.0:
                method = "bc"
            curve = _curve(run)
            runs.append(
                {
                    "task": env_id,
                    "quality": run.params["expert"].removeprefix("zoo:"),
                    "method": method,
                    "seed": run.trial.seed,
                    "curve": curve,
                    "final_return": curve[-1]["return"],
                    **_counters(run),
                }
            )
            print(
                f"budget {env_id} {runs[-1]['quality']:6s} {method:9s} seed {run.trial.seed}: "
                f"{curve[-1]['return']:.1f}",
                flush=True,
            )
    return runs


def study_rlif(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """RLIF and HG-DAgger under the same value rule (the Q of the zoo expert, fitted by FQE in each
    trial with the trial's seed), with the zoo's medium and low policies intervening."""
    env_id = "CartPole-v1"
    spec = {
        "algorithms": ["rlif", "hg-dagger"],
        "envs": [env_id],
        "seeds": seeds,
        "args": {
            "expert": ["zoo:medium", "zoo:low"],
            "intervener": "value",
            "eval-episodes": 20,
            "no-report": True,
            "no-tensorboard": True,
        },
        "algorithm_args": {
            "rlif": {"steps": RLIF_STEPS, "eval-every": RLIF_STEPS, "checkpoint-every": RLIF_STEPS},
            "hg-dagger": {
                "steps": _rounds(HG_MATCHED) * HG_MATCHED["updates_per_round"],
                **_round_args(HG_MATCHED, quiet=False),
            },
        },
    }
    expert_returns = {
        q: evaluate(resolve_expert(f"zoo:{q}", env_id), env_id, 20, 10_000).mean for q in ("medium", "low")
    }
    runs = []
    for run in run_grid(spec, work / "rlif", options):
        quality = run.params["expert"].removeprefix("zoo:")
        last = run.metrics()[-1]
        row: dict[str, Any] = {
            "method": "rlif" if run.trial.algorithm == "rlif" else "hg-dagger (value rule)",
            "quality": quality,
            "seed": run.trial.seed,
            "final_return": run.evals()[-1]["eval/return_mean"],
            "expert_return": expert_returns[quality],
            "interventions": int(last.get("interventions", 0)),
            "expert_steps": int(last["expert_steps"] if run.trial.algorithm == "rlif" else last["labels"]),
            "env_steps": int(last["env_steps"]),
            "wall_s": run.record()["wall_s_last_attempt"],
        }
        if run.trial.algorithm == "hg-dagger":
            row["curve"] = _curve(run)
        runs.append(row)
        print(f"{row['method']} {quality} seed {run.trial.seed}: {row['final_return']:.1f}", flush=True)
    return runs


def study_rlif_mujoco(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """RLIF and HG-DAgger on Hopper-v5 and Walker2d-v5 under the value rule judged by the zoo's shipped
    SAC agent (`--q-reference zoo`, threshold 0.99; Hopper-v5's is the zoo expert's own critic and actor,
    Walker2d-v5's a rerun that scores above the expert: see its critic.json), with the
    zoo's expert, medium and low policies intervening. One sweep per task and seed, seed-major, so
    that a `--work-dir` rerun after a stop has whole seeds to show."""
    missing = [t for t in MUJOCO if not has_critic(t)]
    if missing:  # without it `--q-reference zoo` would fit a critic by FQE: a different judge
        raise SystemExit(
            f"the zoo ships no reference critic for {', '.join(missing)} (scripts/build_critic.py)"
        )
    runs = []
    for seed, env_id in [(s, e) for s in seeds for e in MUJOCO]:
        spec = {
            "algorithms": ["rlif", "hg-dagger"],
            "envs": [env_id],
            "seeds": [seed],
            "args": {
                "expert": [f"zoo:{q}" for q in QUALITIES],
                "intervener": "value",
                "q-reference": "zoo",
                "eval-episodes": EVAL_EPISODES,
                "no-report": True,
                "no-tensorboard": True,
            },
            "algorithm_args": {
                "rlif": {
                    "steps": MUJOCO_RLIF_STEPS,
                    "critics": MUJOCO_RLIF_CRITICS,
                    "eval-every": MUJOCO_RLIF_EVAL_EVERY,
                    "checkpoint-every": MUJOCO_RLIF_EVAL_EVERY,
                },
                "hg-dagger": {
                    "steps": _rounds(HG_MUJOCO) * HG_MUJOCO["updates_per_round"],
                    **_round_args(HG_MUJOCO, quiet=False),
                },
            },
        }
        for run in run_grid(spec, work / f"rlif-{env_id}-seed{seed}", options):
            quality = run.params["expert"].removeprefix("zoo:")
            last, evals = run.metrics()[-1], run.evals()
            rlif = run.trial.algorithm == "rlif"
            # HG-DAgger's expert-driven steps are its labels
            driven = "expert_steps" if rlif else "labels"
            row: dict[str, Any] = {
                "task": env_id,
                "method": "rlif" if rlif else "hg-dagger (value rule)",
                "quality": quality,
                "seed": seed,
                "final_return": evals[-1]["eval/return_mean"],
                # the zoo's recorded 50-episode return of the intervener
                "expert_return": zoo.entry(env_id, quality).return_mean,
                "interventions": int(last.get("interventions", 0)),
                "expert_steps": int(last[driven]),
                "env_steps": int(last["env_steps"]),
                "wall_s": run.record()["wall_s_last_attempt"],
                "curve": [{"expert_steps": int(r[driven]), "return": r["eval/return_mean"]} for r in evals],
            }
            runs.append(row)
            print(f"{env_id} {row['method']} {quality} seed {seed}: {row['final_return']:.1f}", flush=True)
    return runs


def study_anchor(seeds: list[int]) -> dict[str, Any]:
    ep = anchors.evalproto()  # the anchors' own evaluation protocol

    anchor = json.loads((ANCHORS / "imitation" / "results.json").read_text())
    experts = {"CartPole-v1": "zoo", "Pendulum-v1": "scripted"}
    rows = []
    # One untimed warm-up (imports, the optimizer's first-use setup): the anchors time their runs
    # inside one long process too, after other runs have warmed it.
    warm = DAggerLearner(
        DAggerConfig(expert="scripted", initial_labels=10, max_labels=10, bc=SMALL), "CartPole-v1", 0
    )
    warm.update(warm.sample(np.random.default_rng(0)))
    for task, spec in experts.items():
        ref = anchor["tasks"][task]
        lo, hi = ref["random"]["mean"], ref["expert"]["mean"]
        for seed in seeds:
            seed_everything(seed)
            config = DAggerConfig(expert=spec, max_labels=8_000, bc=SMALL, **ANCHOR_ROUNDS[task])
            started = time.perf_counter()
            learner = DAggerLearner(config, task, seed)
            rng = np.random.default_rng(seed)
            rounds = -(-config.max_labels // config.labels_per_round)
            for _ in range(rounds * config.updates_per_round):
                learner.update(learner.sample(rng))
            wall = time.perf_counter() - started
            policy = learner.policy

            def act(obs: np.ndarray, policy: Any = policy) -> Any:
                action = np.asarray(policy.act(np.asarray(obs)[None])[0])[0]
                return int(action) if action.ndim == 0 else action

            result = ep.evaluate(act, task)
            rows.append(
                {
                    "task": task,
                    "seed": seed,
                    "expert": spec,
                    "labels": learner.counters["labels"],
                    "return": result["mean"],
                    "normalized": (result["mean"] - lo) / (hi - lo),
                    "train_wall_s": round(wall, 2),
                }
            )
            print(f"anchor {task} seed {seed}: {result['mean']:.1f} in {wall:.1f} s", flush=True)
    peers = []
    for task in experts:
        runs = [r for r in anchor["runs"] if r["task"] == task and r["algo"] == "DAgger"]
        norm = [r["normalized"] for r in runs]
        wall = [r["train_wall_s"] for r in runs]
        peers.append(
            {
                "task": task,
                "library": f"imitation {anchor['meta']['versions']['imitation']}",
                "labels": runs[0]["env_steps_learning"] if runs else None,
                "normalized_mean": statistics.fmean(norm),
                "normalized_std": statistics.pstdev(norm),
                "train_wall_s_mean": statistics.fmean(wall),
                "seeds": len(runs),
            }
        )
    return {"ours": rows, "imitation": peers}


def _rlif_summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over the seeds of one RLIF or HG-DAgger (value rule) cell."""
    mean, std = _mean_std([r["final_return"] for r in runs])
    return {
        "final_return_mean": mean,
        "final_return_std": std,
        "expert_return_mean": statistics.fmean(r["expert_return"] for r in runs),
        "interventions_mean": statistics.fmean(r["interventions"] for r in runs),
        "expert_steps_mean": statistics.fmean(r["expert_steps"] for r in runs),
        "env_steps": runs[0]["env_steps"],
        "wall_s_mean": statistics.fmean(r["wall_s"] for r in runs),
    }


def aggregate(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"budget": [], "rlif": [], "rlif-mujoco": [], "anchor": []}
    for task, quality, method in [
        (t, q, m) for t in BUDGETS for q in QUALITIES for m in ("bc", "dagger", "hg-dagger")
    ]:
        if True:
            runs = [
                r
                for r in result["budget"]
                if (r["task"], r["quality"], r["method"]) == (task, quality, method)
            ]
            if not runs:
                continue
            # HG-DAgger spends a different number of labels per seed: x is the mean over seeds
            curve = [
                {
                    "labels": round(statistics.fmean(r["curve"][i]["labels"] for r in runs)),
                    "return_mean": _mean_std([r["curve"][i]["return"] for r in runs])[0],
                }
                for i in range(len(runs[0]["curve"]))
            ]
            mean, std = _mean_std([r["final_return"] for r in runs])
            out["budget"].append(
                {
                    "task": task,
                    "quality": quality,
                    "method": method,
                    "final_return_mean": mean,
                    "final_return_std": std,
                    "labels": round(statistics.fmean(r["labels"] for r in runs)),
                    "interventions_mean": statistics.fmean(r["interventions"] for r in runs),
                    "curve": curve,
                }
            )
    for quality in ("medium", "low"):
        for method in ("rlif", "hg-dagger (value rule)"):
            runs = [r for r in result["rlif"] if r["quality"] == quality and r["method"] == method]
            if not runs:
                continue
            out["rlif"].append({"quality": quality, "method": method, **_rlif_summary(runs)})
    for task, quality, method in [
        (t, q, m) for t in MUJOCO for q in QUALITIES for m in ("rlif", "hg-dagger (value rule)")
    ]:
        runs = [
            r
            for r in result.get("rlif-mujoco", [])
            if (r["task"], r["quality"], r["method"]) == (task, quality, method)
        ]
        if not runs:
            continue
        out["rlif-mujoco"].append(
            {
                "task": task,
                "quality": quality,
                "method": method,
                "seeds": len(runs),
                **_rlif_summary(runs),
                "curve": [
                    {
                        "expert_steps": round(statistics.fmean(r["curve"][i]["expert_steps"] for r in runs)),
                        "return_mean": statistics.fmean(r["curve"][i]["return"] for r in runs),
                    }
                    for i in range(min(len(r["curve"]) for r in runs))
                ],
            }
        )
    anchor = result.get("anchor") or {}
    for task in ("CartPole-v1", "Pendulum-v1"):
        runs = [r for r in anchor.get("ours", []) if r["task"] == task]
        if not runs:
            continue
        mean, std = _mean_std([r["normalized"] for r in runs])
        out["anchor"].append(
            {
                "task": task,
                "expert": runs[0]["expert"],
                "labels": runs[0]["labels"],
                "normalized_mean": mean,
                "normalized_std": std,
                "return_mean": statistics.fmean(r["return"] for r in runs),
                "train_wall_s_mean": statistics.fmean(r["train_wall_s"] for r in runs),
            }
        )
    return out


def plot(result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["aggregate"]["budget"]
    if not rows:
        return
    tasks = [t for t in BUDGETS if any(r["task"] == t for r in rows)]
    fig, grid = plt.subplots(len(tasks), 3, figsize=(13, 3.6 * len(tasks)), squeeze=False)
    for (ax, quality), task in [
        (cell, t) for t, line in zip(tasks, grid, strict=True) for cell in zip(line, QUALITIES, strict=True)
    ]:
        for i, method in enumerate(("bc", "dagger", "hg-dagger")):
            row = next(
                (r for r in rows if (r["task"], r["quality"], r["method"]) == (task, quality, method)), None
            )
            if row is None:
                continue
            xs = [p["labels"] for p in row["curve"]]
            ax.plot(
                xs, [p["return_mean"] for p in row["curve"]], marker="o", ms=3, color=f"C{i}", label=method
            )
        for extra in result["aggregate"]["rlif"]:
            if task == "CartPole-v1" and extra["quality"] == quality and extra["method"] == "rlif":
                ax.axhline(
                    extra["final_return_mean"], color="C3", ls="-.", lw=1.2, label="rlif (6k env steps)"
                )
                ax.axhline(extra["expert_return_mean"], color="k", ls=":", lw=1.0, label="the intervener")
        ax.set_title(f"{task}, labeller: zoo {quality}")
        ax.set_xlabel("expert labels")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
        if quality == "expert":
            ax.set_ylabel(f"return (mean of {len(result['seeds'])} seeds)")
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_rlif_mujoco(result: dict[str, Any]) -> None:
    """Return against expert-driven steps, RLIF and HG-DAgger, one panel per task and intervener."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["aggregate"]["rlif-mujoco"]
    tasks = [t for t in MUJOCO if any(r["task"] == t for r in rows)]
    if not tasks:
        return
    fig, grid = plt.subplots(len(tasks), 3, figsize=(13, 3.6 * len(tasks)), squeeze=False)
    for task, line in zip(tasks, grid, strict=True):
        for ax, quality in zip(line, QUALITIES, strict=True):
            cell = [r for r in rows if (r["task"], r["quality"]) == (task, quality)]
            for r in cell:
                ax.plot(
                    [p["expert_steps"] for p in r["curve"]],
                    [p["return_mean"] for p in r["curve"]],
                    marker="o",
                    ms=3,
                    color=f"C{3 if r['method'] == 'rlif' else 2}",
                    label=f"{r['method']} ({r['seeds']} seeds)",
                )
            if cell:
                ax.axhline(cell[0]["expert_return_mean"], color="k", ls=":", lw=1.0, label="the intervener")
            ax.set_title(f"{task}, intervener: zoo {quality}")
            ax.set_xlabel("expert-driven steps")
            ax.set_ylabel("return")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(PLOT_RLIF_MUJOCO, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _rlif_cells(row: dict[str, Any], digits: int) -> str:
    """The RLIF tables' last cells: final return, interventions, expert-driven steps, wall-clock."""
    return (
        f"{row['final_return_mean']:.{digits}f} ± {row['final_return_std']:.{digits}f} | "
        f"{row['interventions_mean']:.0f} | {row['expert_steps_mean']:.0f} | {row['wall_s_mean']:.0f} |"
    )


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- interactive:start -->", "<!-- interactive:end -->"
    agg = result["aggregate"]
    lines = [
        start,
        "## Interactive imitation: BC, DAgger, HG-DAgger and RLIF",
        "",
        f"`{result['command']}` · {result['date']} · {result['machine']} · {len(result['seeds'])} seeds · "
        f"{result['total_wall_s']:.0f} s in all. Methods: `docs/interactive.md`. The budget and RLIF studies are "
        "`mimetic sweep`s of ordinary `mimetic train dagger|hg-dagger|rlif` runs (`benchmarks/grid.py`); their "
        "curves are the runs' per-round eval lines in metrics.jsonl.",
        "",
    ]
    if agg["budget"]:
        lines += [
            "**Return against expert labels** (labeller: the zoo's policy at three qualities, PPO on CartPole-v1 "
            "and SAC on Pendulum-v1, Hopper-v5 and Walker2d-v5; "
            + "; ".join(
                f"{t}: {b['max_labels']} labels in rounds of {b['labels_per_round']}, {b['updates_per_round']} "
                "gradient steps per round"
                for t, b in BUDGETS.items()
            )
            + f"; {EVAL_EPISODES} eval episodes per point). BC is DAgger with beta = 1 in every round, so it sees "
            "the same number of labels; HG-DAgger uses the action-distance gate with 4-step takeovers.",
            "",
            "| task | labeller | method | return at each budget (labels: return) | final return | interventions |",
            "|---|---|---|---|---|---|",
        ]
        for r in agg["budget"]:
            curve = ", ".join(f"{p['labels']}: {p['return_mean']:.0f}" for p in r["curve"])
            lines.append(
                f"| {r['task']} | zoo {r['quality']} | {r['method']} | {curve} | "
                f"{r['final_return_mean']:.1f} ± {r['final_return_std']:.1f} | "
                f"{r['interventions_mean']:.0f} |"
            )
        lines += ["", "![return against labels](img/interactive_budget.png)", ""]
    if agg["rlif"]:
        lines += [
            f"**RLIF with suboptimal interveners** (CartPole-v1, {RLIF_STEPS} env steps, value rule on the zoo "
            "expert's FQE Q, p = 0.95 / 0.05, 4-step takeovers; HG-DAgger driven by the same rule and "
            f"intervener for {HG_MATCHED['max_labels']} labels, about the expert-driven steps RLIF's takeovers "
            "take; 20 eval episodes, seeds 10000..10019).",
            "",
            "| intervener | its own return | method | final return | interventions | expert-driven steps | wall (s) |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in agg["rlif"]:
            lines.append(
                f"| zoo {r['quality']} | {r['expert_return_mean']:.1f} | {r['method']} | {_rlif_cells(r, 1)}"
            )
    if agg["rlif-mujoco"]:
        lines += [
            f"**RLIF on MuJoCo** (Hopper-v5 and Walker2d-v5, {MUJOCO_RLIF_STEPS} env steps, "
            f"{MUJOCO_RLIF_CRITICS} critics, value rule at 0.99 "
            "judged by the zoo's shipped SAC critic and actor (`--q-reference zoo`; Hopper-v5's is the zoo expert's "
            "own, Walker2d-v5's a stronger rerun), p = 0.95 / 0.05, 4-step "
            f"takeovers; HG-DAgger driven by the same rule and intervener for {HG_MUJOCO['max_labels']} labels "
            f"in rounds of {HG_MUJOCO['labels_per_round']}; {EVAL_EPISODES} eval episodes, seeds 10000...; "
            "the intervener's return is the zoo's recorded 50-episode mean).",
            "",
            "| task | intervener | its own return | method | seeds | return at each eval (expert-driven steps: "
            "return) | final return | interventions | expert-driven steps | wall (s) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in agg["rlif-mujoco"]:
            curve = ", ".join(f"{p['expert_steps']}: {p['return_mean']:.0f}" for p in r["curve"])
            lines.append(
                f"| {r['task']} | zoo {r['quality']} | {r['expert_return_mean']:.0f} | {r['method']} | "
                f"{r['seeds']} | {curve} | {_rlif_cells(r, 0)}"
            )
        lines += ["", "![RLIF on MuJoCo](img/interactive_rlif_mujoco.png)", ""]
    if agg["rlif"] or agg["rlif-mujoco"]:
        lines += ["", f"Verdict on RLIF's claim: {rlif_verdict(agg)}", ""]
    if agg["anchor"]:
        peers = {p["task"]: p for p in result["anchor"]["imitation"]}
        lines += [
            "**DAgger side by side with `imitation`** (8000 labels; the anchors' evaluation protocol and "
            "normalization; wall-clock: learner construction + training).",
            "",
            "| task | ours: normalized (labeller) | train wall (s) | imitation DAgger normalized | its wall (s) | "
            "goal (>= 0.95 in <= 1/5 of its wall) |",
            "|---|---|---|---|---|---|",
        ]
        for r in agg["anchor"]:
            p = peers.get(r["task"])
            peer = (
                f"{p['normalized_mean']:.2f} ± {p['normalized_std']:.2f} | {p['train_wall_s_mean']:.1f}"
                if p
                else "– | –"
            )
            goal = (
                p is not None
                and r["normalized_mean"] >= 0.95
                and r["train_wall_s_mean"] <= p["train_wall_s_mean"] / 5
            )
            lines.append(
                f"| {r['task']} | {r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} ({r['expert']}) | "
                f"{r['train_wall_s_mean']:.1f} | {peer} | {'met' if goal else 'not met'} |"
            )
        lines.append("")
        lines.append(
            "The labellers differ: the anchors used their SB3 experts, we use the zoo's PPO (CartPole) and "
            "the scripted controller (Pendulum). imitation's timings were recorded on the anchors' machine."
        )
    lines += ["", "Raw JSON: `benchmarks/results/interactive.json`.", end]
    write_section(DOC, start, end, "\n".join(lines))


def rlif_verdict(agg: dict[str, Any]) -> str:
    """RLIF against HG-DAgger under the same rule and intervener, on CartPole-v1 and on MuJoCo."""
    cases = [("CartPole-v1", q, agg["rlif"]) for q in ("medium", "low")]
    cases += [(t, q, [r for r in agg["rlif-mujoco"] if r["task"] == t]) for t in MUJOCO for q in QUALITIES]
    parts = []
    for task, quality, rows in cases:
        rlif = next((r for r in rows if r["quality"] == quality and r["method"] == "rlif"), None)
        hg = next((r for r in rows if r["quality"] == quality and r["method"] != "rlif"), None)
        if rlif is None or hg is None:
            continue
        seeds = f", {rlif['seeds']} seeds" if "seeds" in rlif else ""
        better = "beats" if rlif["final_return_mean"] > hg["final_return_mean"] else "does not beat"
        over = "above" if rlif["final_return_mean"] > rlif["expert_return_mean"] else "not above"
        parts.append(
            f"{task}{seeds}, {quality} intervener: RLIF {better} HG-DAgger ({rlif['final_return_mean']:.0f} vs "
            f"{hg['final_return_mean']:.0f}, at {rlif['expert_steps_mean']:.0f} vs {hg['expert_steps_mean']:.0f} "
            f"expert-driven steps) and ends {over} the intervener's own return ({rlif['expert_return_mean']:.0f})"
        )
    return "; ".join(parts) + "." if parts else "not run."


def write_papers_rows(result: dict[str, Any]) -> None:
    agg = result["aggregate"]
    tail = f"({result['date']}, benchmarks/results/interactive.json)"

    def final(task: str, quality: str, method: str) -> str:
        key = (task, quality, method)
        row = next((r for r in agg["budget"] if (r["task"], r["quality"], r["method"]) == key), None)
        return "not run" if row is None else f"{row['final_return_mean']:.0f} ± {row['final_return_std']:.0f}"

    def per_task(text: Any) -> str:
        return "; ".join(
            f"{t} ({b['max_labels']} labels): " + ", ".join(text(t, q) for q in QUALITIES)
            for t, b in BUDGETS.items()
        )

    peers = {p["task"]: p for p in (result.get("anchor") or {}).get("imitation", [])}
    anchor = "; ".join(
        f"{r['task']} 8000 labels: {r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} normalized in "
        f"{r['train_wall_s_mean']:.1f} s"
        + (
            f" (imitation DAgger {peers[r['task']]['normalized_mean']:.2f} in "
            f"{peers[r['task']]['train_wall_s_mean']:.1f} s)"
            if r["task"] in peers
            else ""
        )
        for r in agg["anchor"]
    )
    dagger = per_task(lambda t, q: f"zoo {q} DAgger {final(t, q, 'dagger')} vs BC {final(t, q, 'bc')}")
    upsert_row(
        PAPERS,
        "| DAgger (Ross et al. 2011)",
        f"| DAgger (Ross et al. 2011) | aggregating expert labels on the learner's own states removes BC's "
        f"compounding error (regret linear rather than quadratic in the horizon) | `{COMMAND}` | "
        f"{dagger}; {anchor} {tail} |",
        PAPERS_HEADER,
    )

    def spent(task: str, quality: str) -> str:
        key = (task, quality, "hg-dagger")
        row = next((r for r in agg["budget"] if (r["task"], r["quality"], r["method"]) == key), None)
        return "" if row is None else f" with {row['labels']} labels"

    hg = per_task(
        lambda t, q: (
            f"zoo {q} HG-DAgger {final(t, q, 'hg-dagger')}{spent(t, q)} vs DAgger {final(t, q, 'dagger')}"
        )
    )
    upsert_row(
        PAPERS,
        "| HG-DAgger (Kelly et al. 2019)",
        f"| HG-DAgger (Kelly et al. 2019) | letting the expert take over only when the novice drifts, and "
        f"aggregating only those segments, learns safely with fewer expert actions than DAgger | `{COMMAND}` | "
        f"action-distance gate, 4-step takeovers, the label budget a cap: {hg} {tail} |",
        PAPERS_HEADER,
    )
    upsert_row(
        PAPERS,
        "| RLIF (Luo et al. 2023",
        f"| RLIF (Luo et al. 2023, survey row #34) | RL on the intervention signal alone (r = -1 before each "
        f"intervention) strongly outperforms DAgger-like methods, especially with suboptimal interveners | "
        f"`{COMMAND}` (value rule; CartPole-v1 {RLIF_STEPS} env steps, FQE judge; Hopper-v5 and Walker2d-v5 "
        f"{MUJOCO_RLIF_STEPS} env steps, the zoo's shipped SAC critic as judge) | {rlif_verdict(agg)} {tail} |",
        PAPERS_HEADER,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--studies", nargs="+", default=list(STUDIES), choices=STUDIES)
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    add_sweep_args(parser, max_concurrent=None)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the plot, docs section and papers rows from the JSON",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.report_only:
        saved = json.loads(RESULTS.read_text())
        saved["aggregate"] = aggregate(saved)
        tmp = RESULTS.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(saved, indent=2) + "\n")
        tmp.replace(RESULTS)
        plot(saved)
        plot_rlif_mujoco(saved)
        write_doc(saved)
        write_papers_rows(saved)
        return
    # a subset of the studies keeps the other studies' last results and their wall-clock
    previous = (
        json.loads(RESULTS.read_text()) if RESULTS.exists() and set(args.studies) < set(STUDIES) else {}
    )
    empty: dict[str, Any] = {"budget": [], "rlif": [], "rlif-mujoco": [], "anchor": {}}
    study_wall: dict[str, float] = dict(previous.get("study_wall_s", {}))
    result: dict[str, Any] = {
        "command": COMMAND
        + ("" if args.seeds == [0, 1, 2] else f" --seeds {' '.join(map(str, args.seeds))}"),
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, torch {torch.__version__}, 1 thread",
        "seeds": args.seeds,
    }
    with work_dir(args) as work:
        options = sweep_options(args)
        runners: dict[str, Callable[[], Any]] = {
            "budget": lambda: study_budget(args.seeds, work, options),
            "rlif": lambda: study_rlif(args.seeds, work, options),
            "rlif-mujoco": lambda: study_rlif_mujoco(args.seeds, work, options),
            "anchor": lambda: study_anchor(args.seeds),
        }
        for name, runner in runners.items():
            if name in args.studies:
                started = time.perf_counter()
                result[name] = runner()
                study_wall[name] = time.perf_counter() - started
            else:
                result[name] = previous.get(name, empty[name])
    result["study_wall_s"] = study_wall
    result["total_wall_s"] = sum(study_wall.values())
    result["aggregate"] = aggregate(result)
    print(json.dumps(result["aggregate"], indent=1)[:4000])
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(RESULTS)
    plot(result)
    plot_rlif_mujoco(result)
    write_doc(result)
    write_papers_rows(result)
    print(f"wrote {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} and {PAPERS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
