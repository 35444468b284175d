"""Benchmark: GAIL and AIRL side by side with the `imitation` anchor runs; IQ-Learn and SQIL rows.

Same demonstration files, same evaluation protocol, same machine type as the recorded anchor runs
(`../shared/anchors/`, read here and only here):
  - data: `anchors/data/<task>_expert.npz`, all 10 expert episodes (the anchors' GAIL/AIRL runs use 10);
  - evaluation: `anchors/common/evalproto.py` itself: 20 episodes, env seeds 10000..10019,
    deterministic actions; normalized with the expert/random means of `anchors/imitation/results.json`;
  - wall-clock: learner construction + every training round (collection, discriminator updates,
    relabelling, PPO epochs), as the anchors time construction + training: the `train_s` /
    `train_cpu_s` clocks of each run's metrics.jsonl, which stop during the learning curves'
    evaluations. CPU time is given too: the machine is shared, and other jobs can take the core
    away but not add CPU seconds.
Every run is an ordinary `mimetic train gail|airl|ppo|iq-learn|sqil` run directory, run as
`mimetic sweep`s (`benchmarks/grid.py`), one trial at a time by default since the timings are
the point; with --work-dir a rerun skips finished trials.
Also measured: the adversarial overhead (the same PPO on the same number of env steps with the
env's reward, no discriminator), AIRL's transfer check (a fresh PPO agent trained on the exported
reward, scored on the true return), IQ-Learn offline from one demonstration (the authors' CartPole
claim) and SQIL on Pendulum-v1. The off-policy methods, DAC (GAIL with an off-policy SAC generator)
and off-policy AIRL (`train airl-sac`), run on their own with --dac, on Pendulum-v1 and the MuJoCo
tasks, with SAC alone as their overhead baseline on Pendulum-v1 (--dac-tasks splits them over processes).

    python benchmarks/adversarial.py [--seeds 0 1 2] [--tasks CartPole-v1 Pendulum-v1] [--work-dir DIR]
    python benchmarks/adversarial.py --mujoco | --dac | --extras-only [--work-dir DIR]

Writes benchmarks/results/adversarial.json, docs/img/adversarial_<task>.png, the adversarial
section of docs/benchmarks.md and the GAIL, AIRL, DAC, off-policy AIRL, SQIL and IQ-Learn rows of
docs/papers.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import anchors  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, atomic_write_text, upsert_row, write_section  # noqa: E402
from grid import Run, add_sweep_args, run_grid, sweep_options, work_dir  # noqa: E402

from mimetic import zoo  # noqa: E402
from mimetic.algorithms import ALGORITHMS  # noqa: E402
from mimetic.data import save  # noqa: E402
from mimetic.experts.collect import collect  # noqa: E402
from mimetic.policies.learned import load as load_policy  # noqa: E402
from mimetic.runtime.averaging import AveragingError, average_policies, checkpoint_policies  # noqa: E402
from mimetic.runtime.seeding import seed_everything  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = anchors.ANCHORS
RESULTS = ROOT / "benchmarks" / "results" / "adversarial.json"
DOC = ROOT / "docs" / "benchmarks.md"
PAPERS = ROOT / "docs" / "papers.md"
IMG = ROOT / "docs" / "img"

# Training rounds per task (one round = one PPO rollout of num_envs x rollout_steps env steps) and
# how often to evaluate for the learning curves. CartPole-v1: 200 x 256 = 51,200 env steps (at 100
# rounds one GAIL seed on this machine was still at 0.96 at the end; all reach 1.00 by round 105);
# Pendulum-v1: 48 x 4096 = 196,608 env steps, imitation's long budget (its generator anneals over it:
# `GENERATOR_ANNEAL_STEPS`).
BUDGET = {"CartPole-v1": {"rounds": 200, "eval_every": 5}, "Pendulum-v1": {"rounds": 48, "eval_every": 3}}
# The MuJoCo tasks have no anchor runs: their demonstrations are 10 episodes of the zoo's SAC expert and
# their reference returns are that expert and uniform random actions on the same 20 eval seeds. One
# round is the tuned generator's single 512-step rollout: 976 rounds = 499,712 env steps each.
MUJOCO_BUDGET = {
    "HalfCheetah-v5": {"rounds": 976, "eval_every": 61},
    "Hopper-v5": {"rounds": 976, "eval_every": 61},
}
ALL_BUDGETS = {**BUDGET, **MUJOCO_BUDGET}
TRANSFER_ITERS = {"CartPole-v1": 300, "Pendulum-v1": 30}
"""PPO iterations of the transfer check (CartPole: 300 x 256 = 76,800 steps; Pendulum: 122,880)."""
THRESHOLDS = (0.5, 0.9)
IQ_STEPS = 2000
IQ_ONLINE_STEPS = 12_000
SQIL_STEPS = 8_000
# DAC (off-policy GAIL, `train dac`): one round is one env step. Its Pendulum-v1 seed-0 run reached 1.01
# at 6k steps (docs/adversarial.md). At 100k env steps its three MuJoCo seeds ended at 0.92 +- 0.02
# (HalfCheetah-v5, still rising) and 0.94 +- 0.02 (Hopper-v5), so the budget there is 150k: 30% of
# GAIL's and, at about 13 ms per step here (one SAC update and one discriminator step; the three seeds
# took 1920 and 1903 CPU s on average, two runs side by side on the two cores), 32 CPU minutes per
# run. The MuJoCo runs checkpoint every 10k steps, replay included, so a cut-off benchmark resumes
# them. CartPole-v1 is left out: GAIL already reaches 1.00 there in seconds.
DAC_BUDGET = {
    "Pendulum-v1": {"rounds": 10_000, "eval_every": 1_000},
    "HalfCheetah-v5": {"rounds": 150_000, "eval_every": 5_000, "checkpoint_every": 10_000},
    "Hopper-v5": {"rounds": 150_000, "eval_every": 5_000, "checkpoint_every": 10_000},
}
# Off-policy AIRL learns slower on MuJoCo than DAC: at 150k env steps its three HalfCheetah-v5 seeds ended
# at 0.89 +- 0.06 (still rising: seed 0 0.82 at 135k, 0.86 at 150k) and its Hopper-v5 seeds at 0.85
# (the mean of the last 4 checkpoints 0.89). Seed 0 on HalfCheetah-v5, continued to 250k, reached 0.95-0.99
# at 195k-225k and 1.04 at 250k, so its MuJoCo budget is 250k: 64-72 CPU minutes per run here. At 250k the
# three seeds scored 1.05 +- 0.03 on HalfCheetah-v5 and 0.92 +- 0.06 on Hopper-v5 (docs/adversarial.md).
AIRL_SAC_BUDGET = {
    **DAC_BUDGET,
    "HalfCheetah-v5": {"rounds": 250_000, "eval_every": 5_000, "checkpoint_every": 10_000},
    "Hopper-v5": {"rounds": 250_000, "eval_every": 5_000, "checkpoint_every": 10_000},
}
OFF_POLICY_BUDGET = {"dac": DAC_BUDGET, "airl-sac": AIRL_SAC_BUDGET}
"""The off-policy adversarial methods (SAC generators) the --dac rows run, each on its budget: DAC and
off-policy AIRL (`train airl-sac`, Arnob 2020). Their tasks are `DAC_BUDGET`'s."""
OFF_POLICY = list(OFF_POLICY_BUDGET)
DAC_BASELINE = ("Pendulum-v1",)
"""Tasks where SAC alone (the env's reward, the same env steps, every seed) runs as DAC's overhead
baseline; on the MuJoCo tasks it would cost another 15 CPU minutes per run. Every seed, not the first:
on this shared machine one run's CPU seconds vary by 10-15% from run to run (SAC alone, 4000 Pendulum-v1
env steps, three repeats in a scratch timing: 45.6 / 37.8 / 33.3 s; benchmarks/adversarial_step_cost.py
times such rounds), so a one-run baseline moved the overhead by as much."""


@functools.cache
def reference(task: str) -> tuple[float, float]:
    """(expert, random) mean returns on the 20 eval seeds: the anchors' recorded ones, or for tasks they
    did not run, the zoo's expert and uniform random actions measured here with the same protocol."""
    if task in anchors.recorded_tasks():
        return anchors.reference(task)
    ep = anchors.evalproto()
    expert = anchors.evaluate(zoo.load(task), task)["mean"]
    return float(expert), float(ep.evaluate_random(task)["mean"])


