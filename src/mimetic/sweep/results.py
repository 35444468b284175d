"""The sweep's results, rebuilt from the trials' run folders: `sweep.json`, `sweep.md` and `sweep.png`.

Nothing is kept in memory between runs of a sweep: every number comes from a trial's `trial.json`
(what ran, how long) and the Trainer's `eval.json` (returns), so an interrupted and resumed sweep, or
one whose trials ran on other machines, reports exactly what its folders hold.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mimetic.eval.reference import expert_normalized_score
from mimetic.sweep.spec import Trial
from mimetic.sweep.trial import TRIAL_FILE


@dataclass
class Cell:
    """The trials of one grid point that differ only in their seed."""

    algorithm: str
    env: str | None
    params: dict[str, Any]
    returns: list[float]
    normalized: list[float]
    wall_s: list[float]
    missing: int

    def to_json(self) -> dict[str, Any]:
        mean, std = _finite(*_mean_std(self.returns))
        nmean, nstd = _finite(*_mean_std(self.normalized))
        return {
            "algorithm": self.algorithm,
            "env": self.env,
            "params": self.params,
            "seeds": len(self.returns),
            "missing": self.missing,
            "return_mean": mean,
            "return_std": std,
            "normalized_mean": nmean,
            "normalized_std": nstd,
            "wall_s_mean": _finite(_mean_std(self.wall_s)[0])[0],
        }


def trial_row(trial: Trial, run_dir: Path) -> dict[str, Any]:
    """One trial's numbers from its folder; `finished` False where it has not finished."""
    row: dict[str, Any] = {**trial.to_json(), "finished": False}
    record_path, eval_path = run_dir / TRIAL_FILE, run_dir / "eval.json"
    if not record_path.is_file():
        return row
    record = json.loads(record_path.read_text())
    row.update(finished=True, attempts=record.get("attempts"), node=record.get("node"))
    row["wall_s"] = record.get("wall_s_last_attempt")
    if eval_path.is_file():
        summary = json.loads(eval_path.read_text())
        last = summary.get("last") or {}
        row["return"] = last.get("return_mean")
        row["history"] = [(h["step"], h["return_mean"]) for h in summary.get("history", [])]
        if row["return"] is not None and trial.env is not None:
            row["normalized"] = expert_normalized_score(trial.env, row["return"])
    return row


def cells(rows: list[dict[str, Any]]) -> list[Cell]:
    """Group trial rows by (algorithm, env, params); mean and std over seeds come from `Cell`."""
    groups: dict[str, Cell] = {}
    for row in rows:
        key = json.dumps([row["algorithm"], row["env"], row["params"]], sort_keys=True)
        cell = groups.setdefault(key, Cell(row["algorithm"], row["env"], row["params"], [], [], [], 0))
        if not row["finished"] or row.get("return") is None:
            cell.missing += 1
            continue
        cell.returns.append(float(row["return"]))
        if row.get("normalized") is not None:
            cell.normalized.append(float(row["normalized"]))
        if row.get("wall_s") is not None:
            cell.wall_s.append(float(row["wall_s"]))
    return list(groups.values())


