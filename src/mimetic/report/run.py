"""The report of a training run: `plots/*.png` and a self-contained `report.html` in the run directory.

It reads only what the run wrote (`config.json`, `metrics.jsonl`, `eval.json`), so it can be rebuilt
at any time with `mimetic report RUN_DIR`; the `Trainer` writes it once at the end of a run.

    from mimetic.report.run import write_run_report
    page = write_run_report("runs/bc-cartpole")      # runs/bc-cartpole/report.html
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

from mimetic.eval.reference import REFERENCE_RETURNS
from mimetic.report.html import HtmlReport

PLOT_DPI = 100
"""Resolution of the PNGs: small files, and the report stays quick to write at the end of every run."""

# Columns of metrics.jsonl that are bookkeeping, not training curves.
_NOT_CURVES = {"step", "wall_s"}


class ReportError(Exception):
    """A run directory that cannot be reported on; the message says which file is missing or broken."""


def read_metrics(run_dir: Path) -> list[dict[str, Any]]:
    """The records of `metrics.jsonl`, stopping at a line cut off by a kill (as the Trainer does)."""
    path = run_dir / "metrics.jsonl"
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break
    return records


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ReportError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PLOT_DPI, bbox_inches="tight")
    return buf.getvalue()


def _curves(records: list[dict[str, Any]]) -> dict[str, tuple[list[int], list[float]]]:
    """Training curves: every numeric column that is not an evaluation, keyed by name."""
    curves: dict[str, tuple[list[int], list[float]]] = {}
    for r in records:
        for key, value in r.items():
            if key in _NOT_CURVES or key.startswith("eval/") or not isinstance(value, int | float):
                continue
            steps, values = curves.setdefault(key, ([], []))
            steps.append(int(r["step"]))
            values.append(float(value))
    return curves


def make_plots(
    records: list[dict[str, Any]], summary: dict[str, Any], env_id: str | None
) -> dict[str, bytes]:
    """PNG bytes keyed by file name: `loss.png` (training curves) and `eval_return.png` when the run
    evaluated, with the reference table's expert and random levels drawn."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, and the same output everywhere
    import matplotlib.pyplot as plt

    plots: dict[str, bytes] = {}
    curves = _curves(records)
    losses = {k: v for k, v in curves.items() if "loss" in k}
    others = {k: v for k, v in curves.items() if k not in losses}
    if curves:
        panels = [losses] if losses else []
        panels += [{k: v} for k, v in others.items()]
        fig, axes = plt.subplots(len(panels), 1, figsize=(8, 3.2 * len(panels)), sharex=True, squeeze=False)
        for ax, panel in zip(axes[:, 0], panels, strict=True):
            for name, (steps, values) in panel.items():
                ax.plot(steps, values, label=name, lw=1.3, marker="o" if name == "valid_loss" else None, ms=3)
            finite = [v for _, vs in panel.values() for v in vs if math.isfinite(v)]
            if finite and min(finite) > 0 and max(finite) / min(finite) > 20:
                ax.set_yscale("log")  # losses that fall by orders of magnitude
            ax.set_ylabel(" / ".join(panel))
            ax.grid(alpha=0.3)
            ax.legend(loc="best", fontsize=8)
        axes[0, 0].set_title("Training curves (loss: mean over each logging interval)")
        axes[-1, 0].set_xlabel("gradient step")
        plots["loss.png"] = _png(fig)
        plt.close(fig)

    evals = [r for r in records if "eval/return_mean" in r]
    if evals:
        steps = [int(r["step"]) for r in evals]
        mean = [float(r["eval/return_mean"]) for r in evals]
        std = [float(r.get("eval/return_std", 0.0)) for r in evals]
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.plot(steps, mean, marker="o", ms=4, lw=1.5, color="C0", label="eval return (mean)")
        ax.fill_between(
            steps,
            [m - s for m, s in zip(mean, std, strict=True)],
            [m + s for m, s in zip(mean, std, strict=True)],
            color="C0",
            alpha=0.15,
            label="± std over episodes",
        )
        ref = REFERENCE_RETURNS.get(env_id or "")
        if ref is not None:
            ax.axhline(ref.expert, color="C2", ls="--", lw=1.2, label=f"expert ({ref.expert:g})")
            ax.axhline(ref.random, color="C3", ls=":", lw=1.2, label=f"random ({ref.random:g})")
        for key, marker, color in (("best", "*", "gold"), ("selected_by_valid_loss", "D", "C4")):
            entry = summary.get(key)
            if isinstance(entry, dict) and "return_mean" in entry:
                ax.plot(
                    [entry["step"]],
                    [entry["return_mean"]],
                    marker=marker,
                    ms=11 if marker == "*" else 7,
                    color=color,
                    mec="k",
                    ls="none",
                    label=key.replace("_", " "),
                )
        ax.set_xlabel("gradient step")
        ax.set_ylabel("episode return")
        ax.set_title(f"Evaluation return{f' on {env_id}' if env_id else ''}")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        plots["eval_return.png"] = _png(fig)
        plt.close(fig)
    # interactive methods (DAgger, HG-DAgger, RLIF) log the expert labels or interventions spent
    budget = next((k for k in ("labels", "interventions") if any(k in r for r in evals)), None)
    if budget is not None:
        points = [(float(r[budget]), float(r["eval/return_mean"])) for r in evals if budget in r]
        fig, ax = plt.subplots(figsize=(8, 3.8))
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=4, lw=1.5, color="C1")
        ref = REFERENCE_RETURNS.get(env_id or "")
        if ref is not None:
            ax.axhline(ref.expert, color="C2", ls="--", lw=1.2, label=f"expert ({ref.expert:g})")
            ax.axhline(ref.random, color="C3", ls=":", lw=1.2, label=f"random ({ref.random:g})")
            ax.legend(loc="best", fontsize=8)
        ax.set_xlabel(f"expert {budget}")
        ax.set_ylabel("episode return")
        ax.set_title(f"Evaluation return against expert {budget}")
        ax.grid(alpha=0.3)
        plots[f"eval_return_vs_{budget}.png"] = _png(fig)
        plt.close(fig)
    return plots


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, list | tuple):
            flat[name] = ", ".join(str(v) for v in value) if value else "[]"
        else:
            flat[name] = value
    return flat


