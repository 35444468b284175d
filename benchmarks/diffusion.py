"""Benchmark: BESO (diffusion policy) against BC on the multimodal `mimetic/Avoiding-v0` task.

Survey rows #51 (BESO, Reuss et al. 2023) and #33 (D3IL, Jia et al. 2024). For each env
(`mimetic/Avoiding-v0`, and `mimetic/AvoidingGoal-v0` with goals in the observation) and each seed:
  - demonstrations: the scripted multimodal expert (`AvoidingExpert`, 24 behaviours drawn evenly),
    recorded with `collect(..., info_keys=["mode", "success"])`;
  - policies: BESO (MLP denoiser, sampled with 3, 10 and 50 DDIM steps; on the goal env with guidance
    lambda = 1, the goal-conditioned policy, and lambda = 0, the goal-free one), BC-MLP, BC-GMM and
    BC-transformer, each an ordinary `mimetic train beso|bc` run, run as `mimetic sweep`s
    (`benchmarks/grid.py`; no evaluation during training); training time is the trial's wall-clock;
  - evaluation: episodes seeded 10000 + i, all in one synchronous vector env; success rate, D3IL's
    behaviour entropy over the successful rollouts' mode labels (log base 24), and the KL divergence
    from the rollouts' mode distribution to the demonstrations';
  - latency: seconds per `act` call at batch 1 (median of `--latency-calls` calls after a warm-up),
    measured after all training, in the main process, one policy at a time.

    python benchmarks/diffusion.py [--seeds 0 1 2] [--workers 2] [--beso-steps 8000] [--work-dir DIR]

Writes benchmarks/results/diffusion.json, the diffusion section of docs/benchmarks.md and
docs/img/avoiding_paths.png (rollout paths coloured by behaviour, per policy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, upsert_row, write_section  # noqa: E402
from grid import add_sweep_args, run_grid, sweep_options, work_dir  # noqa: E402

import mimetic.envs  # noqa: E402,F401  (registers the envs)
from mimetic.data import Dataset, save  # noqa: E402
from mimetic.envs.avoiding import NUM_MODES, AvoidingExpert  # noqa: E402
from mimetic.eval.diversity import behavior_entropy, kl_to_data  # noqa: E402
from mimetic.experts.collect import collect  # noqa: E402
from mimetic.policies import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "diffusion.json"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "img" / "avoiding_paths.png"
ENVS = ("mimetic/Avoiding-v0", "mimetic/AvoidingGoal-v0")
BESO_STEPS_PER_ACTION = (3, 10, 50)
HIDDEN = (256, 256, 256)
BESO_WINDOW = 10
BESO_LEARNING_RATE = 1e-3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=list(ENVS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--demos", type=int, default=200, help="expert episodes per seed")
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--beso-steps", type=int, default=12_000, help="BESO gradient steps")
    p.add_argument("--bc-steps", type=int, default=8000, help="BC-MLP and BC-GMM gradient steps")
    p.add_argument("--transformer-steps", type=int, default=3000, help="BC-transformer gradient steps")
    p.add_argument("--latency-calls", type=int, default=300)
    p.add_argument("--workers", type=int, default=2, help="processes for the rollouts")
    add_sweep_args(p, max_concurrent=None)
    p.add_argument("--no-write", action="store_true", help="print the JSON only")
    p.add_argument(
        "--docs-only", action="store_true", help="rewrite the docs from the saved JSON (the plot needs a run)"
    )
    return p.parse_args(argv)


# ---- one (env, seed): demonstrations, training, rollouts ------------------------------------
def demonstrations(env_id: str, seed: int, episodes: int) -> Dataset:
    return collect(AvoidingExpert(seed), env_id, episodes, seed * 100_000, info_keys=["mode", "success"])


def final_modes(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    modes = np.array([int(np.asarray(t.infos["mode"])[-1]) for t in dataset.episodes])
    success = np.array([bool(np.asarray(t.infos["success"])[-1]) for t in dataset.episodes])
    return modes, success


def rollouts(policy: Any, env_id: str, episodes: int, seed: int = 10_000) -> dict[str, Any]:
    """All episodes at once in a sync vector env; success, mode and the (x, y) path of each."""
    envs = gym.make_vec(env_id, num_envs=episodes, vectorization_mode="sync")
    obs, _ = envs.reset(seed=[seed + i for i in range(episodes)])
    state = policy.reset(episodes)
    done = np.zeros(episodes, bool)
    success = np.zeros(episodes, bool)
    modes = np.full(episodes, -1)
    positions = obs["observation"] if isinstance(obs, dict) else obs
    paths: list[list[list[float]]] = [[[round(float(v), 4) for v in p]] for p in positions]
    goals = obs["desired_goal"][:, 0].tolist() if isinstance(obs, dict) else None
    while not done.all():
        action, state = policy.act(obs, state, deterministic=True)
        obs, _, terminated, truncated, info = envs.step(action)
        live = ~done
        won = live & np.asarray(info["success"], bool)
        success |= won
        modes[won] = np.asarray(info["mode"])[won]
        positions = obs["observation"] if isinstance(obs, dict) else obs
        for i in np.flatnonzero(live):
            paths[i].append([round(float(v), 4) for v in positions[i]])
        done |= terminated | truncated
    envs.close()
    return {"success": success.tolist(), "modes": modes.tolist(), "paths": paths, "goals": goals}


def summarize(roll: dict[str, Any], data_modes: np.ndarray) -> dict[str, float]:
    success, modes = np.asarray(roll["success"]), np.asarray(roll["modes"])
    return {
        "success_rate": float(success.mean()),
        "behavior_entropy": behavior_entropy(modes, success, NUM_MODES),
        "kl_to_data": kl_to_data(modes, success, data_modes, NUM_MODES) if success.any() else float("nan"),
    }


def train_grid(
    env_id: str, seed: int, dataset: Path, args: argparse.Namespace, work: Path, options: dict[str, Any]
) -> dict[str, Path]:
    """BESO, BC-MLP, BC-GMM and BC-transformer on one demonstration set, as sweeps of ordinary
    `mimetic train beso|bc` runs (two, because the transformer gets its own step budget); returns
    each policy's run directory."""
    common = {
        "hidden-sizes": ",".join(map(str, HIDDEN)),
        "eval-every": 0,
        "no-report": True,
        "no-tensorboard": True,
    }
    spec = {
        "algorithms": ["beso", "bc"],
        "envs": [env_id],
        "seeds": [seed],
        "dataset": str(dataset),
        "args": common,
        "algorithm_args": {
            "beso": {
                "steps": args.beso_steps,
                "checkpoint-every": args.beso_steps,
                "learning-rate": BESO_LEARNING_RATE,
                "denoiser": "mlp",
                "obs-window": BESO_WINDOW,
            },
            "bc": {
                "steps": args.bc_steps,
                "checkpoint-every": args.bc_steps,
                "batch-size": 100,
                "policy": ["mlp", "gmm"],
            },
        },
    }
    name = f"{env_id.replace('/', '_')}-seed-{seed}"
    runs = run_grid(spec, work / name, options)
    transformer = {
        **spec,
        "algorithms": ["bc"],
        "algorithm_args": {
            "bc": {
                "steps": args.transformer_steps,
                "checkpoint-every": args.transformer_steps,
                "batch-size": 100,
                "policy": "transformer",
            }
        },
    }
    runs += run_grid(transformer, work / f"{name}-transformer", options)
    return {
        run.params.get("policy", "transformer" if run.trial.algorithm == "bc" else "beso"): run.run_dir
        for run in runs
    }