def write_results(name: str, out: Path, rows: list[dict[str, Any]], wall_s: float) -> dict[str, Path]:
    """Write sweep.json, sweep.md and sweep.png into `out` (each atomically); return their paths."""
    grid = cells(rows)
    result = {
        "name": name,
        "trials": len(rows),
        "finished": sum(r["finished"] for r in rows),
        "sweep_wall_s": round(wall_s, 3),
        "cells": [c.to_json() for c in grid],
        "rows": rows,
    }
    paths = {"json": out / "sweep.json", "md": out / "sweep.md", "png": out / "sweep.png"}
    _atomic_text(paths["json"], json.dumps(result, indent=2) + "\n")
    _atomic_text(paths["md"], markdown(result))
    _plot(grid, rows, paths["png"])
    return paths


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# Sweep {result['name']}",
        "",
        f"{result['finished']} of {result['trials']} trials finished; this run of the sweep took "
        f"{result['sweep_wall_s']:.1f} s. Final evaluation return (and expert-normalized score where the "
        "env is in mimetic's reference table), mean ± std over seeds; wall-clock is per trial.",
        "",
        "| algorithm | env | params | seeds | return | normalized | wall-clock s |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in result["cells"]:
        params = ", ".join(f"{k}={v}" for k, v in c["params"].items()) or "-"
        seeds = f"{c['seeds']}" + (f" ({c['missing']} missing)" if c["missing"] else "")
        lines.append(
            f"| {c['algorithm']} | {c['env'] or '-'} | {params} | {seeds} | {_pm(c['return_mean'], c['return_std'])} | "
            f"{_pm(c['normalized_mean'], c['normalized_std'], 2)} | {_num(c['wall_s_mean'])} |"
        )
    lines += [
        "",
        "## Trials",
        "",
        "| trial | finished | attempts | return | wall-clock s |",
        "|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['key']} | {'yes' if r['finished'] else 'no'} | {r.get('attempts', '-')} | "
            f"{_num(r.get('return'))} | {_num(r.get('wall_s'))} |"
        )
    return "\n".join(lines) + "\n"


def _plot(grid: list[Cell], rows: list[dict[str, Any]], path: Path) -> None:
    """Score against demonstrations where the sweep varies them, else against training steps;
    one panel per env, one line per algorithm (mean, with a band of ± one std over seeds)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({c.env or "-" for c in grid})
    fig, axes = plt.subplots(1, len(envs), figsize=(5 * len(envs), 3.6), squeeze=False)
    by_demos = len({c.params.get("demos") for c in grid}) > 1
    for ax, env in zip(axes[0], envs, strict=True):
        mine = [c for c in grid if (c.env or "-") == env]
        for algorithm in sorted({c.algorithm for c in mine}):
            if by_demos:
                demo_counts = sorted({c.params["demos"] for c in mine if "demos" in c.params})
                points = sorted(
                    (c.params["demos"], *_mean_std(_score(c)))
                    for c in mine
                    if c.algorithm == algorithm and _score(c) and "demos" in c.params
                )
                flat = [c for c in mine if c.algorithm == algorithm and _score(c) and "demos" not in c.params]
                if not points and flat and demo_counts:
                    # an algorithm that takes no demonstrations (DAgger, PPO): one level across the axis
                    mean, std = _mean_std(_score(flat[0]))
                    points = [(float(n), mean, std) for n in (demo_counts[0], demo_counts[-1])]
            else:
                points = _curve([r for r in rows if r["algorithm"] == algorithm and (r["env"] or "-") == env])
            if not points:
                continue
            x, y, s = (list(v) for v in zip(*points, strict=True))
            ax.plot(x, y, marker="o", label=algorithm)
            ax.fill_between(
                x,
                [a - b for a, b in zip(y, s, strict=True)],
                [a + b for a, b in zip(y, s, strict=True)],
                alpha=0.2,
            )
        ax.set_title(env)
        ax.set_xlabel("demonstrations" if by_demos else "training step")
        ax.set_ylabel("expert-normalized score" if any(c.normalized for c in mine) else "return")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def _score(cell: Cell) -> list[float]:
    return cell.normalized or cell.returns


def _curve(rows: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """Mean ± std over seeds of the evaluation return at each step every seed evaluated."""
    per_step: dict[int, list[float]] = {}
    histories = [r.get("history") or [] for r in rows if r["finished"]]
    for history in histories:
        for step, ret in history:
            score = expert_normalized_score(rows[0]["env"], ret) if rows[0]["env"] else None
            per_step.setdefault(int(step), []).append(ret if score is None else score)
    complete = {s: v for s, v in per_step.items() if len(v) == len(histories)}
    return [(float(s), *_mean_std(v)) for s, v in sorted(complete.items())]


def _mean_std(values: list[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def _finite(*values: float) -> tuple[float | None, ...]:
    """NaN (no data) as None, so that sweep.json stays valid JSON."""
    return tuple(None if math.isnan(v) else v for v in values)


def _pm(mean: float | None, std: float | None, digits: int = 1) -> str:
    return "-" if mean is None or std is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _num(value: Any) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}"


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
