"""Benchmark: imitation 1.0.1's GAIL and AIRL on HalfCheetah-v5 and Hopper-v5 beside mimetic's rows.

The anchors have no imitation runs on MuJoCo (their venv's gymnasium 0.29 has no v5 envs), so this
script runs them: `benchmarks/peers/imitation_adversarial.py` in its own venv
(`bash benchmarks/peers/setup_imitation_v5.sh`), with imitation's tuned settings for seals'
HalfCheetah and Hopper, on the very demonstration files mimetic's MuJoCo rows learned from
(`adversarial.demo_file`: 10 episodes of the zoo's SAC expert) and the same env-step budget as
mimetic's on-policy GAIL and AIRL (499,712). mimetic's rows are read from
benchmarks/results/adversarial.json (`benchmarks/adversarial.py --mujoco` and `--dac`), not rerun.
Both are scored with the anchors' protocol and normalized with the same expert/random returns.

Each peer run is one JSON file in `<work-dir>/imitation-mujoco/`, written when the run ends; a rerun
runs only the missing ones (`--report-only`: none).

    python benchmarks/adversarial_mujoco_peer.py --work-dir ../runs/bench-adversarial
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import adversarial  # noqa: E402
from docs_section import atomic_write_text, write_section  # noqa: E402

ROOT = adversarial.ROOT
RESULTS = ROOT / "benchmarks" / "results" / "adversarial_mujoco_peer.json"
PEER = ROOT / "benchmarks" / "peers" / "imitation_adversarial.py"
PEER_PYTHON = Path.home() / ".cache" / "mimetic-anchors" / "imitation-v5" / "bin" / "python"
TASKS = ("HalfCheetah-v5", "Hopper-v5")
STEPS = 499_712
"""mimetic's on-policy MuJoCo budget (976 rounds of 512); 122 of imitation's 4096-step GAIL rounds and 61
of its 8192-step AIRL rounds. imitation's tuned configs run 10M env steps; that is 3-4 CPU hours a seed here."""
EVAL_EVERY = 49_152
FAMILIES = {"GAIL": ("GAIL", "DAC"), "AIRL": ("AIRL", "AIRL-SAC")}
"""imitation's algorithm and mimetic's learners of the same objective (PPO and SAC generators)."""


def peer_path(work: Path, algo: str, task: str, seed: int) -> Path:
    return work / "imitation-mujoco" / f"{algo}-{task}-seed{seed}.json"


def run_peer(work: Path, algo: str, task: str, seed: int, python: Path) -> None:
    out = peer_path(work, algo, task, seed)
    demos = adversarial.demo_file(task, work)
    cmd = [
        str(python),
        str(PEER),
        "--algo",
        algo,
        "--task",
        task,
        "--demos",
        str(demos),
        "--seed",
        str(seed),
        "--timesteps",
        str(STEPS),
        "--eval-every",
        str(EVAL_EVERY),
        "--anchors",
        str(adversarial.ANCHORS),
        "--out",
        str(out),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".log"), "w") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"imitation {algo} {task} seed {seed} failed (rc {done.returncode}): see {out.with_suffix('.log')}"
        )