def evaluate_one(
    env_id: str, seed: int, run_dirs: dict[str, Path], args: argparse.Namespace
) -> dict[str, Any]:
    """Roll every trained policy (and BESO at each sampling setting) out; one (env, seed) per process."""
    torch.set_num_threads(1)
    demos = demonstrations(env_id, seed, args.demos)
    data_modes, data_success = final_modes(demos)
    demo_rollouts = {
        "success": data_success.tolist(),
        "modes": data_modes.tolist(),
        "paths": [
            np.asarray(t.obs["observation"] if isinstance(t.obs, dict) else t.obs).round(4).tolist()
            for t in demos.episodes[: args.eval_episodes]
        ],
    }
    rows: list[dict[str, Any]] = [
        {"policy": "demonstrations", **summarize(demo_rollouts, data_modes[data_success]), "train_s": 0.0}
    ]
    paths: dict[str, Any] = {"demonstrations": demo_rollouts}
    saved: dict[str, str] = {}
    for name in ("beso", "mlp", "gmm", "transformer"):
        run_dir = run_dirs[name]
        train_s = json.loads((run_dir / "trial.json").read_text())["wall_s_last_attempt"]
        policy = load(run_dir / "policy")
        variants: list[tuple[str, Any]] = []
        if name == "beso":
            for steps in BESO_STEPS_PER_ACTION:
                variants.append((f"beso-{steps}", {"steps": steps, "guidance": 1.0}))
            if isinstance(demos.episodes[0].obs, dict):
                variants.append(("beso-3-goal-free", {"steps": 3, "guidance": 0.0}))
        else:
            variants.append((f"bc-{name}", None))
        for label, sampling in variants:
            if sampling is not None:
                policy.diffusion.steps, policy.diffusion.guidance = sampling["steps"], sampling["guidance"]
            roll = rollouts(policy, env_id, args.eval_episodes)
            rows.append(
                {"policy": label, **summarize(roll, data_modes[data_success]), "train_s": round(train_s, 1)}
            )
            paths[label] = roll
            saved[label] = str(run_dir / "policy")
            if sampling is not None:
                out = run_dir / f"policy-{label}"
                policy.save(out)
                saved[label] = str(out)
    return {"env_id": env_id, "seed": seed, "rows": rows, "paths": paths, "saved": saved}