def _protocol_rows(summary: dict[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The robomimic table (survey row #8): best, last and validation-selected checkpoints, and the mean
    policy of the last checkpoints when the run exported one (`--average-last`)."""
    valid_at = {r["step"]: r["valid_loss"] for r in records if "valid_loss" in r}
    averaged = summary.get("averaged")
    steps = averaged.get("checkpoints", []) if isinstance(averaged, dict) else []
    rows = []
    for key, label in (
        ("best", "best"),
        ("last", "last"),
        ("selected_by_valid_loss", "selected by validation loss"),
        ("averaged", f"mean of the checkpoints at steps {', '.join(map(str, steps))} (policy/)"),
    ):
        entry = summary.get(key)
        if not isinstance(entry, dict) or (key == "averaged" and "return_mean" not in entry):
            continue
        rows.append(
            {
                "checkpoint": label,
                "step": entry.get("step"),
                "return mean": entry.get("return_mean"),
                "return std": entry.get("return_std"),
                "expert-normalized score": entry.get("expert_normalized_score"),
                "success rate": entry.get("success_rate"),
                "valid loss": entry.get("valid_loss", valid_at.get(entry.get("step"))),
            }
        )
    # drop columns no row has (no success rate on CartPole, no valid loss without a split)
    keep = [c for c in (rows[0] if rows else {}) if any(r[c] is not None for r in rows)]
    return [{c: r[c] for c in keep} for r in rows]


def build_report(run_dir: str | Path) -> tuple[HtmlReport, dict[str, bytes]]:
    """The report page and its plots (not yet written) for the run in `run_dir`."""
    run = Path(run_dir)
    if not run.is_dir():
        raise ReportError(f"{run}: no such run directory")
    if not (run / "metrics.jsonl").is_file():
        raise ReportError(f"{run}: not a run directory (no metrics.jsonl); train into it first")
    config = _read_json(run / "config.json")
    summary = _read_json(run / "eval.json")
    records = read_metrics(run)
    env_id = config.get("env_id")
    plots = make_plots(records, summary, env_id)

    algorithm = config.get("algorithm", "run")
    policy = config.get("algorithm_config", {}).get("policy")
    steps = summary.get("steps", records[-1]["step"] if records else 0)
    title = f"{algorithm}{f' ({policy})' if policy else ''}{f' on {env_id}' if env_id else ''}"
    report = HtmlReport(
        f"Run report: {title}",
        subtitle=f"{run.resolve()} · {steps} steps · written {dt.datetime.now().isoformat(timespec='seconds')}",
    )

    final = report.section("Final numbers")
    last_record = records[-1] if records else {}
    numbers: dict[str, Any] = {"gradient steps": steps, "training wall-clock (s)": last_record.get("wall_s")}
    for name, (_, values) in _curves(records).items():
        numbers[f"final {name}"] = values[-1]
    if "gap_best_minus_last" in summary:
        numbers["return gap, best - last"] = summary["gap_best_minus_last"]
    if "gap_best_minus_selected" in summary:
        numbers["return gap, best - selected"] = summary["gap_best_minus_selected"]
    ref = REFERENCE_RETURNS.get(env_id or "")
    if ref is not None:
        numbers["reference expert / random return"] = f"{ref.expert:g} / {ref.random:g}"
    final.table(numbers)
    protocol = _protocol_rows(summary, records)
    if protocol:
        final.text(
            "Checkpoint selection (the robomimic protocol, Mandlekar et al. 2021): every evaluated checkpoint "
            "is compared; 'selected' is the one with the lowest validation loss, the choice available "
            "without rollouts."
        )
        final.table(protocol, caption="best, last and validation-selected checkpoints (eval.json)")
    else:
        final.text("The run did not evaluate (eval_every = 0 or no env), so there is no checkpoint table.")

    figures = report.section("Plots")
    captions = {
        "loss.png": "Training curves from metrics.jsonl.",
        "eval_return.png": "Evaluation return against gradient steps (shaded: ± std over episodes); "
        "dashed and dotted lines: the reference table's expert and random returns.",
        "eval_return_vs_labels.png": "Evaluation return against the expert labels spent (DAgger, HG-DAgger).",
        "eval_return_vs_interventions.png": "Evaluation return against the expert's interventions (RLIF).",
    }
    for name, data in plots.items():
        figures.image(data, alt=name, caption=captions.get(name))
    if not plots:
        figures.text("metrics.jsonl holds no records yet.")

    history = summary.get("history")
    if isinstance(history, list) and history:
        report.section("Evaluations").table(history, caption="every evaluation (eval.json history)")

    if config:
        report.section("Config").table(_flatten(config), caption="config.json")
    return report, plots


def write_run_report(run_dir: str | Path) -> Path:
    """Write `plots/*.png` and `report.html` into `run_dir` and return the page's path."""
    run = Path(run_dir)
    report, plots = build_report(run)
    (run / "plots").mkdir(exist_ok=True)
    for name, data in plots.items():
        (run / "plots" / name).write_bytes(data)
    return report.write(run / "report.html")