def normalized(ret: float, task: str) -> float:
    expert, rand = reference(task)
    return (ret - rand) / (expert - rand)


def score(policy: Any, task: str) -> float:
    return normalized(anchors.evaluate(policy, task)["mean"], task)


# ---- runs: grids of `mimetic train` runs, as sweeps -----------------------------------------------
def demo_file(task: str, folder: Path, episodes: int | None = None) -> Path:
    """The anchors' demonstrations (all, or the first `episodes`) as an npz for `--dataset`; for a task
    they did not run, 10 episodes of the zoo's expert from the anchors' demonstration seed."""
    path = folder / f"demos-{task}-{episodes or 'all'}.npz"
    if not path.exists():
        if task in MUJOCO_BUDGET:
            data = collect(zoo.load(task), task, episodes=episodes or 10, seed=anchors.evalproto().DEMO_SEED)
        else:
            data = anchors.dataset(task, episodes)
        save(data, path, format="npz")
    return path


def final_score(run: Run, task: str) -> float:
    """The run's final policy scored by the anchors' own evaluation protocol."""
    return round(score(load_policy(run.run_dir / "policy"), task), 4)


AVERAGE_LAST = 4
"""Checkpoints whose policies the off-policy rows also score as one mean policy (`mimetic train
--average-last 4`, `mimetic.runtime.averaging`): at the MuJoCo checkpoints, every 10k env steps,
the policies at 120k-150k for DAC and 220k-250k for off-policy AIRL (Pendulum-v1's runs save one checkpoint,
at the end).
Four, not two or three: on DAC Hopper-v5 the last 2 / 3 / 4 gave 0.95 / 0.96 / 0.95 (seed 0), 0.99 / 1.00 /
1.01 (seed 1) and 0.15 / 0.97 / 0.96 (seed 2); two still reached into seed 2's final collapse."""


def averaged_score(run: Run, task: str, work: Path) -> float | None:
    """The mean policy of the run's last `AVERAGE_LAST` checkpoints scored like `final_score` (None when
    the run saved fewer), cached in `work/averaged/` with the checkpoint steps it averaged."""
    try:
        chosen = checkpoint_policies(run.run_dir, AVERAGE_LAST)
    except AveragingError:  # too few checkpoints (Pendulum-v1's runs save one)
        return None
    folder = work / "averaged" / run.run_dir.relative_to(work)
    steps = [step for step, _ in chosen]
    cache = folder / "score.json"
    if cache.is_file():
        saved = json.loads(cache.read_text())
        if saved["steps"] == steps:
            return float(saved["normalized"])
    policy = average_policies([path for _, path in chosen], folder / "policy")
    value = round(score(load_policy(policy), task), 4)
    atomic_write_text(cache, json.dumps({"steps": steps, "normalized": value}) + "\n")
    return value


def _clock(run: Run) -> dict[str, float]:
    """The training clocks at the run's last line: learner construction + training, no evaluation."""
    last = run.metrics()[-1]
    return {"wall_s": round(last["train_s"], 3), "cpu_s": round(last["train_cpu_s"], 3)}


def run_task(
    task: str, seeds: list[int], work: Path, options: dict[str, Any]
) -> tuple[list[dict[str, Any]], ...]:
    """GAIL, AIRL and PPO alone (the overhead's baseline: the same PPO, the same env steps, the env's
    reward) on `task`, as one sweep; then AIRL's transfer checks. Returns (rows, rl_alone)."""
    spec = grid_spec([task], ["gail", "airl", "ppo"], seeds, work)
    return rows_of(run_grid(spec, work / f"adversarial-{task}", options), work, options)


def run_mujoco(seeds: list[int], work: Path, options: dict[str, Any]) -> tuple[list[dict[str, Any]], ...]:
    """The MuJoCo rows: GAIL on every seed, AIRL and PPO alone on the first (each run is 200-320 s of CPU
    here, and AIRL stayed near 0 on HalfCheetah-v5 for its first 150-300k env steps in the runs that
    chose its preset), both tasks in one sweep each so the trials fill every worker."""
    tasks = list(MUJOCO_BUDGET)
    gail = run_grid(grid_spec(tasks, ["gail"], seeds, work), work / "adversarial-mujoco-gail", options)
    rest = run_grid(
        grid_spec(tasks, ["airl", "ppo"], seeds[:1], work), work / "adversarial-mujoco-rest", options
    )
    return rows_of([*gail, *rest], work, options)


def grid_spec(
    tasks: list[str],
    algorithms: list[str],
    seeds: list[int],
    work: Path,
    budgets: dict[str, dict[str, int]] = ALL_BUDGETS,
) -> dict[str, Any]:
    """The sweep of `algorithms` x `tasks` x `seeds` on each task's demonstrations and budget."""
    rounds, eval_every = budgets[tasks[0]]["rounds"], budgets[tasks[0]]["eval_every"]
    if any(budgets[t] != budgets[tasks[0]] for t in tasks):
        raise ValueError(f"one sweep runs one budget; {tasks} have different ones")
    return {
        "algorithms": algorithms,
        "envs": tasks,
        "seeds": seeds,
        "datasets": {t: [str(demo_file(t, work))] for t in tasks},
        "steps": rounds,
        "args": {
            "eval-every": eval_every,
            "eval-episodes": 20,
            "checkpoint-every": budgets[tasks[0]].get("checkpoint_every", rounds),
            "no-report": True,
            "no-tensorboard": True,
        },
        "algorithm_args": {rl: {"eval-every": 0} for rl in ("ppo", "sac") if rl in algorithms},
    }


def run_dac(
    tasks: list[str],
    seeds: list[int],
    work: Path,
    options: dict[str, Any],
    algorithms: list[str] = OFF_POLICY,
    setting: str | None = None,
) -> tuple[list[dict[str, Any]], ...]:
    """The `OFF_POLICY` methods (or some of them) on every task and seed, one sweep per task and budget
    (`OFF_POLICY_BUDGET`), then SAC alone on every seed where `DAC_BASELINE` asks for it. A sweep's folder
    names its budget, so a changed budget starts new trials instead of reusing shorter finished ones.
    `setting` (`FIELD=VALUE`) is passed to the off-policy methods' `mimetic train --set` as a one-value
    sweep axis, so their trials (and transfer runs) get folders of their own. Returns (rows, sac_alone)."""
    runs = []
    for task in tasks:
        # the methods sharing a budget on this task run as one sweep
        groups: dict[int, list[str]] = {}
        for algo in algorithms:
            groups.setdefault(OFF_POLICY_BUDGET[algo][task]["rounds"], []).append(algo)
        for rounds, group in groups.items():
            spec = grid_spec([task], group, seeds, work, OFF_POLICY_BUDGET[group[0]])
            if setting is not None:
                spec["algorithm_args"].update({algo: {"set": [setting]} for algo in group})
            runs += run_grid(spec, work / f"dac-{task}-{rounds // 1000}k", options)
        if task in DAC_BASELINE:
            spec = grid_spec([task], ["sac"], seeds, work, DAC_BUDGET)
            del spec["datasets"]  # SAC alone learns from the env's reward
            runs += run_grid(spec, work / f"sac-{task}", options)
    return rows_of(runs, work, options)