# ---- latency -----------------------------------------------------------------------------------
def latency_s(policy_dir: str, env_id: str, calls: int) -> float:
    """Median seconds per `act` at batch 1 on the env's first observation, after 20 warm-up calls."""
    torch.set_num_threads(1)
    policy = load(policy_dir)
    env = gym.make(env_id)
    obs, _ = env.reset(seed=0)
    env.close()
    batched = (
        {k: np.asarray(v)[None] for k, v in obs.items()} if isinstance(obs, dict) else np.asarray(obs)[None]
    )
    state = policy.reset(1)
    times = []
    for i in range(calls + 20):
        start = time.perf_counter()
        _, state = policy.act(batched, state, deterministic=True)
        if i >= 20:
            times.append(time.perf_counter() - start)
    return float(np.median(times))


# ---- aggregation, JSON, docs, plot -------------------------------------------------------------
def aggregate(
    runs: list[dict[str, Any]], latencies: dict[tuple[str, str], list[float]]
) -> list[dict[str, Any]]:
    out = []
    for env_id in dict.fromkeys(r["env_id"] for r in runs):
        labels = list(
            dict.fromkeys(row["policy"] for r in runs if r["env_id"] == env_id for row in r["rows"])
        )
        for label in labels:
            rows = [row for r in runs if r["env_id"] == env_id for row in r["rows"] if row["policy"] == label]
            agg: dict[str, Any] = {"env_id": env_id, "policy": label, "seeds": len(rows)}
            for key in ("success_rate", "behavior_entropy", "kl_to_data", "train_s"):
                values = np.array([row[key] for row in rows], dtype=float)
                agg[f"{key}_mean"] = float(np.nanmean(values)) if np.isfinite(values).any() else None
                agg[f"{key}_std"] = float(np.nanstd(values)) if np.isfinite(values).any() else None
            lat = latencies.get((env_id, label))
            agg["latency_ms_median"] = float(np.median(lat) * 1e3) if lat else None
            out.append(agg)
    return out


