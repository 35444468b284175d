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
  - runs: mimetic's as one `mimetic sweep` per task (every trial a `mimetic train bc --no-report
    --no-tensorboard` run directory, one at a time by default), its wall-clock and CPU time from the
    trial's `trial.json` (the CLI call: dataset file read, network, all gradient steps, final
    checkpoint; no evaluation during training); imitation's BC_10k live in the anchors' venv
    (benchmarks/peers/imitation_bc.py) on the same episodes wherever no recorded anchor ran them,
    timed as the anchors time it (construction + training, warm process).
The anchors' numbers are read from their results.json files. Throughput: matmul FLOPs of the
policy's linear layers per step (forward, grad of the input except the first layer's, grad of the
weights), divided by the loop time in metrics.jsonl, next to `torch.mm` on the same shapes timed in
the same process: the ceiling. A checkpoint-selection study (robomimic protocol, survey row #8)
trains the 10-demo runs again with a validation split and evaluation during training.

    python benchmarks/bc.py [--tasks CartPole-v1 Pendulum-v1] [--demos 1 5 10 25] [--seeds 0 1 2]
        [--work-dir DIR] [--no-peers] [--report-only]

Writes benchmarks/results/bc.json and the bc section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import anchors  # noqa: E402
import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, upsert_row, write_section  # noqa: E402
from grid import add_sweep_args, run_grid, sweep_options, work_dir  # noqa: E402

from mimetic import zoo  # noqa: E402
from mimetic.data import Dataset, DatasetMetadata, Trajectory, save  # noqa: E402
from mimetic.eval.reference import REFERENCE_RETURNS  # noqa: E402
from mimetic.experts import collect  # noqa: E402
from mimetic.experts.sb3 import load_sb3  # noqa: E402
from mimetic.policies.learned import load as load_policy  # noqa: E402
from mimetic.sweep.spec import Trial  # noqa: E402
from mimetic.sweep.trial import TRIAL_FILE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ANCHORS = anchors.ANCHORS
RESULTS = ROOT / "benchmarks" / "results" / "bc.json"
LIVE_ANCHOR = ROOT / "benchmarks" / "results" / "anchors" / "imitation" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"

# Per task: the policy family and its budget. d3rlpy's BC settings (256x256 ReLU MLP, batch 100,
# Adam 1e-3) are mimetic's BC defaults; the step budgets are ours (the anchors use 10k).
TASKS: dict[str, dict[str, Any]] = {
    "CartPole-v1": {
        "policy": "discrete",
        "steps": 1_000,
        "hidden": [256, 256],
        "activation": "tanh",
        "batch": 100,
    },
    "Pendulum-v1": {
        "policy": "mlp",
        "steps": 2_000,
        "hidden": [128, 128],
        "activation": "relu",
        "batch": 256,
    },
    "HalfCheetah-v5": {
        "policy": "mlp",
        "steps": 2_000,
        "hidden": [256, 256],
        "activation": "relu",
        "batch": 100,
    },
    "Hopper-v5": {"policy": "mlp", "steps": 2_000, "hidden": [256, 256], "activation": "relu", "batch": 100},
}
"""Per task, our settings (d3rlpy's BC defaults otherwise: ReLU, [256, 256], batch 100, Adam 1e-3),
chosen on seeds 0-2 of the same runs, so they are tuned, and said so in the docs. CartPole: tanh, since
from one demonstration ReLU BC reached 0.85/1.00/0.90 and tanh 1.00 on all three (on Pendulum and Hopper
tanh was far worse). Pendulum: [128, 128] with batch 256, since from 5 demonstrations [256, 256] with
batch 100 had one seed at 0.77 (mean 0.92) and this had 0.95, in less time."""
ANCHOR_DATA, ZOO_DATA = "anchors", "zoo expert"


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


def layer_shapes(obs_dim: int, hidden: list[int], out_dim: int) -> list[tuple[int, int]]:
    dims = [obs_dim, *hidden, out_dim]
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


# ---- demonstrations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSet:
    """The n-episode demonstrations of one task, written once for both libraries."""

    n: int
    data: str
    dataset: Path
    """mimetic's npz dataset: what the sweep's `mimetic train bc --dataset` reads."""
    peer_file: Path
    """The same episodes in the anchors' npz layout with the spaces in its meta: what the peer reads."""


def space_json(space: gym.spaces.Space[Any]) -> dict[str, Any]:
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n)}
    assert isinstance(space, gym.spaces.Box)
    return {"type": "Box", "low": space.low.tolist(), "high": space.high.tolist()}


def write_demo_sets(task: str, counts: list[int], folder: Path) -> dict[int, DemoSet]:
    env = gym.make(task)
    meta = DatasetMetadata(
        observation_space=env.observation_space, action_space=env.action_space, env_id=task
    )
    peer_meta = {
        "env_id": task,
        "observation_space": space_json(env.observation_space),
        "action_space": space_json(env.action_space),
    }
    env.close()
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for n, (demos, data) in demo_sets(task, counts).items():
        dataset, peer_file = folder / f"{task}-demos-{n}.npz", folder / f"{task}-demos-{n}.anchors.npz"
        if dataset.is_file() and peer_file.is_file():
            # a rerun in the same --work-dir keeps the files its finished trials and peer runs used
            out[n] = DemoSet(n, data, dataset, peer_file)
            continue
        episodes = demos[:n]
        dataset = save(Dataset(episodes, meta), folder / f"{task}-demos-{n}.npz", overwrite=True)
        peer_file = folder / f"{task}-demos-{n}.anchors.npz"
        raw = [
            {"obs": e.obs, "acts": e.acts, "rews": e.rews, "terminated": bool(e.terminated)} for e in episodes
        ]
        anchors.evalproto().save_demos_npz(str(peer_file), raw, {**peer_meta, "source": data})
        out[n] = DemoSet(n, data, dataset, peer_file)
    return out


# ---- mimetic: a sweep per task ---------------------------------------------------------------------


def bc_sweep(
    task: str,
    sets: list[DemoSet],
    seeds: list[int],
    out: Path,
    sweep_opts: dict[str, Any],
    **args: Any,
) -> list[tuple[Trial, Path, DemoSet]]:
    """Run BC on `task` for every demo set and seed as one `mimetic sweep` (each trial an ordinary
    `mimetic train bc` run dir), and return (trial, run dir, demo set) per trial."""
    spec = {
        "algorithms": ["bc"],
        "envs": [task],
        "seeds": seeds,
        "datasets": {task: [str(d.dataset) for d in sets]},
        "steps": TASKS[task]["steps"],
        "args": {
            "no-report": True,
            "no-tensorboard": True,
            "eval-every": 0,
            "checkpoint-every": TASKS[task]["steps"],
            **args,
        },
        "algorithm_args": {
            "bc": {
                "policy": TASKS[task]["policy"],
                "batch-size": TASKS[task]["batch"],
                "hidden-sizes": ",".join(map(str, TASKS[task]["hidden"])),
                "activation": TASKS[task]["activation"],
            }
        },
    }
    by_path = {str(d.dataset): d for d in sets}
    runs = []
    for run in run_grid(spec, out, sweep_opts):
        dataset = run.trial.argv[run.trial.argv.index("--dataset") + 1]
        runs.append((run.trial, run.run_dir, by_path[str(Path(dataset).resolve())]))
    return runs


def mimetic_row(task: str, trial: Trial, run_dir: Path, demo: DemoSet) -> dict[str, Any]:
    record = json.loads((run_dir / TRIAL_FILE).read_text())
    lines = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    ev = anchors.evaluate(load_policy(run_dir / "policy"), task)
    return {
        "library": "mimetic",
        "task": task,
        "policy": TASKS[task]["policy"],
        "demos": demo.n,
        "data": demo.data,
        "seed": trial.seed,
        "grad_steps": TASKS[task]["steps"],
        "batch": TASKS[task]["batch"],
        "wall_s": record["wall_s_last_attempt"],
        "cpu_s": record.get("cpu_s_last_attempt"),
        "loop_s": lines[-1]["wall_s"],
        "attempts": record["attempts"],
        "return_mean": ev["mean"],
        "return_std": ev["std"],
        "normalized": round(normalized(ev["mean"], task), 4),
    }


# ---- the peer: imitation's BC, run live in the anchors' venv ------------------------------------


def peer_python() -> Path:
    return Path(
        os.environ.get(
            "MIMETIC_IMITATION_PYTHON", Path.home() / ".cache/mimetic-anchors/imitation/bin/python"
        )
    )


def _run_peer(demo: DemoSet, seeds: list[int], folder: Path) -> None:
    script = ROOT / "benchmarks" / "peers" / "imitation_bc.py"
    cmd = [str(peer_python()), str(script), "--demos", str(demo.peer_file), "--seeds", *map(str, seeds)]
    cmd += ["--out", str(folder)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise SystemExit(f"peer run failed ({' '.join(cmd)}):\n{done.stderr[-2000:]}")


def _same_peer_run(result: dict[str, Any], demo: DemoSet, seeds: list[int]) -> bool:
    """A finished peer run on this very file (same bytes) and these seeds can be reused."""
    return (
        result.get("demos_sha256") == _sha256(demo.peer_file) and [r["seed"] for r in result["runs"]] == seeds
    )


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_peer(task: str, n: int, data: str) -> bool:
    """Whether a recorded anchor already ran BC on exactly these demonstrations."""
    return data == ANCHOR_DATA and n == 10 and task in anchors.recorded_tasks()


def peer_runs(task: str, demo: DemoSet, seeds: list[int], out: Path) -> list[dict[str, Any]]:
    """imitation 1.0.1's BC (the anchor's BC_10k settings) on `demo`, trained in the anchors' venv by
    benchmarks/peers/imitation_bc.py, evaluated here with the anchors' protocol on the real env."""
    folder = out / f"{task}-demos-{demo.n}"
    done_before = folder / "results.json"
    if done_before.is_file() and _same_peer_run(json.loads(done_before.read_text()), demo, seeds):
        print(f"{folder}: reusing the finished peer runs", flush=True)
    else:
        _run_peer(demo, seeds, folder)
    result = json.loads(done_before.read_text())
    env = gym.make(task)
    rows = []
    for run in result["runs"]:
        policy = load_sb3(folder / run["policy"], env.observation_space, env.action_space)
        probe = np.load(folder / f"probe-seed{run['seed']}.npz")
        ours = np.asarray(policy.act(probe["obs"], deterministic=True)[0], dtype=np.float64)
        gap = float(np.max(np.abs(ours - probe["actions"])))
        if gap > 1e-5:
            raise SystemExit(f"{folder}: the rebuilt peer policy differs from imitation's predict by {gap}")
        ev = anchors.evaluate(policy, task)
        rows.append(
            {
                "library": "imitation 1.0.1 (live, this run's machine)",
                "algo": "BC 10k",
                "task": task,
                "demos": demo.n,
                "data": demo.data,
                "seed": run["seed"],
                "grad_steps": run["grad_steps"],
                "wall_s": run["train_wall_s"],
                "cpu_s": run["train_cpu_s"],
                "return_mean": ev["mean"],
                "normalized": round(normalized(ev["mean"], task), 4),
                "probe_max_abs_diff": gap,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    env.close()
    return rows


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds per (library, task, demos, data)."""
    out = []
    keys = sorted(
        {(r["library"], r["task"], r["demos"], r["data"]) for r in rows},
        key=lambda k: (list(TASKS).index(k[1]), k[2], k[0] != "mimetic"),
    )
    for library, task, n, data in keys:
        mine = [
            r for r in rows if (r["library"], r["task"], r["demos"], r["data"]) == (library, task, n, data)
        ]
        norm = [r["normalized"] for r in mine]
        wall = [r["wall_s"] for r in mine]
        cpu = [r["cpu_s"] for r in mine if r.get("cpu_s") is not None]
        out.append(
            {
                "library": library,
                "algo": mine[0].get("algo", "BC"),
                "task": task,
                "demos": n,
                "data": data,
                "seeds": len(mine),
                "grad_steps": mine[0]["grad_steps"],
                "normalized_mean": round(_mean_std(norm)[0], 3),
                "normalized_std": round(_mean_std(norm)[1], 3),
                "wall_s_mean": round(_mean_std(wall)[0], 2),
                "cpu_s_mean": round(_mean_std(cpu)[0], 2) if cpu else None,
                "return_mean": round(statistics.fmean(r["return_mean"] for r in mine), 1),
            }
        )
    return out


def selection_study(
    task: str, demo: DemoSet, seeds: list[int], out: Path, sweep_opts: dict[str, Any]
) -> list[dict[str, Any]]:
    """Robomimic's protocol: evaluate every checkpoint; best, last and validation-selected returns.
    The 10-demo runs again as a sweep, 10% of the episodes held out, evaluated (the anchors' 20 seeds,
    10000..10019) and checkpointed every tenth of the budget."""
    every = TASKS[task]["steps"] // 10
    runs = bc_sweep(
        task,
        [demo],
        seeds,
        out,
        sweep_opts,
        **{"eval-every": every, "eval-episodes": 20, "checkpoint-every": every, "valid-fraction": 0.1},
    )
    rows = []
    for trial, run_dir, _ in runs:
        s = json.loads((run_dir / "eval.json").read_text())
        entry = {
            "task": task,
            "seed": trial.seed,
            "demos": demo.n,
            "data": demo.data,
            "evaluations": len(s["history"]),
        }
        for key in ("best", "last", "selected_by_valid_loss"):
            entry[f"{key}_step"] = s[key]["step"]
            entry[f"{key}_normalized"] = round(normalized(s[key]["return_mean"], task), 4)
        rows.append(entry)
        print(json.dumps(entry), flush=True)
    return rows


def throughput_row(task: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    env = gym.make(task)
    obs_dim = int(np.prod(env.observation_space.shape or (1,)))
    space = env.action_space
    out_dim = int(space.n) if isinstance(space, gym.spaces.Discrete) else int(np.prod(space.shape or (1,)))
    env.close()
    shapes = layer_shapes(obs_dim, TASKS[task]["hidden"], out_dim)
    batch = TASKS[task]["batch"]
    flops = matmul_flops_per_step(shapes, batch)
    achieved = statistics.median(flops * r["grad_steps"] / r["loop_s"] / 1e9 for r in rows)
    ceiling = plain_matmul_gflops(shapes, batch)
    return {
        "task": task,
        "layers": [list(s) for s in shapes],
        "batch": batch,
        "matmul_mflop_per_step": round(flops / 1e6, 2),
        "steps_per_s_median": round(statistics.median(r["grad_steps"] / r["loop_s"] for r in rows), 1),
        "achieved_gflops": round(achieved, 2),
        "plain_matmul_gflops": round(ceiling, 2),
        "fraction_of_matmul": round(achieved / ceiling, 3),
    }


def run(
    tasks: list[str],
    demo_counts: list[int],
    seeds: list[int],
    selection: bool,
    work: Path,
    sweep_opts: dict[str, Any],
    peers: bool,
) -> dict[str, Any]:
    torch.set_num_threads(1)
    rows: list[dict[str, Any]] = []
    peer_rows: list[dict[str, Any]] = []
    not_run: list[str] = []
    throughput: list[dict[str, Any]] = []
    study: list[dict[str, Any]] = []
    if peers and not peer_python().is_file():
        not_run.append(
            f"the live imitation peer: no {peer_python()} (create it with `bash ../shared/anchors/imitation/setup.sh`)"
        )
        peers = False
    for task in tasks:
        if not anchors.trajectories(task) and not has_zoo_expert(task):
            not_run.append(f"{task}: no anchor demonstration file and no zoo expert")
            continue
        sets = write_demo_sets(task, demo_counts, work / "demos")
        for trial, run_dir, demo in bc_sweep(
            task, list(sets.values()), seeds, work / f"bc-{task}", sweep_opts
        ):
            rows.append(mimetic_row(task, trial, run_dir, demo))
            print(json.dumps(rows[-1]), flush=True)
        throughput.append(throughput_row(task, [r for r in rows if r["task"] == task]))
        print(json.dumps(throughput[-1]), flush=True)
        if peers:
            for demo in sets.values():
                if not recorded_peer(task, demo.n, demo.data):
                    peer_rows += peer_runs(task, demo, seeds, work / "peer")
        if selection and 10 in sets:
            study += selection_study(task, sets[10], seeds, work / f"bc-selection-{task}", sweep_opts)
    recorded = anchor_rows(
        ANCHORS / "imitation" / "results.json", "imitation 1.0.1 (recorded)", {"BC_10k": "BC 10k"}
    )
    recorded += anchor_rows(
        ANCHORS / "d3rlpy" / "results.json",
        "d3rlpy 2.8.1 (recorded)",
        {"BC": "BC 10k", "DiscreteBC_CartPole": "DiscreteBC 10k"},
    )
    live = anchor_rows(
        LIVE_ANCHOR, "imitation 1.0.1 (anchor run.py rerun on this machine type)", {"BC_10k": "BC 10k"}
    )
    return {
        "benchmark": "bc",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/bc.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            "tasks": {t: TASKS[t] for t in tasks},
            "learning_rate": 1e-3,
            "evaluation": "anchors/common/evalproto.py: 20 episodes, seeds 10000..10019, deterministic",
            "normalization": {t: dict(zip(("expert", "random"), reference(t), strict=True)) for t in tasks},
            "zoo_demos": "mimetic.zoo expert, env seeds 0..N-1, deterministic (where the anchors have no data)",
            "sweep": {k: v for k, v in sweep_opts.items()},
        },
        "rows": rows,
        "aggregate": aggregate(rows),
        "peer_rows": peer_rows,
        "peers_live": aggregate(peer_rows),
        "anchors": recorded,
        "anchors_live": live,
        "throughput": throughput,
        "checkpoint_selection": study,
        "not_run": "; ".join(not_run) or "nothing.",
    }


def goal_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per mimetic row (task, demos): the best peer on the same demonstrations (highest score, then
    fastest; the recorded anchors and the live imitation runs) against mimetic."""
    out = []
    peers_all = [{**r, "data": r.get("data", ANCHOR_DATA)} for r in result["anchors"]] + result["peers_live"]
    for m in (r for r in result["aggregate"] if r["library"] == "mimetic"):
        peers = [
            p for p in peers_all if (p["task"], p["demos"], p["data"]) == (m["task"], m["demos"], m["data"])
        ]
        if not peers:
            continue
        peer = max(peers, key=lambda r: (r["normalized_mean"], -r["wall_s_mean"]))
        out.append(
            {
                "task": m["task"],
                "demos": m["demos"],
                "data": m["data"],
                "peer": peer["library"].replace(", this run's machine", "") + " " + peer["algo"],
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


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def write_doc(result: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    start, end = "<!-- bc:start -->", "<!-- bc:end -->"
    s = result["settings"]
    budgets = ", ".join(
        f"{t}: {v['policy']} policy, MLP {v['hidden']} {v['activation']}, batch {v['batch']}, {v['steps']} steps"
        for t, v in s["tasks"].items()
    )
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
        f"{budgets}; Adam {s['learning_rate']:g} (settings per task chosen on these seeds: see `TASKS` in "
        "benchmarks/bc.py). "
        "mimetic runs as one `mimetic sweep` per task (every trial an ordinary `mimetic train bc "
        f"--no-report` run directory; sweep options {s.get('sweep', {})}, one trial at a time so that "
        "timings are not shared). Wall-clock: the whole trial, from the CLI call to the saved policy (dataset "
        "file read, normalizers, network, all gradient steps, final checkpoint; no evaluation during "
        "training, no report). imitation (live): benchmarks/peers/imitation_bc.py in the anchors' venv, the "
        "anchor's BC_10k settings (bc.BC defaults: FeedForward32Policy, batch 32; 10k batches) on the very same "
        "episodes, timed as the anchor times it (construction + training, warm process); its policy is rebuilt "
        "here without pickle (checked equal to imitation's own `predict` on 64 observations) and evaluated on "
        "the real env with the same protocol. Mean ± std over seeds.",
        "",
        "| library | algo | task | demos (data) | seeds | grad steps | expert-normalized score | wall-clock s | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    table = result["aggregate"] + result["peers_live"] + result["anchors"] + result["anchors_live"]
    table.sort(key=lambda r: (list(TASKS).index(r["task"]), r["demos"], r["library"] != "mimetic"))
    for r in table:
        lines.append(
            f"| {r['library']} | {r['algo']} | {r['task']} | {r['demos']} ({r.get('data', ANCHOR_DATA)}) | "
            f"{r['seeds']} | {r['grad_steps']} | "
            f"{r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} | {r['wall_s_mean']:.2f} | {_num(r['cpu_s_mean'])} |"
        )
    lines += [
        "",
        "Goal (issue 5): a score at least the best peer's, reached in at most 1/5 of its wall-clock, on every "
        "row: per task and demo count, against the peer with the highest score on the same episodes (the "
        "faster one on a tie; recorded anchors where they ran, the live imitation runs elsewhere):",
        "",
        "| task | demos (data) | best peer | peer score | peer wall s | mimetic score | mimetic wall s (CPU s) | time ratio | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for g in goal_rows(result):
        lines.append(
            f"| {g['task']} | {g['demos']} ({g['data']}) | {g['peer']} | {g['peer_score']:.2f} | "
            f"{g['peer_wall_s']:.1f} | {g['score']:.2f} | {g['wall_s']:.2f} ({_num(g['cpu_s'])}) | 1/{g['peer_wall_s'] / g['wall_s']:.1f} | "
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
    met = [g["met"] for g in goal_rows(result)]
    lines.insert(
        lines.index("Not run: " + result["not_run"]),
        f"Goal met on {sum(met)} of {len(met)} rows.\n",
    )
    lines += ["", "Raw JSON: `benchmarks/results/bc.json`.", end]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


PAPERS = ROOT / "docs" / "papers.md"
PAPERS_ROW_PREFIX = "| Behaviour cloning"


def _score(result: dict[str, Any], task: str, demos: int) -> str:
    rows = [
        r
        for r in result["aggregate"]
        if r["library"] == "mimetic" and r["task"] == task and r["demos"] == demos
    ]
    if not rows:
        return "not run"
    r = rows[0]
    data = " (zoo demos)" if r["data"] == ZOO_DATA else ""
    return f"{r['normalized_mean']:.2f} ± {r['normalized_std']:.2f} in {r['wall_s_mean']:.1f} s{data}"


def _peer(result: dict[str, Any], task: str) -> str:
    peers = [r for r in result["anchors"] if r["task"] == task]
    peers += [r for r in result["peers_live"] if r["task"] == task]
    return "; ".join(
        f"{r['library'].split(' (')[0]} {r['algo']} {r['demos']} demos {r['normalized_mean']:.2f} "
        f"in {r['wall_s_mean']:.1f} s"
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
        parts.append(f"{task}: {scores}" + (f" (peers: {peers})" if peers else " (no peer run)"))
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
    parser.add_argument("--no-peers", action="store_true", help="skip the live imitation runs")
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the docs section and papers row from the JSON"
    )
    # one trial at a time by default: the timings are the point, so trials do not share the cores
    add_sweep_args(parser, max_concurrent=1)
    args = parser.parse_args()
    if args.steps is not None:
        for spec in TASKS.values():
            spec["steps"] = args.steps
    if args.report_only:
        saved = json.loads(RESULTS.read_text())
        for row in saved["anchors_live"]:
            row["library"] = "imitation 1.0.1 (anchor run.py rerun on this machine type)"
        write_doc(saved)
        write_papers_row(saved)
        return
    with work_dir(args) as work:
        result = run(
            args.tasks,
            args.demos,
            args.seeds,
            not args.no_selection,
            work,
            sweep_options(args),
            not args.no_peers,
        )
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)
        write_papers_row(result)
        print(f"wrote {RESULTS.relative_to(ROOT)}, {DOC.relative_to(ROOT)} and {PAPERS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