def rows_of(runs: list[Run], work: Path, options: dict[str, Any]) -> tuple[list[dict[str, Any]], ...]:
    """Each adversarial run's scores, curve and times to the target scores (AIRL's transfer check where
    the task has one), and PPO alone's clocks. Returns (rows, rl_alone)."""
    rows, rl_alone = [], []
    for run in runs:
        seed, task = run.trial.seed, run.trial.env
        assert task is not None
        if run.trial.algorithm in ("ppo", "sac"):
            # its score on the env's own reward: the generator's ceiling at this budget
            rl_alone.append(
                {
                    "algo": run.trial.algorithm.upper(),
                    "task": task,
                    "seed": seed,
                    **_clock(run),
                    "normalized": final_score(run, task),
                }
            )
            continue
        curve = [
            {
                "round": r["step"],
                "env_steps": r["env_steps"],
                "wall_s": round(r["train_s"], 3),
                "cpu_s": round(r["train_cpu_s"], 3),
                "normalized": round(normalized(r["eval/return_mean"], task), 4),
            }
            for r in run.evals()
        ]
        algo = run.trial.algorithm.upper()
        row: dict[str, Any] = {
            "algo": algo,
            "task": task,
            "seed": seed,
            "env_steps": curve[-1]["env_steps"],
            "wall_s": curve[-1]["wall_s"],
            "cpu_s": curve[-1]["cpu_s"],
            "normalized": final_score(run, task),
            "best_normalized": max(c["normalized"] for c in curve),
            "curve": curve,
        }
        if "set" in run.trial.params:
            row["set"] = run.trial.params["set"]
        if run.trial.algorithm in OFF_POLICY:
            averaged = averaged_score(run, task, work)
            if averaged is not None:
                row["averaged_normalized"] = averaged
        for t in targets(algo, task):
            hit = next((c for c in curve if c["normalized"] >= t), None)
            row[f"wall_to_{t:.3f}"] = None if hit is None else hit["wall_s"]
            row[f"cpu_to_{t:.3f}"] = None if hit is None else hit["cpu_s"]
        if algo in ("AIRL", "AIRL-SAC") and task in TRANSFER_ITERS:
            # AIRL's folders keep their old names, so saved transfer runs are reused
            name = f"transfer-{'' if algo == 'AIRL' else 'airl-sac-'}{task}-seed-{seed}"
            if "set" in run.trial.params:
                name += f"-set-{run.trial.params['set']}"
            row["transfer"] = transfer(task, seed, run.run_dir / "reward", work / name, options)
        print(json.dumps({k: v for k, v in row.items() if k != "curve"}), flush=True)
        rows.append(row)
    return rows, rl_alone


