"""Benchmark: behaviour cloning side by side with the anchors (imitation 1.0.1, d3rlpy 2.8.1).

Same demonstration files, same evaluation protocol, same machine type as the recorded anchor runs
(`../shared/anchors/`, read here and only here):
  - data: `anchors/data/<task>_expert.npz` (10 deterministic expert episodes each), the first N
    episodes for N in --demos; where the anchors have no file (HalfCheetah-v5, Hopper-v5) or N is
    larger than the file holds (25), N episodes of mimetic's zoo expert instead (`mimetic.zoo`,
    env seeds 0..N-1, deterministic), and the row says so;
  - evaluation: `anchors/common/evalproto.py` itself: 20 episodes, env seeds 10000..10019,
    deterministic actions, one env; normalized with the expert/random means stored in
    `anchors/imitation/results.json` (for tasks the anchors did not run: mimetic's reference table,
    `mimetic.eval.reference`);
  - wall-clock: the whole `mimetic.train(...)` call (dataset to tensors, normalizers, network, all
    gradient steps, the final checkpoint and policy save), with evaluation during training and the
    run report off; as the anchors time construction + training only.
The anchors' numbers are read from their results.json files. Throughput: matmul FLOPs of the
policy's linear layers per step (forward, grad of the input except the first layer's, grad of the
weights), divided by the loop time in metrics.jsonl, next to `torch.mm` on the same shapes timed in
the same process: the ceiling. A checkpoint-selection study (robomimic protocol, survey row #8)
trains the 10-demo runs again with a validation split and evaluation during training.

    python benchmarks/bc.py [--tasks CartPole-v1 Pendulum-v1] [--demos 1 5 10 25] [--seeds 0 1 2]

Writes benchmarks/results/bc.json and the bc section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import anchors  # noqa: E402
import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, upsert_row, write_section  # noqa: E402

from mimetic import zoo  # noqa: E402
from mimetic.data import Dataset, DatasetMetadata, Trajectory  # noqa: E402
from mimetic.eval.reference import REFERENCE_RETURNS  # noqa: E402
from mimetic.experts import collect  # noqa: E402
from mimetic.policies import PolicyConfig  # noqa: E402
from mimetic.runtime import TrainerConfig, train  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = anchors.ANCHORS
RESULTS = ROOT / "benchmarks" / "results" / "bc.json"
LIVE_ANCHOR = ROOT / "benchmarks" / "results" / "anchors" / "imitation" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"

# Per task: the policy family and its budget. d3rlpy's BC settings (256x256 ReLU MLP, batch 100,
# Adam 1e-3) are mimetic's BC defaults; the step budgets are ours (the anchors use 10k).
TASKS: dict[str, dict[str, Any]] = {
    "CartPole-v1": {"policy": "discrete", "steps": 1_000},
    "Pendulum-v1": {"policy": "mlp", "steps": 2_000},
    "HalfCheetah-v5": {"policy": "mlp", "steps": 10_000},
    "Hopper-v5": {"policy": "mlp", "steps": 10_000},
}
ANCHOR_DATA, ZOO_DATA = "anchors", "zoo expert"
HIDDEN = (256, 256)
BATCH = 100


def has_zoo_expert(task: str) -> bool:
    return any(e.env_id == task and e.quality == "expert" for e in zoo.entries())


def zoo_demos(task: str, n: int) -> list[Trajectory]:
    """n deterministic episodes of mimetic's shipped expert for `task` (env seeds 0..n-1)."""
    return list(collect(zoo.load(task, "expert"), task, n, seed=0).episodes)


def demo_sets(task: str, counts: list[int]) -> dict[int, tuple[list[Trajectory], str]]:
    """Per demo count: the episodes to train on and where they come from (anchor file first)."""
    anchor = anchors.trajectories(task)
    needed = [n for n in counts if n > len(anchor)]
    extra = zoo_demos(task, max(needed)) if needed else []
    return {n: (anchor[:n], ANCHOR_DATA) if n <= len(anchor) else (extra[:n], ZOO_DATA) for n in counts}


def reference(task: str) -> tuple[float, float]:
    """(expert, random) mean returns on the 20 eval seeds, from the imitation anchor's results.json;
    tasks the anchors did not run use mimetic's reference table (its own seeds)."""
    if task in anchors.recorded_tasks():
        return anchors.reference(task)
    ref = REFERENCE_RETURNS[task]
    return ref.expert, ref.random