def goals(aggregate_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's acceptance goals, per env: BESO-3 vs BC-MLP, entropy vs the data, latency."""
    checks = {}
    for env_id in dict.fromkeys(r["env_id"] for r in aggregate_rows):
        by = {r["policy"]: r for r in aggregate_rows if r["env_id"] == env_id}
        beso, mlp, data = by["beso-3"], by["bc-mlp"], by["demonstrations"]
        checks[env_id] = {
            "success_beso3_ge_bc_mlp": beso["success_rate_mean"] >= mlp["success_rate_mean"],
            "entropy_beso3_ge_0.8_data": (beso["behavior_entropy_mean"] or 0.0)
            >= 0.8 * data["behavior_entropy_mean"],
            "latency_beso3_le_2ms": beso["latency_ms_median"] is not None
            and beso["latency_ms_median"] <= 2.0,
        }
    return checks


def fmt(value: float | None, std: float | None = None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if std is None else f"{value:.{digits}f} ± {std:.{digits}f}"


def write_doc(result: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    start, end = "<!-- diffusion:start -->", "<!-- diffusion:end -->"
    s = result["settings"]
    lines = [
        start,
        "## Diffusion policy (BESO) on the multimodal Avoiding task",
        "",
        f"Command: `{result['command']}` · date {result['date']} · {result['machine']}; load average "
        f"after the run {result['load_average_after']} (other jobs shared the 2 cores) · total {result['total_s']:.0f} s.",
        "",
        f"Data: {s['demos']} episodes of the scripted multimodal expert per seed (24 behaviours drawn evenly), "
        f"seeds {s['seeds']}. BESO: the MLP denoiser option {s['hidden_sizes']} (BESO's transformer costs "
        f"~30x more per step on this CPU), observation window {s['beso_obs_window']}, one action per sample, "
        f"DDIM with the exponential schedule (sigma 1 to 0.05), AdamW {s['beso_learning_rate']:g} (BESO: 1e-4, "
        f"raised for the short budget), batch 256, EMA 0.999, {s['beso_steps']} steps; on the goal env guidance "
        f"lambda = 1 unless marked goal-free (lambda = 0). BC: MLP {s['hidden_sizes']} and GMM (5 modes) for "
        f"{s['bc_steps']} steps; BC-transformer (context 10, width 64, 2 layers) for {s['transformer_steps']} "
        "steps (budgets reduced to keep the whole run near 20 minutes); batch 100, Adam 1e-3. "
        f"Evaluation: {s['eval_episodes']} episodes (seeds 10000+i) per seed; behaviour entropy (log base 24) "
        "over successful rollouts and KL to the demonstrations' mode distribution (D3IL); mean ± std over "
        "seeds. Latency: median milliseconds per `act` at batch 1 over seeds, one thread, one policy at a time, "
        "after all training.",
        "",
        "| env | policy | success rate | behaviour entropy | KL to data | latency ms/action | train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["aggregate"]:
        lines.append(
            f"| {r['env_id']} | {r['policy']} | {fmt(r['success_rate_mean'], r['success_rate_std'])} | "
            f"{fmt(r['behavior_entropy_mean'], r['behavior_entropy_std'])} | "
            f"{fmt(r['kl_to_data_mean'], r['kl_to_data_std'])} | {fmt(r['latency_ms_median'], digits=3)} | "
            f"{fmt(r['train_s_mean'], digits=0)} |"
        )
    lines += [
        "",
        "Goals (issue 8): BESO with 3 steps has success ≥ BC-MLP, behaviour entropy ≥ 0.8× the "
        "demonstrations', latency ≤ 2 ms per action.",
        "",
    ]
    lines += ["| env | success ≥ BC-MLP | entropy ≥ 0.8× data | latency ≤ 2 ms |", "|---|---|---|---|"]
    for env_id, c in result["goals"].items():
        marks = [
            "met" if c[k] else "not met"
            for k in ("success_beso3_ge_bc_mlp", "entropy_beso3_ge_0.8_data", "latency_beso3_le_2ms")
        ]
        lines.append(f"| {env_id} | {' | '.join(marks)} |")
    lines += [
        "",
        "![rollout paths coloured by behaviour](img/avoiding_paths.png)",
        "",
        "Rollout paths of seed 0 (first 100 episodes per policy), coloured by the behaviour label of the "
        "successful ones; failures in grey.",
        "",
        "Raw JSON: `benchmarks/results/diffusion.json`.",
        end,
    ]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


PAPERS = ROOT / "docs" / "papers.md"


def write_papers_rows(result: dict[str, Any]) -> None:
    """Replace (or append) this benchmark's two rows of docs/papers.md, leaving every other row alone."""
    by = {(r["env_id"], r["policy"]): r for r in result["aggregate"]}
    plain, goal = "mimetic/Avoiding-v0", "mimetic/AvoidingGoal-v0"
    command = (
        "`python benchmarks/diffusion.py` (success rate, behaviour entropy, KL to the data, latency at batch 1; "
        "scripted multimodal expert on mimetic/Avoiding-v0 and AvoidingGoal-v0)"
    )
    beso = by.get((plain, "beso-3"))
    mlp = by.get((plain, "bc-mlp"))
    data = by.get((plain, "demonstrations"))
    parts = []
    if beso and mlp and data:
        parts.append(
            f"Avoiding-v0: BESO-3 success {fmt(beso['success_rate_mean'])}, entropy "
            f"{fmt(beso['behavior_entropy_mean'])} (data {fmt(data['behavior_entropy_mean'])}), "
            f"{fmt(beso['latency_ms_median'], digits=2)} ms/action; BC-MLP success {fmt(mlp['success_rate_mean'])}"
        )
    cond, free = by.get((goal, "beso-3")), by.get((goal, "beso-3-goal-free"))
    if cond and free:
        parts.append(
            f"AvoidingGoal-v0: success lambda=1 {fmt(cond['success_rate_mean'])} vs lambda=0 "
            f"{fmt(free['success_rate_mean'])}"
        )
    rows = {
        "| BESO ": "| BESO (Reuss et al. 2023, #51) | a score-based diffusion policy keeps multimodal behaviour and "
        "acts with just 3 denoising steps; one model is goal-conditioned (CFG lambda=1) and goal-free (lambda=0) "
        f"| {command} | {'; '.join(parts) or 'not run'} (mean over {len(result['settings']['seeds'])} seeds; "
        f"{result['date']}, benchmarks/results/diffusion.json) |",
        "| D3IL ": "| D3IL metrics (Jia et al. 2024, #33) | behaviour entropy over successful rollouts (log base = number of behaviours) "
        "measures diversity; MLP-BC collapses modes, diffusion policies keep them "
        f"| {command} | "
        + "; ".join(
            f"{policy} entropy {fmt(by[(plain, policy)]['behavior_entropy_mean'])}, KL to data "
            f"{fmt(by[(plain, policy)]['kl_to_data_mean'])}"
            for policy in ("demonstrations", "beso-3", "bc-mlp", "bc-gmm", "bc-transformer")
            if (plain, policy) in by
        )
        + f" (Avoiding-v0; {result['date']}, benchmarks/results/diffusion.json) |",
    }
    for prefix, row in rows.items():
        upsert_row(PAPERS, prefix, row, PAPERS_HEADER)


def plot(paths_by_env: dict[str, dict[str, Any]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mimetic.envs.avoiding import GOAL_Y, OBSTACLE_RADIUS, ROW_OBSTACLES_X, ROW_Y, X_LIMIT

    labels = ["demonstrations", "beso-3", "beso-50", "bc-mlp", "bc-gmm", "bc-transformer"]
    envs = list(paths_by_env)
    fig, axes = plt.subplots(
        len(envs), len(labels), figsize=(2.6 * len(labels), 1.9 * len(envs)), squeeze=False
    )
    cmap = plt.get_cmap("tab20b", NUM_MODES)
    for r, env_id in enumerate(envs):
        for c, label in enumerate(labels):
            ax = axes[r][c]
            roll = paths_by_env[env_id].get(label)
            for y, row in zip(ROW_Y, ROW_OBSTACLES_X, strict=True):
                for x in row:
                    ax.add_patch(plt.Circle((x, y), OBSTACLE_RADIUS, color="black"))
            ax.axhline(GOAL_Y, color="green", lw=1)
            if roll is not None:
                for path, ok, mode in zip(roll["paths"], roll["success"], roll["modes"], strict=False):
                    p = np.asarray(path)
                    color = cmap(mode) if ok else (0.6, 0.6, 0.6, 0.5)
                    ax.plot(p[:, 0], p[:, 1], color=color, lw=0.8, alpha=0.8 if ok else 0.5)
            ax.set_xlim(-X_LIMIT, X_LIMIT)
            ax.set_ylim(-0.1, 1.1)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{label}" + ("" if c else f"\n{env_id.split('/')[-1]}"), fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.docs_only:
        saved = json.loads(RESULTS.read_text())
        write_doc(saved)
        write_papers_rows(saved)
        return
    torch.set_num_threads(1)
    begin = time.perf_counter()
    options = sweep_options(args)
    with work_dir(args) as work:
        jobs = []
        for env_id in args.envs:
            for seed in args.seeds:
                dataset = work / f"demos-{env_id.replace('/', '_')}-seed-{seed}.npz"
                if not dataset.exists():
                    save(demonstrations(env_id, seed, args.demos), dataset, format="npz")
                jobs.append((env_id, seed, train_grid(env_id, seed, dataset, args, work, options)))
        print(f"trained every policy at {time.perf_counter() - begin:.0f}s", flush=True)
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [pool.submit(evaluate_one, env_id, seed, dirs, args) for env_id, seed, dirs in jobs]
            runs = []
            for f in futures:
                runs.append(f.result())
                print(
                    f"evaluated {runs[-1]['env_id']} seed {runs[-1]['seed']} at {time.perf_counter() - begin:.0f}s",
                    flush=True,
                )
        latencies: dict[tuple[str, str], list[float]] = {}
        for run in runs:
            for label, policy_dir in run["saved"].items():
                latencies.setdefault((run["env_id"], label), []).append(
                    latency_s(policy_dir, run["env_id"], args.latency_calls)
                )
    rows = aggregate(runs, latencies)
    result = {
        "command": (
            "python benchmarks/diffusion.py " + " ".join(sys.argv[1:] if argv is None else argv)
        ).strip(),
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_average_after": round(os.getloadavg()[0], 2),
        "total_s": time.perf_counter() - begin,
        "settings": {
            "envs": args.envs,
            "seeds": args.seeds,
            "demos": args.demos,
            "eval_episodes": args.eval_episodes,
            "beso_steps": args.beso_steps,
            "beso_learning_rate": BESO_LEARNING_RATE,
            "beso_obs_window": BESO_WINDOW,
            "bc_steps": args.bc_steps,
            "transformer_steps": args.transformer_steps,
            "hidden_sizes": list(HIDDEN),
        },
        "aggregate": rows,
        "per_seed": [{"env_id": r["env_id"], "seed": r["seed"], "rows": r["rows"]} for r in runs],
    }
    result["goals"] = goals(rows)
    if args.no_write:
        print(json.dumps(result, indent=2))
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    first = {r["env_id"]: r["paths"] for r in runs if r["seed"] == args.seeds[0]}
    plot(first, PLOT)
    write_doc(result)
    write_papers_rows(result)
    print(json.dumps({"aggregate": rows, "goals": result["goals"]}, indent=2))


if __name__ == "__main__":
    main()