def transfer(task: str, seed: int, reward_dir: Path, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    """AIRL's transfer check: a fresh PPO agent (seed + 100) learns from the exported reward alone (a
    sweep in `out`)."""
    spec = {
        "algorithms": ["ppo"],
        "envs": [task],
        "seeds": [seed + 100],
        "steps": TRANSFER_ITERS[task],
        "args": {
            "reward": str(reward_dir),
            "eval-every": 0,
            "checkpoint-every": TRANSFER_ITERS[task],
            "no-report": True,
            "no-tensorboard": True,
        },
    }
    (run,) = run_grid(spec, out, options)
    return {
        "ppo_iterations": TRANSFER_ITERS[task],
        "env_steps": int(run.metrics()[-1]["env_steps"]),
        "wall_s": _clock(run)["wall_s"],
        "normalized": final_score(run, task),
    }


def run_extra(
    algorithm: str,
    task: str,
    demos: int | None,
    steps: int,
    flags: dict[str, Any],
    seeds: list[int],
    work: Path,
    options: dict[str, Any],
) -> list[dict[str, Any]]:
    """IQ-Learn or SQIL from the anchors' demonstrations, one sweep over seeds."""
    spec = {
        "algorithms": [algorithm],
        "envs": [task],
        "seeds": seeds,
        "dataset": str(demo_file(task, work, demos)),
        "steps": steps,
        "args": {
            "eval-every": 0,
            "checkpoint-every": steps,
            "no-report": True,
            "no-tensorboard": True,
            **flags,
        },
    }
    rows = []
    for run in run_grid(spec, work / f"{algorithm}-{task}", options):
        row = {"task": task, "seed": run.trial.seed, **_clock(run), "normalized": final_score(run, task)}
        print(json.dumps({"algo": algorithm, **row}), flush=True)
        rows.append(row)
    return rows


def run_iq_offline(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """IQ-Learn offline from the first demonstration of the anchors' CartPole file (500 transitions)."""
    rows = run_extra("iq-learn", "CartPole-v1", 1, IQ_STEPS, {"offline": True}, seeds, work, options)
    return [{"algo": "IQ-Learn offline", "demos": 1, "grad_steps": IQ_STEPS, **r} for r in rows]


def run_iq_online(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """IQ-Learn online (continuous actions: SAC's actor and critics) on Pendulum-v1 from the anchors'
    10 demonstrations, with its Pendulum preset."""
    rows = run_extra("iq-learn", "Pendulum-v1", None, IQ_ONLINE_STEPS, {}, seeds, work, options)
    return [{"algo": "IQ-Learn online", "demos": 10, "env_steps": IQ_ONLINE_STEPS, **r} for r in rows]


def _iq_groups(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """IQ-Learn's rows split by variant (offline, online), in that order."""
    groups = [[r for r in rows if r["algo"] == a] for a in ("IQ-Learn offline", "IQ-Learn online")]
    return [g for g in groups if g]


def _extra_setting(r0: dict[str, Any]) -> str:
    if r0["algo"] == "IQ-Learn offline":
        return f"{r0['grad_steps']} gradient steps, offline, 1 demonstration"
    return f"{r0['env_steps']} env steps, 10 demonstrations" + (
        ", online" if r0["algo"] == "IQ-Learn online" else ""
    )


def run_sqil(seeds: list[int], work: Path, options: dict[str, Any]) -> list[dict[str, Any]]:
    """SQIL (SAC) on Pendulum-v1 from the anchors' 10 demonstrations."""
    rows = run_extra("sqil", "Pendulum-v1", None, SQIL_STEPS, {}, seeds, work, options)
    return [{"algo": "SQIL", "demos": 10, "env_steps": SQIL_STEPS, **r} for r in rows]


def plot_reward_example() -> str:
    """AIRL's exported CartPole-v1 reward over (pole angle, pole angular velocity), seed 0, 60 rounds."""
    from mimetic.rewards.plot import plot_reward_slice

    task = "CartPole-v1"
    spec = ALGORITHMS.get("airl")
    seed_everything(0)
    learner = spec.build(anchors.dataset(task), spec.default_config(task), env_id=task, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(60):
        learner.update(learner.sample(rng))
    path = IMG / "airl_cartpole_reward.png"
    plot_reward_slice(
        learner.exported_reward(),
        path,
        dims=(2, 3),
        lows=(-0.21, -2.0),
        highs=(0.21, 2.0),
        labels=("pole angle (rad)", "pole angular velocity (rad/s)"),
    )
    return str(path.relative_to(ROOT))


# ---- the anchors --------------------------------------------------------------------------------
@functools.cache  # read once: every aggregate entry and target asks for it again
def anchor_runs() -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = json.loads((ANCHORS / "imitation" / "results.json").read_text())["runs"]
    return runs


def anchor_rows() -> list[dict[str, Any]]:
    """imitation's GAIL/AIRL at its docs budget and the long budget, aggregated over seeds."""
    rows = []
    for algo in ("GAIL", "GAIL_long", "AIRL", "AIRL_long"):
        for task in BUDGET:
            mine = [r for r in anchor_runs() if r["algo"] == algo and r["task"] == task]
            if not mine:
                continue
            norm = [r["normalized"] for r in mine]
            rows.append(
                {
                    "library": "imitation 1.0.1 (recorded)",
                    "algo": algo,
                    "task": task,
                    "seeds": len(mine),
                    "env_steps": mine[0]["env_steps"],
                    "normalized_mean": round(float(np.mean(norm)), 3),
                    "normalized_std": round(float(np.std(norm)), 3),
                    "wall_s_mean": round(float(np.mean([r["train_wall_s"] for r in mine])), 2),
                    "cpu_s_mean": round(float(np.mean([r["train_cpu_s"] for r in mine])), 2),
                }
            )
    return rows


def imitation_best(algo: str, task: str) -> float | None:
    """imitation's best mean normalized score for this algorithm and task (docs or long budget); None
    where it has no runs."""
    rows = [r for r in anchor_rows() if r["algo"].split("_")[0] == algo and r["task"] == task]
    return max((r["normalized_mean"] for r in rows), default=None)


def targets(algo: str, task: str) -> tuple[float, ...]:
    """The scores whose time to reach is reported: the fixed ones and imitation's best, where it has one."""
    best = imitation_best(algo, task)
    return THRESHOLDS if best is None else (*THRESHOLDS, best)


def imitation_time_to(algo: str, task: str, target: float, clock: str = "wall") -> float | None:
    """The first of imitation's two recorded budgets whose mean score reaches `target` (an upper
    bound on its time to get there: only two points of its learning curve were recorded)."""
    rows = sorted(
        (r for r in anchor_rows() if r["algo"].split("_")[0] == algo and r["task"] == task),
        key=lambda r: r["env_steps"],
    )
    hit = next((r for r in rows if r["normalized_mean"] >= target - 1e-9), None)
    return None if hit is None else hit[f"{clock}_s_mean"]


# ---- aggregation, plots, docs ---------------------------------------------------------------------
def aggregate(rows: list[dict[str, Any]], rl_alone: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for task in ALL_BUDGETS:
        for algo in ("GAIL", "AIRL", "DAC", "AIRL-SAC"):
            mine = [r for r in rows if r["algo"] == algo and r["task"] == task]
            if not mine:
                continue
            base = [r for r in rl_alone if r["task"] == task]
            best = imitation_best(algo, task)
            entry: dict[str, Any] = {
                "algo": algo,
                "task": task,
                "seeds": len(mine),
                "env_steps": mine[0]["env_steps"],
                "normalized_mean": round(float(np.mean([r["normalized"] for r in mine])), 3),
                "normalized_std": round(float(np.std([r["normalized"] for r in mine])), 3),
                "best_normalized_mean": round(float(np.mean([r["best_normalized"] for r in mine])), 3),
                "wall_s_mean": round(float(np.mean([r["wall_s"] for r in mine])), 2),
                "cpu_s_mean": round(float(np.mean([r["cpu_s"] for r in mine])), 2),
                "imitation_best": best,
            }
            for t in targets(algo, task):
                for clock in ("wall", "cpu"):
                    times = [r[f"{clock}_to_{t:.3f}"] for r in mine]
                    entry[f"{clock}_to_{t:.3f}"] = (
                        None if any(x is None for x in times) else round(float(np.mean(times)), 2)
                    )
                    entry[f"imitation_{clock}_to_{t:.3f}"] = imitation_time_to(algo, task, t, clock)
                entry[f"seeds_reaching_{t:.3f}"] = sum(x is not None for x in times)
            if base:
                entry["rl_alone_algo"] = base[0].get("algo", "PPO")  # rows saved before SAC baselines: PPO
                entry["rl_alone_cpu_s_mean"] = round(float(np.mean([b["cpu_s"] for b in base])), 2)
                entry["rl_alone_wall_s_mean"] = round(float(np.mean([b["wall_s"] for b in base])), 2)
                entry["overhead_cpu"] = round(entry["cpu_s_mean"] / entry["rl_alone_cpu_s_mean"], 2)
                scored = [b["normalized"] for b in base if "normalized" in b]
                if scored:
                    entry["rl_alone_normalized_mean"] = round(float(np.mean(scored)), 3)
                    entry["rl_alone_seeds"] = len(scored)
            averaged = [r["averaged_normalized"] for r in mine if "averaged_normalized" in r]
            if averaged and len(averaged) == len(mine):
                entry["averaged_normalized_mean"] = round(float(np.mean(averaged)), 3)
                entry["averaged_normalized_std"] = round(float(np.std(averaged)), 3)
            transfers = [r["transfer"]["normalized"] for r in mine if "transfer" in r]
            if transfers:
                entry["transfer_normalized_mean"] = round(float(np.mean(transfers)), 3)
                entry["transfer_normalized_std"] = round(float(np.std(transfers)), 3)
                entry["transfer_env_steps"] = mine[0]["transfer"]["env_steps"]
            out.append(entry)
    return out


def plot_curves(result: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for task in ALL_BUDGETS:
        rows = [r for r in [*result["rows"], *dac_part(result)["rows"]] if r["task"] == task]
        if not rows:
            continue
        has_peer = any(a["task"] == task for a in result["anchors"])
        fig, ax = plt.subplots(figsize=(7, 4))
        colors = {"GAIL": "tab:blue", "AIRL": "tab:orange", "DAC": "tab:green", "AIRL-SAC": "tab:red"}
        for algo, color in colors.items():
            mine = [r for r in rows if r["algo"] == algo]
            if not mine:
                continue
            # CPU seconds: the shared machine can stretch wall-clock but not CPU time; imitation's
            # runs were recorded on the idle machine, where its two clocks agree
            walls = np.mean([[c["cpu_s"] for c in r["curve"]] for r in mine], axis=0)
            scores = np.array([[c["normalized"] for c in r["curve"]] for r in mine])
            ax.plot(walls, scores.mean(0), color=color, label=f"mimetic {algo} (mean of {len(mine)} seeds)")
            ax.fill_between(walls, scores.min(0), scores.max(0), color=color, alpha=0.2)
            for anchor in (a for a in result["anchors"] if a["task"] == task and a["algo"].startswith(algo)):
                ax.errorbar(
                    anchor["cpu_s_mean"],
                    anchor["normalized_mean"],
                    yerr=anchor["normalized_std"],
                    fmt="s",
                    color=color,
                    mfc="white",
                    capsize=3,
                )
            if has_peer:
                ax.plot([], [], "s", color=color, mfc="white", label=f"imitation {algo} (docs / long budget)")
        ax.axhline(1.0, color="gray", lw=0.8, ls="--")
        ax.axhline(0.0, color="gray", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("training CPU time, s (one thread; log scale)")
        ax.set_ylabel("expert-normalized score")
        shown = [a for a in colors if any(r["algo"] == a for r in rows)]
        names = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
        ax.set_title(f"{task}: {names}, mimetic" + (" vs imitation 1.0.1" if has_peer else ""))
        ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        IMG.mkdir(parents=True, exist_ok=True)
        path = IMG / f"adversarial_{task.split('-')[0].lower()}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(str(path.relative_to(ROOT)))
    return written


def _t(x: float | None) -> str:
    return "not reached" if x is None else f"{x:.1f}"


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- adversarial:start -->", "<!-- adversarial:end -->"
    lines = [
        start,
        "## Adversarial imitation (GAIL, AIRL) against imitation 1.0.1; IQ-Learn and SQIL",
        "",
        f"Command: `{result['command'].strip()}` · date {result['date']} · {result['machine']}; load average "
        f"after the run {result['load_average_after']} (other jobs shared the 2 cores, so CPU seconds are given "
        "next to wall-clock).",
        "",
        "Data: the anchors' 10 expert episodes per task (`../shared/anchors/data/<task>_expert.npz`). Evaluation: "
        "the anchors' `common/evalproto.py` (20 episodes, seeds 10000–10019, deterministic), normalized with the "
        "expert/random means in `imitation/results.json`. Wall-clock: learner construction + training (collection, "
        "discriminator, relabelling, PPO); evaluations for the curves run with the clock stopped. Every mimetic "
        "run is an ordinary `mimetic train gail|airl|ppo|iq-learn|sqil` run, a trial of a `mimetic sweep` "
        "(`benchmarks/grid.py`, one trial at a time), and the clocks are the `train_s` / `train_cpu_s` of its "
        "metrics.jsonl; the final score re-evaluates its saved `policy/` with the anchors' protocol. mimetic uses "
        "each algorithm's default config for the task (`gail_preset`, `airl_preset`: the generator is the "
        "task's tuned PPO). imitation numbers are its recorded runs (docs budget 16,384 env steps, long budget "
        "196,608). Mean ± std over seeds; the final score is the last evaluation of the budget.",
        "",
        *_mujoco_header(result),
        "| library | algo | task | seeds | env steps | final normalized score | best eval | wall-clock s | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in result["aggregate"]:
        lines.append(
            f"| mimetic | {a['algo']} | {a['task']} | {a['seeds']} | {a['env_steps']} | {a['normalized_mean']:.2f} ± "
            f"{a['normalized_std']:.2f} | {a['best_normalized_mean']:.2f} | {a['wall_s_mean']:.2f} | {a['cpu_s_mean']:.2f} |"
        )
    for r in result["anchors"]:
        lines.append(
            f"| {r['library']} | {r['algo']} | {r['task']} | {r['seeds']} | {r['env_steps']} | {r['normalized_mean']:.2f} ± "
            f"{r['normalized_std']:.2f} | | {r['wall_s_mean']:.2f} | {r['cpu_s_mean']:.2f} |"
        )
    lines += [
        "",
        "Time to first reach a score (mimetic: mean over seeds of the first evaluation at or above it, "
        "'not reached' if any seed missed it within the budget; imitation: the first of its two recorded budgets "
        "whose mean reaches it, an upper bound since only two points of its curve exist). Speed-up = imitation's "
        "CPU s / mimetic's CPU s (CPU time is what the shared machine cannot inflate; imitation's runs were "
        "recorded on the idle machine, where its wall-clock and CPU time agree):",
        "",
        "| algo | task | target | mimetic wall s / CPU s (seeds reaching) | imitation wall s / CPU s | speed-up (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for a in result["aggregate"]:
        # imitation's best is a target of its own only when it is above the fixed ones
        best = a["imitation_best"]
        extra = (best,) if best is not None and best > THRESHOLDS[0] else ()
        for t in (*THRESHOLDS, *extra):
            ours, theirs = a[f"cpu_to_{t:.3f}"], a[f"imitation_cpu_to_{t:.3f}"]
            label = f"{t:.2f}" if t in THRESHOLDS else f"{t:.2f} (imitation's best)"
            speed = f"{theirs / ours:.1f}x" if ours and theirs else "–"
            peer = "no run" if best is None else f"{_t(a[f'imitation_wall_to_{t:.3f}'])} / {_t(theirs)}"
            lines.append(
                f"| {a['algo']} | {a['task']} | {label} | {_t(a[f'wall_to_{t:.3f}'])} / {_t(ours)} "
                f"({a[f'seeds_reaching_{t:.3f}']}/{a['seeds']}) | {peer} | {speed} |"
            )
    lines += [
        "",
        "Overhead of the adversarial loop: CPU seconds of GAIL/AIRL over the same PPO on the same env steps with "
        "the env's reward (goal: at most 1.5x); where measured, that PPO's own final normalized score, the "
        "generator's ceiling at the budget. AIRL transfer: a fresh PPO agent (seed + 100) trained on the "
        "exported reward only, scored on the true return.",
        "",
        "| algo | task | adversarial CPU s | PPO alone CPU s | overhead | PPO alone's score (seeds) | AIRL transfer (PPO env steps) |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in result["aggregate"]:
        tr = (
            f"{a['transfer_normalized_mean']:.2f} ± {a['transfer_normalized_std']:.2f} ({a['transfer_env_steps']})"
            if "transfer_normalized_mean" in a
            else "–"
        )
        ceiling = (
            f"{a['rl_alone_normalized_mean']:.2f} ({a['rl_alone_seeds']})"
            if "rl_alone_normalized_mean" in a
            else "–"
        )
        lines.append(
            f"| {a['algo']} | {a['task']} | {a['cpu_s_mean']:.2f} | {a.get('rl_alone_cpu_s_mean', float('nan')):.2f} | "
            f"{a.get('overhead_cpu', float('nan')):.2f}x | {ceiling} | {tr} |"
        )
    lines += _dac_section(result)
    lines += ["", "Goals of issue 7, measured:", ""]
    lines += [f"- {g}" for g in goals(result)]
    lines += ["", "Other methods (no anchor runs exist for them):", ""]
    if result.get("extras_run"):
        run = result["extras_run"]
        lines += [
            f"(Rerun on their own: `{run['command']}` · {run['date']} · {run['total_wall_s']:.0f} s.)",
            "",
        ]
    extras = [("IQ-Learn", g) for g in _iq_groups(result["iq_learn"])] + [("SQIL", result["sqil"])]
    for name, rows in extras:
        if rows:
            norm = [r["normalized"] for r in rows]
            r0 = rows[0]
            what = _extra_setting(r0)
            lines.append(
                f"- {name} on {r0['task']} ({what}): {np.mean(norm):.2f} ± {np.std(norm):.2f} normalized over "
                f"{len(rows)} seeds, {np.mean([r['wall_s'] for r in rows]):.1f} s wall ({np.mean([r['cpu_s'] for r in rows]):.1f} s CPU) each"
            )
    lines += ["", "Not run: " + NOT_RUN, ""]
    lines.append(
        "Learning curves against training CPU time (mimetic: mean and min–max band over seeds; imitation: its two "
        "recorded budgets, mean ± std over seeds):"
    )
    lines.append("")
    for img in result["plots"]:
        lines.append(f"![learning curves](img/{Path(img).name})")
    if result.get("reward_plot"):
        lines += [
            "",
            "AIRL's exported reward on CartPole-v1 (seed 0, 60 rounds), over the pole's angle and angular velocity "
            "with the cart at the demonstrations' mean state, best action (`mimetic.rewards.plot`):",
            "",
            f"![AIRL reward](img/{Path(result['reward_plot']).name})",
        ]
    lines += ["", "Raw JSON: `benchmarks/results/adversarial.json`.", end]
    write_section(DOC, start, end, "\n".join(lines))


def dac_part(result: dict[str, Any]) -> dict[str, Any]:
    """The off-policy rows (DAC, off-policy AIRL), SAC-alone rows and their aggregate (empty where --dac
    never ran)."""
    return result.get("dac") or {"rows": [], "sac_alone": [], "aggregate": []}


def every_aggregate(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The GAIL/AIRL aggregate and DAC's, in that order."""
    return [*result["aggregate"], *dac_part(result)["aggregate"]]


OFF_POLICY_TWIN = {"DAC": "GAIL", "AIRL-SAC": "AIRL"}
"""Each off-policy method's twin with a PPO generator (the same discriminator and reward)."""


def _average_windows(budgets: dict[str, dict[str, dict[str, int]]]) -> str:
    """The env steps of the checkpoints each method's mean policy averages, from its budgets ("120k-150k
    for DAC and ..."); budgets without periodic checkpoints (Pendulum-v1) save only the last one."""
    spans: dict[str, list[str]] = {}
    for algo, budget in budgets.items():
        for b in budget.values():
            if "checkpoint_every" not in b:
                continue
            first = b["rounds"] - (AVERAGE_LAST - 1) * b["checkpoint_every"]
            span = f"{first // 1000}k-{b['rounds'] // 1000}k"
            if span not in spans.setdefault(algo.upper(), []):
                spans[algo.upper()].append(span)
    return " and ".join(f"{', '.join(s)} for {algo}" for algo, s in spans.items())


def _small_h(configs: dict[str, dict[str, Any]]) -> str:
    """Where off-policy AIRL's h has widths of its own (`h_hidden_sizes`), as ", AIRL-SAC's h 32x32 on TASK"."""
    by_sizes: dict[str, list[str]] = {}
    for name, config in configs.items():
        algo, task = name.split("/")
        if algo == "airl-sac" and config.get("h_hidden_sizes") is not None:
            by_sizes.setdefault("x".join(map(str, config["h_hidden_sizes"])), []).append(task)
    return "".join(f", AIRL-SAC's h {sizes} on {', '.join(tasks)}" for sizes, tasks in by_sizes.items())


def _dac_section(result: dict[str, Any]) -> list[str]:
    """The off-policy methods (DAC, off-policy AIRL) against their PPO-generator twins on the same tasks."""
    dac, run = dac_part(result), result.get("dac_run")
    if not dac["aggregate"] or not run:
        return []
    steps = "; ".join(
        f"{algo.upper()}: " + ", ".join(f"{t} {b['rounds']:,}" for t, b in budget.items())
        for algo, budget in run["budget"].items()
    )
    lines = [
        "",
        "Off-policy generators: DAC (Kostrikov et al. 2019; `mimetic train dac`), GAIL's discriminator and reward "
        "with an off-policy SAC generator"
        + (
            ", and off-policy AIRL (Arnob 2020; `mimetic train airl-sac`), AIRL's shaped discriminator f = g + "
            "γh(s′) − h(s) as the logit (without −log q: Ghasemipour et al. 2019's off-policy form, see "
            "adversarial.md) with the same generator and `airl_preset`'s reward choices"
            if any(a["algo"] == "AIRL-SAC" for a in dac["aggregate"])
            else " (off-policy AIRL, `train airl-sac`, is not in these results yet: see adversarial.md)"
        )
        + ". One discriminator step and one SAC update per env step. "
        f"`{run['command'].strip()}` · {run['date']} · {run['total_wall_s']:.0f} s for the command (a rerun reuses "
        "the finished trials of its --work-dir)"
        + "".join(
            f"; the {', '.join(e['rows'])} rows are from `{e['command'].strip()}` · {e['date']}"
            for e in run.get("earlier", [])
        )
        + ". The same demonstrations, evaluation and normalization as the "
        f"GAIL/AIRL rows above; env steps: {steps}; `dac_preset` / `airl_sac_preset` (the task's SAC settings, "
        f"256x256 networks, a 200k replay; discriminator 100x100{_small_h(run['configs'])}, gradient penalty 10). "
        "CPU seconds exclude "
        "evaluation. The mean of the last 4 checkpoints is one policy whose weights are the mean of those saved "
        "at the run's last four checkpoints (`mimetic train --average-last 4`; on MuJoCo, checkpoints every 10k env steps, "
        f"so the policies at {_average_windows(run['budget'])}; the Pendulum-v1 runs save one checkpoint), scored like "
        "the final policy; training is the same run. "
        "The twin is the row above with a PPO generator (GAIL for DAC, AIRL for off-policy AIRL); "
        "transfer: a fresh PPO agent on the exported reward, as for AIRL.",
        "",
        "| algo | task | seeds | env steps | final (best eval) | mean of the last 4 checkpoints | CPU s | "
        "CPU s to 0.5 / 0.9 (seeds reaching) | transfer | twin final, env steps, CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for a in dac["aggregate"]:
        twin_algo = OFF_POLICY_TWIN.get(a["algo"])
        twin = next(
            (g for g in result["aggregate"] if g["algo"] == twin_algo and g["task"] == a["task"]), None
        )
        to = " / ".join(
            f"{_t(a[f'cpu_to_{t:.3f}'])} ({a[f'seeds_reaching_{t:.3f}']}/{a['seeds']})" for t in THRESHOLDS
        )
        peer = (
            "–"
            if twin is None
            else f"{twin_algo} {twin['normalized_mean']:.2f} ± {twin['normalized_std']:.2f}, "
            f"{twin['env_steps']:,}, {twin['cpu_s_mean']:.0f}"
        )
        tr = (
            f"{a['transfer_normalized_mean']:.2f} ± {a['transfer_normalized_std']:.2f}"
            if "transfer_normalized_mean" in a
            else "–"
        )
        averaged = (
            f"{a['averaged_normalized_mean']:.2f} ± {a['averaged_normalized_std']:.2f}"
            if "averaged_normalized_mean" in a
            else "–"
        )
        lines.append(
            f"| {a['algo']} | {a['task']} | {a['seeds']} | {a['env_steps']:,} | {a['normalized_mean']:.2f} ± "
            f"{a['normalized_std']:.2f} ({a['best_normalized_mean']:.2f}) | {averaged} | {a['cpu_s_mean']:.0f} | {to} | "
            f"{tr} | {peer} |"
        )
    for a in dac["aggregate"]:
        if "overhead_cpu" in a:
            lines += [
                "",
                f"{a['algo']}'s overhead on {a['task']}: {a['cpu_s_mean']:.1f} CPU s against {a['rl_alone_cpu_s_mean']:.1f} "
                f"for {a['rl_alone_algo']} alone on the same env steps with the env's reward, means over "
                f"{a['seeds']} and {a['rl_alone_seeds']} seeds ({a['overhead_cpu']:.2f}x; "
                f"{a['rl_alone_algo']} alone scored {a['rl_alone_normalized_mean']:.2f}).",
            ]
    return lines


def _mujoco_header(result: dict[str, Any]) -> list[str]:
    """How the MuJoCo rows were made, when they are in the results (they are run on their own: --mujoco)."""
    run = result.get("mujoco_run")
    if not run:
        return []
    refs = "; ".join(
        f"{t}: expert {r['expert']:.0f}, random {r['random']:.0f}" for t, r in run["reference"].items()
    )
    steps = ", ".join(f"{t} {b['rounds'] * 512:,}" for t, b in run["budget"].items())
    return [
        f"MuJoCo rows (imitation's runs on them: the next section): `{run['command'].strip()}` · {run['date']} · "
        f"{run['max_concurrent'] or 'one per core'} trials at once, {run['total_wall_s']:.0f} s for the command (a rerun "
        "reuses the finished trials of its --work-dir and only scores them). Data: 10 "
        "episodes of the zoo's SAC expert (`mimetic.zoo`, env seed 12345 as the anchors' demonstrations); the "
        f"reference returns are that expert and uniform random actions on the same 20 eval seeds ({refs}). "
        "The generator is the task's tuned PPO (`ppo_preset`: rl-baselines3-zoo's MuJoCo settings, one env x 512 "
        "steps, observation and reward normalization) and the discriminator has a gradient penalty of 10 "
        f"(`DISC_GRAD_PENALTY`). Env steps: {steps}; AIRL's transfer check was not run here.",
        "",
    ]


PRESET_CHANGED = {
    ("AIRL-SAC", "Hopper-v5"): "these rows ran the former preset (h 100x100, a constant actor step size). "
    "The current one (`airl_sac_preset`: h 32x32, the actor's step size down to 3e-5 over updates 145k-165k) "
    "ran its three seeds as `mimetic train airl-sac` runs outside this script: the mean policy of the last 4 "
    "checkpoints scored 0.9499 / 0.9505 / 0.9497, 0.9500 +- 0.0004 (met), the final ones 0.33 / 0.94 / 0.90 "
    "(docs/adversarial.md)",
}
"""Rows whose task preset changed after their recorded runs, and what the current preset measured."""


NOT_RUN = (
    "imitation's GAIL and AIRL on HalfCheetah-v5 and Hopper-v5 here: the anchor has no runs (nor demonstration "
    "files) for them and its venv has no v5 envs. benchmarks/adversarial_mujoco_peer.py runs them on these rows' "
    "demonstrations and budget (the next section)."
)


def goals(result: dict[str, Any]) -> list[str]:
    out = []
    every = every_aggregate(result)
    for a in every:
        met = a["normalized_mean"] >= 0.95
        line = f"{a['algo']} {a['task']}: final score {a['normalized_mean']:.2f} (goal >= 0.95: {'met' if met else 'not met'})"
        if "averaged_normalized_mean" in a:
            averaged = a["averaged_normalized_mean"]
            line += (
                f"; the mean policy of the last {AVERAGE_LAST} checkpoints {averaged:.2f} "
                f"({'met' if averaged >= 0.95 else 'not met'})"
            )
        if (a["algo"], a["task"]) in PRESET_CHANGED:
            line += f"; {PRESET_CHANGED[(a['algo'], a['task'])]}"
        out.append(line)
    cp = next((a for a in result["aggregate"] if a["algo"] == "GAIL" and a["task"] == "CartPole-v1"), None)
    if cp:
        t = cp[f"cpu_to_{cp['imitation_best']:.3f}"]
        w = cp[f"wall_to_{cp['imitation_best']:.3f}"]
        out.append(
            f"GAIL CartPole-v1 at imitation's best ({cp['imitation_best']:.2f}) within 4.5 s: "
            + (
                f"{t:.1f} CPU s, {w:.1f} wall s ({'met' if t <= 4.5 else 'not met'} on CPU time)"
                if t is not None
                else "not reached by every seed (not met)"
            )
        )
    for a in every:
        if "overhead_cpu" in a:
            out.append(
                f"{a['algo']} {a['task']} loop overhead over {a.get('rl_alone_algo', 'PPO')} alone: {a['overhead_cpu']:.2f}x CPU "
                f"(goal <= 1.5x: {'met' if a['overhead_cpu'] <= 1.5 else 'not met'})"
            )
    return out


def write_papers_rows(result: dict[str, Any]) -> None:
    cmd = f"`{result['command'].strip()}`"
    stamp = f"({result['date']}, benchmarks/results/adversarial.json)"

    def agg(algo: str) -> str:
        parts = []
        for a in (x for x in every_aggregate(result) if x["algo"] == algo):
            text = (
                f"{a['task']}: {a['normalized_mean']:.2f} ± {a['normalized_std']:.2f} after {a['env_steps']} env steps "
                f"in {a['cpu_s_mean']:.1f} CPU s"
            )
            best = a["imitation_best"]
            if best is not None:
                ours, theirs = a[f"cpu_to_{best:.3f}"], a[f"imitation_cpu_to_{best:.3f}"]
                text += (
                    f" (imitation 1.0.1's best {best:.2f}"
                    + (f" in {theirs:.1f} CPU s" if theirs is not None else "")
                    + (
                        f"; mimetic reached it in {ours:.1f} CPU s"
                        if ours is not None
                        else "; mimetic did not reach it on every seed"
                    )
                    + ")"
                )
            if "averaged_normalized_mean" in a:
                text += (
                    f" (the mean policy of its last {AVERAGE_LAST} checkpoints {a['averaged_normalized_mean']:.2f} "
                    f"± {a['averaged_normalized_std']:.2f})"
                )
            if "transfer_normalized_mean" in a:
                text += f", transfer to a fresh PPO agent {a['transfer_normalized_mean']:.2f}"
            run = result.get("mujoco_run")
            # the MuJoCo GAIL/AIRL rows ran on their own, with their own command and date
            if a["task"] in MUJOCO_BUDGET and run and algo not in OFF_POLICY_TWIN:
                text += f" (`{run['command'].strip()}`, {run['date']})"
            parts.append(text)
        if algo in OFF_POLICY_TWIN:  # the off-policy methods' tasks without rows yet
            done = {a["task"] for a in every_aggregate(result) if a["algo"] == algo}
            parts += [f"{t}: not in these results yet" for t in DAC_BUDGET if t not in done]
        return "; ".join(parts) or "not run"

    rows = {
        "| GAIL (Ho & Ermon 2016)": (
            "matches expert performance on classic control and MuJoCo tasks from a few expert trajectories, "
            "with far fewer expert samples than BC needs",
            agg("GAIL"),
        ),
        "| AIRL (Fu et al. 2018)": (
            "the shaped discriminator recovers a reward that is robust to changes in dynamics; a policy "
            "re-optimized on it performs like the expert",
            agg("AIRL"),
        ),
    }
    if dac_part(result)["aggregate"]:
        rows["| DAC (Kostrikov et al. 2019)"] = (
            "an off-policy generator (TD3 on a replay buffer, discriminator trained on replay samples) reaches "
            "expert performance on MuJoCo tasks with about 10x fewer env steps than GAIL",
            agg("DAC"),
        )
    if any(a["algo"] == "AIRL-SAC" for a in dac_part(result)["aggregate"]):
        rows["| Off-policy AIRL (Arnob 2020)"] = (
            "AIRL's discriminator with an off-policy (SAC) generator is sample efficient and imitates as well as "
            "the best adversarial methods on continuous control, and its learned reward still retrains a policy",
            agg("AIRL-SAC"),
        )
    iq = _iq_groups(result["iq_learn"])
    if iq:
        rows["| IQ-Learn (Garg et al. 2021, survey row #22)"] = (
            "non-adversarial inverse soft-Q learning; offline from 1 demonstration it reaches the expert's 500 "
            "on CartPole-v1 in ~3k steps (authors' README)",
            "; ".join(
                f"{g[0]['task']}, {_extra_setting(g[0])}: {np.mean([r['normalized'] for r in g]):.2f} ± "
                f"{np.std([r['normalized'] for r in g]):.2f} normalized ({len(g)} seeds, "
                f"{np.mean([r['wall_s'] for r in g]):.1f} s each)"
                for g in iq
            ),
        )
    sq = result["sqil"]
    if sq:
        norm = [r["normalized"] for r in sq]
        rows["| SQIL (Reddy et al. 2019)"] = (
            "soft Q-learning with reward 1 on demonstrations and 0 on own experience imitates as well as GAIL, "
            "without a discriminator",
            f"Pendulum-v1, 10 demonstrations, {sq[0]['env_steps']} env steps: {np.mean(norm):.2f} ± "
            f"{np.std(norm):.2f} normalized ({len(sq)} seeds, {np.mean([r['wall_s'] for r in sq]):.1f} s each)",
        )
    extras = result.get("extras_run")
    for prefix, (claim, ours) in rows.items():
        run_cmd, run_stamp = cmd, stamp
        own = result.get("dac_run") if prefix.startswith(("| DAC", "| Off-policy AIRL")) else None
        if own:  # partial --dac runs: cite every command that made this method's rows
            made = off_policy_commands(result, "DAC" if prefix.startswith("| DAC") else "AIRL-SAC")
            own = {
                "command": "` and `".join(r["command"].strip() for r in made),
                "date": ", ".join(sorted({r["date"] for r in made})),
            }
        if own is None and extras and not prefix.startswith(("| GAIL", "| AIRL", "| Off-policy AIRL")):
            own = extras  # rerun on their own (--extras-only)
        if own:
            run_cmd = f"`{own['command'].strip()}`"
            run_stamp = f"({own['date']}, benchmarks/results/adversarial.json)"
        upsert_row(PAPERS, prefix, f"{prefix} | {claim} | {run_cmd} | {ours} {run_stamp} |", PAPERS_HEADER)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", nargs="+", default=list(BUDGET), choices=list(BUDGET))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--no-extras", action="store_true", help="skip the IQ-Learn and SQIL rows")
    parser.add_argument(
        "--extras-only",
        action="store_true",
        help="rerun the IQ-Learn and SQIL rows only, keeping the GAIL/AIRL rows of the saved results JSON",
    )
    parser.add_argument(
        "--mujoco",
        action="store_true",
        help=f"run the MuJoCo rows only ({', '.join(MUJOCO_BUDGET)}; no anchor runs exist for them), keeping "
        "every other row of the saved results JSON",
    )
    parser.add_argument(
        "--dac",
        action="store_true",
        help=f"run the off-policy rows only (DAC and off-policy AIRL on {', '.join(DAC_BUDGET)}; SAC alone as the baseline on "
        f"{', '.join(DAC_BASELINE)}), keeping every other row of the saved results JSON",
    )
    parser.add_argument(
        "--dac-tasks",
        nargs="+",
        default=list(DAC_BUDGET),
        choices=list(DAC_BUDGET),
        help="with --dac: the tasks to run (a writing run replaces their rows and keeps the others)",
    )
    parser.add_argument(
        "--dac-algorithms",
        nargs="+",
        default=OFF_POLICY,
        choices=OFF_POLICY,
        help="with --dac: the off-policy methods to run (a writing run replaces their rows and keeps the others)",
    )
    parser.add_argument(
        "--dac-set",
        default=None,
        metavar="FIELD=VALUE",
        help="with --dac: run the off-policy methods with this config setting (`mimetic train --set`) in trial "
        "folders of their own, and write their rows to results/adversarial-set-FIELD=VALUE.json only "
        "(the main results and docs keep the default configs' rows)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    # one trial at a time by default: wall-clock against imitation's is the point
    add_sweep_args(parser, max_concurrent=1)
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the plots and docs from the saved results JSON"
    )
    args = parser.parse_args()
    if args.report_only:
        saved = json.loads(RESULTS.read_text())
        saved["plots"] = plot_curves(saved)
        saved["reward_plot"] = saved.get("reward_plot") or plot_reward_example()
        write_doc(saved)
        write_papers_rows(saved)
        print(
            f"rebuilt the plots, {DOC.relative_to(ROOT)} and {PAPERS.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}"
        )
        return
    torch.set_num_threads(1)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    rl_alone: list[dict[str, Any]] = []
    options = sweep_options(args)
    # rows this run does not redo stay as saved: the MuJoCo rows across a classic rerun, and so on
    keep_saved = args.extras_only or args.mujoco or args.dac
    saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    tasks = list(MUJOCO_BUDGET) if args.mujoco else [] if args.extras_only or args.dac else args.tasks
    dac = dac_part(saved)
    kept: list[dict[str, Any]] = []  # saved off-policy rows a partial --dac run leaves as they are
    if args.dac_set is not None:
        if not args.dac:
            parser.error("--dac-set needs --dac")
        run_setting(args, options, started)
        return
    with work_dir(args) as work:
        if args.dac:
            dac_rows, sac_alone = run_dac(args.dac_tasks, args.seeds, work, options, args.dac_algorithms)
            # a run over some tasks or methods replaces their rows and keeps the others
            ran = {(a.upper(), t) for a in args.dac_algorithms for t in args.dac_tasks}
            kept = [r for r in dac["rows"] if (r["algo"], r["task"]) not in ran]
            dac = {
                "rows": sorted(dac_rows + kept, key=_dac_order),
                "sac_alone": sac_alone + [r for r in dac["sac_alone"] if r["task"] not in args.dac_tasks],
            }
        for task in [] if args.mujoco else tasks:
            task_rows, task_rl = run_task(task, args.seeds, work, options)
            rows += task_rows
            rl_alone += task_rl
        if args.mujoco:
            rows, rl_alone = run_mujoco(args.seeds, work, options)
        # the rerun tasks' rows replace their saved ones; every other row stays
        rows += [r for r in saved.get("rows", []) if r["task"] not in tasks]
        rl_alone += [r for r in saved.get("rl_alone", []) if r["task"] not in tasks]
        extras = not (args.no_extras or args.mujoco or args.dac)
        iq = run_iq_offline(args.seeds, work, options) if extras else saved.get("iq_learn", [])
        iq += run_iq_online(args.seeds, work, options) if extras else []
        sqil = run_sqil(args.seeds, work, options) if extras else saved.get("sqil", [])
    result: dict[str, Any] = {
        "benchmark": "adversarial",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/adversarial.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "total_wall_s": round(time.perf_counter() - started, 1),
        "settings": {
            "budget": {t: BUDGET[t] for t in args.tasks},
            "transfer_ppo_iterations": TRANSFER_ITERS,
            "evaluation": "anchors/common/evalproto.py: 20 episodes, seeds 10000..10019, deterministic",
            "normalization": {
                t: dict(zip(("expert", "random"), anchors.reference(t), strict=True)) for t in args.tasks
            },
            "configs": {f"{a}/{t}": _config_json(a, t) for a in ("gail", "airl") for t in args.tasks},
        },
        "rows": rows,
        "rl_alone": rl_alone,
        "aggregate": aggregate(rows, rl_alone),
        "dac": {**dac, "aggregate": aggregate(dac["rows"], dac["sac_alone"])},
        "anchors": [r for r in anchor_rows() if r["task"] in args.tasks],
        "iq_learn": iq,
        "sqil": sqil,
        "not_run": NOT_RUN,
    }
    # how a partial run (--mujoco, --dac) was made, before the classic rows' header replaces this one's
    run_header = {k: result[k] for k in ("date", "command", "machine", "load_average_after", "total_wall_s")}
    if args.mujoco:
        result["mujoco_run"] = {
            **run_header,
            "budget": MUJOCO_BUDGET,
            "max_concurrent": args.max_concurrent,
            "reference": {
                t: dict(zip(("expert", "random"), reference(t), strict=True)) for t in MUJOCO_BUDGET
            },
            "configs": {f"{a}/{t}": _config_json(a, t) for a in ("gail", "airl") for t in MUJOCO_BUDGET},
        }
    elif "mujoco_run" in saved:
        result["mujoco_run"] = saved["mujoco_run"]
    if args.dac:
        result["dac_run"] = {
            **run_header,
            "budget": OFF_POLICY_BUDGET,
            "max_concurrent": args.max_concurrent,
            "configs": {f"{a}/{t}": _config_json(a, t) for a in OFF_POLICY for t in DAC_BUDGET},
            "earlier": earlier_dac_runs(saved.get("dac_run"), kept),
        }
    elif "dac_run" in saved:
        result["dac_run"] = saved["dac_run"]
    if args.extras_only:
        result["extras_run"] = {k: result[k] for k in ("date", "command", "machine", "total_wall_s")}
    elif "extras_run" in saved and not extras:
        result["extras_run"] = saved["extras_run"]
    if keep_saved:
        # the classic GAIL/AIRL rows' header stays that of the run that made them
        for key in (
            "date",
            "command",
            "machine",
            "load_average_after",
            "total_wall_s",
            "settings",
            "anchors",
        ):
            result[key] = saved[key]
    result["goals"] = goals(result)
    if not args.no_write:
        result["plots"] = plot_curves(result)
        result["reward_plot"] = plot_reward_example()
        atomic_write_text(RESULTS, json.dumps(result, indent=2) + "\n")
        write_doc(result)
        write_papers_rows(result)
        print(f"wrote {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} and {PAPERS.relative_to(ROOT)}")
    for g in result["goals"]:
        print(g)


def run_setting(args: argparse.Namespace, options: dict[str, Any], started: float) -> None:
    """--dac --dac-set: the off-policy rows with one config setting, against the same SAC-alone
    baseline, written to their own results file (printed; the docs are left alone)."""
    with work_dir(args) as work:
        rows, sac_alone = run_dac(
            args.dac_tasks, args.seeds, work, options, args.dac_algorithms, args.dac_set
        )
    result = {
        "benchmark": "adversarial, off-policy rows with one setting",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/adversarial.py " + " ".join(sys.argv[1:]),
        "set": args.dac_set,
        "total_wall_s": round(time.perf_counter() - started, 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "rows": rows,
        "sac_alone": sac_alone,
        "aggregate": aggregate(rows, sac_alone),
    }
    if not args.no_write:
        path = RESULTS.with_name(f"adversarial-set-{args.dac_set}.json")
        atomic_write_text(path, json.dumps(result, indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
    for a in result["aggregate"]:
        line = (
            f"{a['algo']} {a['task']} --set {args.dac_set}: final {a['normalized_mean']:.2f} ± "
            f"{a['normalized_std']:.2f} ({a['seeds']} seeds), {a['cpu_s_mean']:.1f} CPU s"
        )
        if "overhead_cpu" in a:
            line += f", {a['overhead_cpu']:.2f}x {a['rl_alone_algo']} alone"
        if "averaged_normalized_mean" in a:
            line += f", mean of the last {AVERAGE_LAST} checkpoints {a['averaged_normalized_mean']:.2f}"
        if "transfer_normalized_mean" in a:
            line += f", transfer {a['transfer_normalized_mean']:.2f} ± {a['transfer_normalized_std']:.2f}"
        print(line)


def _dac_order(row: dict[str, Any]) -> tuple[int, int, int]:
    """Off-policy rows in `OFF_POLICY`'s order, then `DAC_BUDGET`'s tasks, then seeds."""
    algos = [a.upper() for a in OFF_POLICY]
    return algos.index(row["algo"]), list(DAC_BUDGET).index(row["task"]), row["seed"]


def earlier_dac_runs(previous: dict[str, Any] | None, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The earlier --dac commands whose rows a partial run kept: each with its date and the "ALGO task"
    rows it made, so the doc can say which command made which row."""
    if previous is None or not kept:
        return []
    left = sorted({f"{r['algo']} {r['task']}" for r in kept})
    out = []
    for run in previous.get("earlier", []):
        rows = [k for k in run["rows"] if k in left]
        if rows:
            out.append({**run, "rows": rows})
            left = [k for k in left if k not in rows]
    if left:
        out.append({"command": previous["command"], "date": previous["date"], "rows": left})
    return out


def off_policy_commands(result: dict[str, Any], algo: str) -> list[dict[str, Any]]:
    """The --dac runs (command, date) that made `algo`'s saved rows: the latest run where it made any
    of them (those not listed under its "earlier"), then the earlier runs that made the rest."""
    run = result["dac_run"]
    mine = [e for e in run.get("earlier", []) if any(k.startswith(f"{algo} ") for k in e["rows"])]
    by_earlier = {k for e in mine for k in e["rows"]}
    made = {f"{r['algo']} {r['task']}" for r in dac_part(result)["rows"] if r["algo"] == algo}
    return ([run] if made - by_earlier else []) + mine


def _config_json(algo: str, task: str) -> dict[str, Any]:
    from mimetic.algorithms.base import config_to_dict

    return config_to_dict(ALGORITHMS.get(algo).default_config(task))


if __name__ == "__main__":
    main()