def normalized(ret: float, task: str) -> float:
    expert, rand = reference(task)
    return (ret - rand) / (expert - rand)


def _mean_std(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))


def anchor_rows(results_path: Path, library: str, algos: dict[str, str]) -> list[dict[str, Any]]:
    """Aggregate an anchor's per-seed runs (mean and std over seeds, as its RESULTS.md does)."""
    if not results_path.is_file():
        return []
    runs = json.loads(results_path.read_text())["runs"]
    rows = []
    for algo, label in algos.items():
        for task in TASKS:
            mine = [r for r in runs if r["algo"] == algo and r["task"] == task]
            if not mine:
                continue
            norm = [r["normalized"] for r in mine]
            wall = [r.get("train_wall_s", r.get("fit_wall_s")) for r in mine]
            cpu = [r.get("train_cpu_s", r.get("fit_cpu_s")) for r in mine]
            rows.append(
                {
                    "library": library,
                    "algo": label,
                    "task": task,
                    "demos": int(mine[0].get("demo_episodes", 10)),
                    "seeds": len(mine),
                    "grad_steps": mine[0].get("grad_steps", mine[0].get("n_steps")),
                    "normalized_mean": round(_mean_std(norm)[0], 3),
                    "normalized_std": round(_mean_std(norm)[1], 3),
                    "wall_s_mean": round(_mean_std(wall)[0], 2),
                    "cpu_s_mean": round(_mean_std(cpu)[0], 2),
                    "source": _shown(results_path),
                }
            )
    return rows


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return "../shared/anchors/" + str(path.relative_to(ANCHORS))


# ---- throughput ---------------------------------------------------------------------------------


def layer_shapes(obs_dim: int, out_dim: int) -> list[tuple[int, int]]:
    dims = [obs_dim, *HIDDEN, out_dim]
    return list(zip(dims[:-1], dims[1:], strict=True))


def matmul_flops_per_step(shapes: list[tuple[int, int]], batch: int) -> int:
    """Forward (B x i x o), grad of the weights (same), grad of the input (all but the first layer)."""
    total = 0
    for index, (i, o) in enumerate(shapes):
        total += 2 * batch * i * o * (2 if index == 0 else 3)
    return total


def plain_matmul_gflops(shapes: list[tuple[int, int]], batch: int, seconds: float = 1.0) -> float:
    """The same matmuls as one training step, with bare `torch.mm` on preallocated tensors."""
    gen = torch.Generator().manual_seed(0)
    xs = [torch.randn(batch, i, generator=gen) for i, _ in shapes]
    ws = [torch.randn(i, o, generator=gen) for i, o in shapes]
    gs = [torch.randn(batch, o, generator=gen) for _, o in shapes]

    def step() -> None:
        for index, (x, w, g) in enumerate(zip(xs, ws, gs, strict=True)):
            torch.mm(x, w)  # forward
            torch.mm(x.t(), g)  # grad of the weights
            if index:
                torch.mm(g, w.t())  # grad of the input

    for _ in range(50):
        step()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            step()
        n += 100
    elapsed = time.perf_counter() - start
    return matmul_flops_per_step(shapes, batch) * n / elapsed / 1e9


# ---- runs -----------------------------------------------------------------------------------------