def peer_rows(work: Path, seeds: list[int], refs: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """The finished peer runs as rows shaped like adversarial.json's (normalized curve, final, clocks)."""
    rows = []
    for task in TASKS:
        expert, rand = refs[task]
        for algo in ("gail", "airl"):
            for seed in seeds:
                path = peer_path(work, algo, task, seed)
                if not path.is_file():
                    continue
                raw = json.loads(path.read_text())
                curve = [
                    {**p, "normalized": round((p["return"] - rand) / (expert - rand), 4)}
                    for p in raw["curve"]
                ]
                rows.append(
                    {
                        "library": "imitation",
                        "algo": algo.upper(),
                        "task": task,
                        "seed": seed,
                        "env_steps": raw["env_steps"],
                        "normalized": curve[-1]["normalized"],
                        "best_normalized": max(p["normalized"] for p in curve),
                        "wall_s": curve[-1]["wall_s"],
                        "cpu_s": curve[-1]["cpu_s"],
                        "curve": curve,
                        "settings": raw["settings"],
                        "versions": raw["versions"],
                    }
                )
    return rows


def first_reach(curve: list[dict[str, Any]], target: float, clock: str) -> float | None:
    return next((p[f"{clock}_s"] for p in curve if p["normalized"] >= target), None)


def summarize(rows: list[dict[str, Any]], targets: list[float]) -> dict[str, Any]:
    """Mean ± std of the final scores, mean clocks, and per target the mean CPU s of the seeds that reached it."""
    finals = [r["normalized"] for r in rows]
    out: dict[str, Any] = {
        "library": rows[0]["library"],
        "algo": rows[0]["algo"],
        "task": rows[0]["task"],
        "seeds": len(rows),
        "env_steps": rows[0]["env_steps"],
        "normalized_mean": round(float(np.mean(finals)), 3),
        "normalized_std": round(float(np.std(finals)), 3),
        "best_normalized_mean": round(float(np.mean([r["best_normalized"] for r in rows])), 3),
        "cpu_s_mean": round(float(np.mean([r["cpu_s"] for r in rows])), 1),
        "wall_s_mean": round(float(np.mean([r["wall_s"] for r in rows])), 1),
        "to": {},
    }
    if all(r.get("averaged_normalized") is not None for r in rows):
        out["averaged_mean"] = round(float(np.mean([r["averaged_normalized"] for r in rows])), 3)
    for t in targets:
        times = [first_reach(r["curve"], t, "cpu") for r in rows]
        hit = [x for x in times if x is not None]
        out["to"][f"{t:.3f}"] = {"cpu_s": round(float(np.mean(hit)), 1) if hit else None, "reached": len(hit)}
    return out


def peer_best(rows: list[dict[str, Any]]) -> float:
    """imitation's best mean-over-seeds score at any evaluation (its seeds share the eval schedule)."""
    n = min(len(r["curve"]) for r in rows)
    return max(float(np.mean([r["curve"][i]["normalized"] for r in rows])) for i in range(n))


def mimetic_rows(recorded: dict[str, Any], task: str, algos: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """mimetic's recorded rows (adversarial.json) of `task`, one group of seeds per algorithm in `algos`."""
    rows = [*recorded["rows"], *recorded["dac"]["rows"]]
    groups = [
        [{**r, "library": "mimetic"} for r in rows if r["algo"] == a and r["task"] == task] for a in algos
    ]
    return [g for g in groups if g]


def compare(peers: list[dict[str, Any]], recorded: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per task and algorithm family: imitation's summary, mimetic's learners' summaries."""
    out = []
    for task in TASKS:
        for family, ours in FAMILIES.items():
            theirs = [r for r in peers if r["task"] == task and r["algo"] == family]
            if not theirs:
                continue
            best = round(peer_best(theirs), 3)
            targets = sorted({0.5, 0.9, best})
            out.append(
                {
                    "task": task,
                    "family": family,
                    "imitation_best": best,
                    "imitation": summarize(theirs, targets),
                    "mimetic": [summarize(g, targets) for g in mimetic_rows(recorded, task, ours)],
                }
            )
    return out


def plot(peers: list[dict[str, Any]], recorded: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for task in TASKS:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        groups = [*mimetic_rows(recorded, task, ("GAIL", "AIRL", "DAC", "AIRL-SAC"))]
        groups += [[r for r in peers if r["task"] == task and r["algo"] == a] for a in ("GAIL", "AIRL")]
        for group in (g for g in groups if g):
            n = min(len(r["curve"]) for r in group)
            x = np.mean([[r["curve"][i]["cpu_s"] for i in range(n)] for r in group], axis=0)
            ys = np.array([[r["curve"][i]["normalized"] for i in range(n)] for r in group])
            lib = group[0]["library"]
            label = f"{lib} {group[0]['algo']} ({len(group)} seed{'s' if len(group) > 1 else ''})"
            line = ax.plot(x, ys.mean(axis=0), "--" if lib == "imitation" else "-", label=label)[0]
            ax.fill_between(x, ys.min(axis=0), ys.max(axis=0), color=line.get_color(), alpha=0.15)
        ax.axhline(0.95, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("training CPU s (log)")
        ax.set_ylabel("expert-normalized return")
        ax.set_title(f"{task}: mimetic vs imitation 1.0.1 (mean, min–max band)")
        ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        name = f"adversarial-mujoco-peer-{task}.png"
        adversarial.IMG.mkdir(parents=True, exist_ok=True)
        fig.savefig(adversarial.IMG / name, dpi=110)
        plt.close(fig)
        names.append(name)
    return names


def _cell(s: dict[str, Any], t: float) -> str:
    hit = s["to"][f"{t:.3f}"]
    if hit["cpu_s"] is None:
        return "not reached"
    return f"{hit['cpu_s']:.0f}" + (
        "" if hit["reached"] == s["seeds"] else f" ({hit['reached']}/{s['seeds']})"
    )


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- adversarial_mujoco_peer:start -->", "<!-- adversarial_mujoco_peer:end -->"
    lines = [
        start,
        "## Adversarial imitation on MuJoCo: mimetic against imitation 1.0.1",
        "",
        f"Command: `{result['command']}` · {result['date']} · {result['machine']}; two runs at a time on the two "
        f"cores ({result['peer_versions']}). imitation runs in its own venv (`benchmarks/peers/setup_imitation_v5.sh`: "
        "imitation 1.0.1 installed without its gymnasium 0.29 pin, beside the gymnasium, MuJoCo and SB3 mimetic "
        "uses) with its own tuned settings for seals' HalfCheetah and Hopper (`tuned_hps/{gail,airl}_seals_*`: "
        "PPO generator, rollouts of 4096 (GAIL) or 8192 (AIRL) steps over 8 envs, RunningNorm reward nets), on "
        f"the same demonstrations as mimetic's rows (10 zoo-expert episodes) for {STEPS:,} env steps (its "
        "configs run 10M). Both libraries are scored with the anchors' protocol (20 episodes, seeds "
        "10000–10019, deterministic) and the same expert/random returns. mimetic's rows are those of the "
        "section above (benchmarks/results/adversarial.json; not rerun here, other days and loads). CPU s: "
        "learner construction and training, evaluation excluded; time to a score: the mean CPU s of the seeds "
        "whose evaluations reached it (k/n where not all did; imitation evaluates every 49,152 steps, "
        "mimetic's PPO rows every 31,232 and its SAC rows every 5,000).",
        "",
        "| task | library | algorithm | seeds | env steps | final score | best | mean of last 4 | CPU s | "
        "CPU s to 0.5 | to 0.9 | to imitation's best |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["compare"]:
        best = c["imitation_best"]
        for s in [c["imitation"], *c["mimetic"]]:
            averaged = f"{s['averaged_mean']:.2f}" if "averaged_mean" in s else "–"
            lines.append(
                f"| {c['task']} | {s['library']} | {s['algo']} | {s['seeds']} | {s['env_steps']:,} | "
                f"{s['normalized_mean']:.2f} ± {s['normalized_std']:.2f} | {s['best_normalized_mean']:.2f} | "
                f"{averaged} | {s['cpu_s_mean']:.0f} | {_cell(s, 0.5)} | {_cell(s, 0.9)} | {_cell(s, best)} ({best:.2f}) |"
            )
    shown = {(s["algo"], c["task"]) for c in result["compare"] for s in c["mimetic"]}
    lines += [
        "",
        *(f"{a} {t}: {note}." for (a, t), note in adversarial.PRESET_CHANGED.items() if (a, t) in shown),
    ]
    lines += ["", *(f"![{n}](img/{n})" for n in result["plots"]), "", end]
    write_section(adversarial.DOC, start, end, "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work-dir", type=Path, default=ROOT.parent / "runs" / "bench-adversarial")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--peer-python", type=Path, default=PEER_PYTHON)
    parser.add_argument("--max-concurrent", type=int, default=2, help="peer runs at once (one per core)")
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the table and plots from finished runs"
    )
    args = parser.parse_args()
    work = args.work_dir.resolve()
    began = time.perf_counter()
    if not args.report_only:
        if not args.peer_python.is_file():
            raise SystemExit(
                f"no imitation venv at {args.peer_python}: run bash benchmarks/peers/setup_imitation_v5.sh"
            )
        todo = [
            (a, t, s)
            for s in args.seeds
            for t in TASKS
            for a in ("gail", "airl")
            if not peer_path(work, a, t, s).is_file()
        ]
        for task in TASKS:  # before the workers, so that two never write the same file
            adversarial.demo_file(task, work)
        with ThreadPoolExecutor(args.max_concurrent) as pool:
            list(pool.map(lambda job: run_peer(work, *job, args.peer_python), todo))
    recorded = json.loads(adversarial.RESULTS.read_text())
    refs = {t: tuple(recorded["mujoco_run"]["reference"][t][k] for k in ("expert", "random")) for t in TASKS}
    peers = peer_rows(work, args.seeds, refs)
    if not peers:
        raise SystemExit(f"no finished imitation runs in {work / 'imitation-mujoco'}")
    versions = peers[0]["versions"]
    command = "python benchmarks/adversarial_mujoco_peer.py " + " ".join(sys.argv[1:])
    if args.report_only and RESULTS.is_file():  # a rebuild keeps the command that ran the peers
        command = json.loads(RESULTS.read_text())["command"]
    result = {
        "benchmark": "adversarial_mujoco_peer",
        "date": date.today().isoformat(),
        "command": command,
        "machine": f"{os.cpu_count()} CPU cores",
        "peer_versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "reference": refs,
        "env_steps": STEPS,
        "wall_s": round(time.perf_counter() - began, 1),
        "peer_rows": peers,
        "compare": compare(peers, recorded),
        "plots": plot(peers, recorded),
    }
    atomic_write_text(RESULTS, json.dumps(result, indent=1) + "\n")
    write_doc(result)
    print(json.dumps([{k: c[k] for k in ("task", "family", "imitation_best")} for c in result["compare"]]))


if __name__ == "__main__":
    main()