def run_one(
    task: str,
    demos: list[Trajectory],
    n: int,
    seed: int,
    steps: int,
    tmp: Path,
    data: str = ANCHOR_DATA,
    **trainer_kw: Any,
) -> tuple[dict[str, Any], Any]:
    env = gym.make(task)
    meta = DatasetMetadata(
        observation_space=env.observation_space, action_space=env.action_space, env_id=task
    )
    env.close()
    dataset = Dataset(demos[:n], meta)
    spec = TASKS[task]
    kw: dict[str, Any] = {
        "eval_every": 0,
        "checkpoint_every": steps,
        "log_every": steps,
        "progress": False,
        "tensorboard": False,
        "report": False,
        **trainer_kw,
    }
    trainer = TrainerConfig(steps=steps, seed=seed, **kw)
    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    start, cpu_start = time.perf_counter(), time.process_time()
    result = train(
        "bc",
        dataset,
        env_id=task,
        run_dir=run_dir,
        policy=spec["policy"],
        batch_size=BATCH,
        net=PolicyConfig(hidden_sizes=HIDDEN),
        trainer=trainer,
        valid_fraction=0.1 if kw["eval_every"] else 0.0,
    )
    wall_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    loop_s = lines[-1]["wall_s"]
    ev = anchors.evaluate(result.policy, task)
    row = {
        "library": "mimetic",
        "task": task,
        "policy": spec["policy"],
        "demos": n,
        "data": data,
        "seed": seed,
        "grad_steps": steps,
        "batch": BATCH,
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "loop_s": round(loop_s, 3),
        "return_mean": ev["mean"],
        "return_std": ev["std"],
        "normalized": round(normalized(ev["mean"], task), 4),
    }
    return row, result


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    keys = sorted(
        {(r["task"], r["demos"], r["data"]) for r in rows}, key=lambda k: (list(TASKS).index(k[0]), k[1])
    )
    for task, n, data in keys:
        mine = [r for r in rows if r["task"] == task and r["demos"] == n and r["data"] == data]
        norm = [r["normalized"] for r in mine]
        wall = [r["wall_s"] for r in mine]
        cpu = [r["cpu_s"] for r in mine]
        out.append(
            {
                "library": "mimetic",
                "task": task,
                "demos": n,
                "data": data,
                "seeds": len(mine),
                "grad_steps": mine[0]["grad_steps"],
                "normalized_mean": round(_mean_std(norm)[0], 3),
                "normalized_std": round(_mean_std(norm)[1], 3),
                "wall_s_mean": round(_mean_std(wall)[0], 2),
                "cpu_s_mean": round(_mean_std(cpu)[0], 2),
                "return_mean": round(statistics.fmean(r["return_mean"] for r in mine), 1),
            }
        )
    return out


def selection_study(
    task: str, demos: list[Trajectory], seeds: list[int], tmp: Path, data: str
) -> list[dict[str, Any]]:
    """Robomimic's protocol: evaluate every checkpoint; best, last and validation-selected returns.
    Evaluation during training uses mimetic.evaluate on the anchors' 20 seeds (10000..10019)."""
    steps = TASKS[task]["steps"]
    every = steps // 10
    rows = []
    for seed in seeds:
        _, result = run_one(
            task,
            demos,
            len(demos),
            seed,
            steps,
            tmp,
            data,
            eval_every=every,
            eval_episodes=20,
            eval_seed=10_000,
            checkpoint_every=every,
            log_every=every,
        )
        s = result.summary
        entry = {
            "task": task,
            "seed": seed,
            "demos": len(demos),
            "data": data,
            "evaluations": len(s["history"]),
        }
        for key in ("best", "last", "selected_by_valid_loss"):
            entry[f"{key}_step"] = s[key]["step"]
            entry[f"{key}_normalized"] = round(normalized(s[key]["return_mean"], task), 4)
        rows.append(entry)
        print(json.dumps(entry), flush=True)
    return rows


def run(tasks: list[str], demo_counts: list[int], seeds: list[int], selection: bool) -> dict[str, Any]:
    torch.set_num_threads(1)
    rows: list[dict[str, Any]] = []
    not_run: list[str] = []
    throughput: list[dict[str, Any]] = []
    study: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("MIMETIC_BENCH_TMP")) as tmp:
        for task in tasks:
            if not anchors.trajectories(task) and not has_zoo_expert(task):
                not_run.append(f"{task}: no anchor demonstration file and no zoo expert")
                continue
            sets = demo_sets(task, demo_counts)
            # Warm-up (imports, first-call allocations), as the anchors time runs inside a warm process.
            first, first_data = sets[min(demo_counts)]
            run_one(task, first, 1, 0, 2, Path(tmp), first_data)
            for n in demo_counts:
                demos, data = sets[n]
                for seed in seeds:
                    row, _ = run_one(task, demos, n, seed, TASKS[task]["steps"], Path(tmp), data)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
            env = gym.make(task)
            obs_dim = int(np.prod(env.observation_space.shape or (1,)))
            space = env.action_space
            out_dim = (
                int(space.n) if isinstance(space, gym.spaces.Discrete) else int(np.prod(space.shape or (1,)))
            )
            env.close()
            shapes = layer_shapes(obs_dim, out_dim)
            flops = matmul_flops_per_step(shapes, BATCH)
            mine = [r for r in rows if r["task"] == task]
            achieved = statistics.median(flops * r["grad_steps"] / r["loop_s"] / 1e9 for r in mine)
            ceiling = plain_matmul_gflops(shapes, BATCH)
            throughput.append(
                {
                    "task": task,
                    "layers": [list(s) for s in shapes],
                    "batch": BATCH,
                    "matmul_mflop_per_step": round(flops / 1e6, 2),
                    "steps_per_s_median": round(
                        statistics.median(r["grad_steps"] / r["loop_s"] for r in mine), 1
                    ),
                    "achieved_gflops": round(achieved, 2),
                    "plain_matmul_gflops": round(ceiling, 2),
                    "fraction_of_matmul": round(achieved / ceiling, 3),
                }
            )
            print(json.dumps(throughput[-1]), flush=True)
            if selection and 10 in demo_counts:
                demos, data = sets[10]
                study += selection_study(task, demos, seeds, Path(tmp), data)
    recorded = anchor_rows(
        ANCHORS / "imitation" / "results.json", "imitation 1.0.1 (recorded)", {"BC_10k": "BC 10k"}
    )
    recorded += anchor_rows(
        ANCHORS / "d3rlpy" / "results.json",
        "d3rlpy 2.8.1 (recorded)",
        {"BC": "BC 10k", "DiscreteBC_CartPole": "DiscreteBC 10k"},
    )
    live = anchor_rows(LIVE_ANCHOR, "imitation 1.0.1 (live, this run's machine)", {"BC_10k": "BC 10k"})
    return {
        "benchmark": "bc",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/bc.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            "tasks": {t: TASKS[t] for t in tasks},
            "hidden_sizes": list(HIDDEN),
            "batch_size": BATCH,
            "learning_rate": 1e-3,
            "evaluation": "anchors/common/evalproto.py: 20 episodes, seeds 10000..10019, deterministic",
            "normalization": {t: dict(zip(("expert", "random"), reference(t), strict=True)) for t in tasks},
            "zoo_demos": "mimetic.zoo expert, env seeds 0..N-1, deterministic (where the anchors have no data)",
        },
        "rows": rows,
        "aggregate": aggregate(rows),
        "anchors": recorded,
        "anchors_live": live,
        "throughput": throughput,
        "checkpoint_selection": study,
        "not_run": "; ".join(not_run)
        or "nothing; the anchors ran no peer on HalfCheetah-v5 or Hopper-v5, so those rows have no peer.",
    }


def goal_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per task at 10 demos: the best recorded peer (highest score, then fastest) against mimetic."""
    out = []
    for task in TASKS:
        mine = [
            r
            for r in result["aggregate"]
            if r["task"] == task and r["demos"] == 10 and r["data"] == ANCHOR_DATA
        ]
        peers = [r for r in result["anchors"] if r["task"] == task]
        if not mine or not peers:
            continue
        peer = max(peers, key=lambda r: (r["normalized_mean"], -r["wall_s_mean"]))
        m = mine[0]
        out.append(
            {
                "task": task,
                "peer": f"{peer['library'].split(' (')[0]} {peer['algo']}",
                "peer_score": peer["normalized_mean"],
                "peer_wall_s": peer["wall_s_mean"],
                "score": m["normalized_mean"],
                "wall_s": m["wall_s_mean"],
                "cpu_s": m["cpu_s_mean"],
                "met": m["normalized_mean"] >= peer["normalized_mean"]
                and m["wall_s_mean"] <= peer["wall_s_mean"] / 5,
            }
        )
    return out


def live_anchor_note() -> str:
    """How the live imitation run compares with the recorded one, seed by seed."""
    live = json.loads(LIVE_ANCHOR.read_text())
    recorded = {
        (r["task"], r["algo"], r["seed"]): r["return"]["returns"]
        for r in json.loads((ANCHORS / "imitation" / "results.json").read_text())["runs"]
    }
    runs = [r for r in live["runs"] if r["algo"] == "BC_10k"]
    same = sum(recorded.get((r["task"], r["algo"], r["seed"])) == r["return"]["returns"] for r in runs)
    when = live.get("meta", {}).get("started_utc") or live.get("meta", {}).get("machine", {}).get(
        "date_utc", ""
    )
    return (
        f"Live anchor: `bash ../shared/anchors/imitation/setup.sh && ~/.cache/mimetic-anchors/imitation/bin/python "
        f"../shared/anchors/imitation/run.py --algos BC BC_10k --out {_shown(LIVE_ANCHOR.parent)}` on this machine "
        f"{when} (UTC), under the same shared load: {same} of {len(runs)} BC_10k runs returned exactly the "
        "recorded per-episode returns; only its timings differ."
    )


def write_doc(result: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    start, end = "<!-- bc:start -->", "<!-- bc:end -->"
    s = result["settings"]
    budgets = ", ".join(f"{t}: {v['policy']} policy, {v['steps']} steps" for t, v in s["tasks"].items())
    lines = [
        start,
        "## Behaviour cloning, side by side with the anchors",
        "",
        f"Command: `{result['command'].strip()}` · date {result['date']} · {result['machine']}; "
        f"load average after the run {result['load_average_after']} (other jobs shared the 2 cores).",
        "",
        f"Data: the anchors' demonstration files (`../shared/anchors/data/<task>_expert.npz`, the first N "
        f"episodes); where they have none (HalfCheetah-v5, Hopper-v5) or fewer than N (25 demos), N episodes "
        f"of mimetic's zoo expert (env seeds 0..N-1), marked 'zoo expert'. Evaluation: the anchors' `common/evalproto.py` (20 episodes, seeds 10000–10019, "
        f"deterministic), normalized with the expert/random means of `imitation/results.json` (tasks the anchors did "
        f"not run: mimetic's reference table). mimetic: "
        f"{budgets}; MLP {s['hidden_sizes']}, batch {s['batch_size']}, Adam {s['learning_rate']:g}. "
        "Wall-clock: the whole `mimetic.train` call (no evaluation during training, no report); the anchors "
        "time construction + training. Mean ± std over seeds.",
        "",
        "| library | algo | task | demos (data) | seeds | grad steps | expert-normalized score | wall-clock s | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    table = [{**r, "algo": "BC"} for r in result["aggregate"]] + result["anchors"] + result["anchors_live"]
    table.sort(key=lambda r: (list(TASKS).index(r["task"]), r["demos"], r["library"] != "mimetic"))
    for r in table:
        lines.append(
            f"| {r['library']} | {r['algo']} | {r['task']} | {r['demos']} ({r.get('data', ANCHOR_DATA)}) | "
            f"{r['seeds']} | {r['grad_steps']} | "
            f"{r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} | {r['wall_s_mean']:.2f} | {r['cpu_s_mean']:.2f} |"
        )
    lines += [
        "",
        "Goal (issue 5): a score at least the best peer's, reached in at most 1/5 of its wall-clock. Per task, "
        "10 demonstrations, against the recorded anchor with the highest score (the faster one on a tie):",
        "",
        "| task | best peer | peer score | peer wall s | mimetic score | mimetic wall s (CPU s) | time ratio | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for g in goal_rows(result):
        lines.append(
            f"| {g['task']} | {g['peer']} | {g['peer_score']:.2f} | {g['peer_wall_s']:.1f} | {g['score']:.2f} | "
            f"{g['wall_s']:.2f} ({g['cpu_s']:.2f}) | 1/{g['peer_wall_s'] / g['wall_s']:.1f} | "
            f"{'yes' if g['met'] else 'no'} |"
        )
    if result["anchors_live"]:
        lines += ["", live_anchor_note()]
    lines += [
        "",
        "Not run: " + result["not_run"],
        "",
        "Training throughput: matmul FLOPs of the policy's linear layers per step (forward, weight "
        "gradients, input gradients except the first layer's) over the training-loop time in "
        "`metrics.jsonl` (median over runs), next to bare `torch.mm` on the same shapes in the same process.",
        "",
        "| task | layers (in, out) | batch | MFLOP/step | steps/s | achieved GFLOP/s | torch.mm GFLOP/s | fraction |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in result["throughput"]:
        lines.append(
            f"| {t['task']} | {t['layers']} | {t['batch']} | {t['matmul_mflop_per_step']} | {t['steps_per_s_median']} | "
            f"{t['achieved_gflops']} | {t['plain_matmul_gflops']} | {t['fraction_of_matmul']:.0%} |"
        )
    if result["checkpoint_selection"]:
        lines += [
            "",
            "Checkpoint selection (robomimic protocol, survey row #8): the 10-demo runs again with 10% of the "
            "episodes held out, evaluated (same 20 seeds) and checkpointed every tenth of the budget. Scores "
            "are expert-normalized.",
            "",
            "| task | seed | best (step) | last (step) | selected by valid loss (step) |",
            "|---|---|---|---|---|",
        ]
        for r in result["checkpoint_selection"]:
            lines.append(
                f"| {r['task']} | {r['seed']} | {r['best_normalized']:.3f} ({r['best_step']}) | "
                f"{r['last_normalized']:.3f} ({r['last_step']}) | "
                f"{r['selected_by_valid_loss_normalized']:.3f} ({r['selected_by_valid_loss_step']}) |"
            )
    lines += ["", "Raw JSON: `benchmarks/results/bc.json`.", end]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


PAPERS = ROOT / "docs" / "papers.md"
PAPERS_ROW_PREFIX = "| Behaviour cloning"


def _score(result: dict[str, Any], task: str, demos: int) -> str:
    rows = [r for r in result["aggregate"] if r["task"] == task and r["demos"] == demos]
    if not rows:
        return "not run"
    r = rows[0]
    data = " (zoo demos)" if r["data"] == ZOO_DATA else ""
    return f"{r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} in {r['wall_s_mean']:.1f} s{data}"


def _peer(result: dict[str, Any], task: str) -> str:
    peers = [r for r in result["anchors"] if r["task"] == task]
    return "; ".join(
        f"{r['library'].split(' (')[0]} {r['algo']} {r['normalized_mean']:.2f} in {r['wall_s_mean']:.1f} s"
        for r in peers
    )


def write_papers_row(result: dict[str, Any]) -> None:
    """Replace the BC row of docs/papers.md with this run's numbers (creating the page if missing)."""
    parts = []
    for task in TASKS:
        counts = sorted({r["demos"] for r in result["aggregate"] if r["task"] == task})
        if not counts:
            continue
        scores = ", ".join(f"{n} demo{'s' if n > 1 else ''} {_score(result, task, n)}" for n in counts)
        peers = _peer(result, task)
        parts.append(f"{task}: {scores}" + (f" (peers, 10 demos: {peers})" if peers else " (no peer run)"))
    study = result["checkpoint_selection"]
    if study:
        for task in TASKS:
            mine = [r for r in study if r["task"] == task]
            if not mine:
                continue
            gap_last = statistics.fmean(r["best_normalized"] - r["last_normalized"] for r in mine)
            gap_sel = statistics.fmean(
                r["best_normalized"] - r["selected_by_valid_loss_normalized"] for r in mine
            )
            parts.append(
                f"checkpoint selection, {task}, {len(mine)} seeds: best - last {gap_last:.3f}, "
                f"best - validation-selected {gap_sel:.3f} (normalized score)"
            )
    row = (
        f"{PAPERS_ROW_PREFIX} (Pomerleau 1989, ALVINN); checkpoint selection (Mandlekar et al. 2021, robomimic, "
        "survey row #8) | BC learns a policy from expert demonstrations by supervised learning alone; "
        "robomimic: results vary with the stopping criterion, so every checkpoint is evaluated and the best, "
        "the last and the validation-selected one are reported | "
        f"`{result['command'].strip()}` (expert-normalized score, anchors' data and eval protocol) | "
        + "; ".join(parts)
        + f" ({result['date']}, benchmarks/results/bc.json) |"
    )
    upsert_row(PAPERS, PAPERS_ROW_PREFIX, row, PAPERS_HEADER)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--demos", nargs="+", type=int, default=[1, 5, 10, 25])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None, help="override every task's step budget")
    parser.add_argument("--no-selection", action="store_true", help="skip the checkpoint-selection study")
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    args = parser.parse_args()
    if args.steps is not None:
        for spec in TASKS.values():
            spec["steps"] = args.steps
    result = run(args.tasks, args.demos, args.seeds, not args.no_selection)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)
        write_papers_row(result)
        print(f"wrote {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} and {PAPERS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
