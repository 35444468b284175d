"""Benchmark: the QTNet/iRDPG ablation (RDPG, RDPG-DB, RDPG-BC, iRDPG) on the bundled market data.

Protocol (spec ../shared/specs/qtnet.md): chronological splits; every variant trains on the training
days (BTC/USD hourly, 2017-07 to 2018-09) for `--steps` gradient updates, its actor is backtested on
the validation days (2018-10 to 12) every `--eval-every` updates, and the checkpoint with the best
validation total return is selected. Only that checkpoint is backtested on the test days (2019),
once, and on the cross-market test (EUR/USD's test days, Nov-Dec 2017; the observation scale taken
from EUR/USD's own training days). Dual Thrust and buy and hold run on the same test days. Costs are
on everywhere (fee 2.3e-5, slippage 5e-5 of price per unit traded). Nothing is tuned on a test split.

    python benchmarks/qtnet.py [--steps 2000 --eval-every 200 --seeds 0 1 2] [--work-dir runs/bench-qtnet]

The variants x seeds grid is one `mimetic sweep` of `mimetic trade train` runs (`benchmarks/grid.py`:
on Ray when installed, one trial per core); the runs stay in --work-dir, so a rerun skips finished
ones (delete the folder to start over). Writes benchmarks/results/qtnet.json, the equity
plot docs/img/qtnet_test_equity.png, its section of docs/benchmarks.md and its row of docs/papers.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from docs_section import PAPERS_HEADER, upsert_row, write_section  # noqa: E402
from grid import add_sweep_args, run_grid, sweep_options  # noqa: E402

from mimetic.trading.backtest import BacktestResult  # noqa: E402
from mimetic.trading.irdpg import VARIANTS  # noqa: E402
from mimetic.trading.irdpg_run import MarketSettings, baseline_results, evaluate_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "qtnet.json"
DOC = ROOT / "docs" / "benchmarks.md"
QTNET_DOC = ROOT / "docs" / "qtnet.md"
QTNET_HEADER = """# QTNet / iRDPG: results

The flagship trading agent (Liu et al., AAAI 2020; QTNet, arXiv 2312.15730): what it is, how to train,
evaluate and reproduce it is in [trading.md](trading.md#part-2-the-irdpg-agent); the paper's claim
against our number is in [papers.md](papers.md). This page holds the latest ablation, written by
`python benchmarks/qtnet.py` (the same section appears in [benchmarks.md](benchmarks.md)).
"""
PAPERS = ROOT / "docs" / "papers.md"
PLOT = ROOT / "docs" / "img" / "qtnet_test_equity.png"
METRICS = ("total_return", "sharpe", "volatility", "max_drawdown", "trades")
BASELINES = ("dual-thrust", "buy-hold")


def metric_row(result: BacktestResult) -> dict[str, Any]:
    values = result.metrics.as_dict()
    return {k: values[k] for k in METRICS}


def mean_std(rows: list[dict[str, Any]], key: str) -> tuple[float, float]:
    values = np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=np.float64)
    return float(np.nanmean(values)), float(np.nanstd(values))


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    market = MarketSettings()
    runs: list[dict[str, Any]] = []
    curves: dict[str, dict[str, list[BacktestResult]]] = {"test": {}, "cross": {}}
    spec = {
        "algorithms": ["trade"],
        "seeds": args.seeds,
        "steps": args.steps,
        "args": {"data": args.data, "eval-every": args.eval_every},
        "algorithm_args": {"trade": {"variant": list(args.variants)}},
    }
    for run in run_grid(spec, args.work_dir.resolve(), sweep_options(args)):
        variant, seed = run.params["variant"], run.trial.seed
        summary = json.loads((run.run_dir / "eval.json").read_text())
        record, last = run.record(), run.metrics()[-1]
        wall, cpu = record["wall_s_last_attempt"], record["cpu_s_last_attempt"]
        test, info = evaluate_run(run.run_dir, "test", name=variant)
        cross, _ = evaluate_run(run.run_dir, "test", data=args.cross, name=variant)
        curves["test"].setdefault(variant, []).append(test)
        curves["cross"].setdefault(variant, []).append(cross)
        best = summary["best"]
        runs.append(
            {
                "variant": variant,
                "seed": seed,
                "selected_step": info["selected_step"],
                "valid_total_return": best["return_mean"],
                "valid_sharpe": best.get("sharpe"),
                "train_wall_s": round(wall, 1),
                "train_cpu_s": round(cpu, 1),
                "env_steps": last["env_steps"],
                "env_steps_per_s": round(last["env_steps"] / wall, 1),
                "updates_per_s": round(args.steps / wall, 2),
                "test": metric_row(test),
                "cross_market_test": metric_row(cross),
            }
        )
        print(
            f"{variant} seed {seed}: selected step {info['selected_step']}, valid {best['return_mean']:.3f}, "
            f"test {test.metrics.total_return:.3f}, cross {cross.metrics.total_return:.3f}, "
            f"{wall:.0f} s wall, {cpu:.0f} s CPU",
            flush=True,
        )
    baselines = {
        "test": {r.name: metric_row(r) for r in baseline_results(args.data, "test", market, BASELINES)},
        "cross_market_test": {
            r.name: metric_row(r) for r in baseline_results(args.cross, "test", market, BASELINES)
        },
    }
    for key, data in (("test", args.data), ("cross", args.cross)):
        for r in baseline_results(data, "test", market, BASELINES):
            curves[key][r.name] = [r]
    plot_equity(curves, args)
    summary_rows = []
    for variant in args.variants:
        mine = [r for r in runs if r["variant"] == variant]
        for split in ("test", "cross_market_test"):
            entry: dict[str, Any] = {"variant": variant, "split": split, "seeds": len(mine)}
            for key in METRICS:
                mean, std = mean_std([r[split] for r in mine], key)
                entry[key] = {"mean": mean, "std": std}
            summary_rows.append(entry)
    return {"runs": runs, "baselines": baselines, "summary": summary_rows}


def plot_equity(curves: dict[str, dict[str, list[BacktestResult]]], args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(10, 8))
    colors = {
        "rdpg": "C0",
        "rdpg-db": "C1",
        "rdpg-bc": "C2",
        "irdpg": "C3",
        "dual-thrust": "k",
        "buy-hold": "0.5",
    }
    titles = {
        "test": f"{args.data} test (2019)",
        "cross": f"cross-market: trained on {args.data}, tested on {args.cross}",
    }
    for ax, key in zip(axes, ("test", "cross"), strict=True):
        for name, results in curves[key].items():
            for i, r in enumerate(results):
                ax.plot(
                    r.bars.time,
                    r.equity / r.equity[0],
                    color=colors.get(name, "C4"),
                    lw=1.4 if name in BASELINES else 0.8,
                    ls="--" if name in BASELINES else "-",
                    label=name if i == 0 else None,
                )
        ax.axhline(1.0, color="#999", lw=0.6)
        ax.set_ylabel("equity / start")
        ax.set_title(titles[key] + " (one line per seed, costs on)")
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=100)
    plt.close(fig)


def fmt(entry: dict[str, float], digits: str = ".3f") -> str:
    return f"{entry['mean']:{digits}} ± {entry['std']:{digits}}"


def base_return(result: dict[str, Any]) -> float:
    return float(result["baselines"]["test"]["buy-hold"]["total_return"])


def write_docs(result: dict[str, Any]) -> None:
    meta = result["meta"]
    lines = [
        "<!-- qtnet:start -->",
        "## QTNet / iRDPG: the ablation on bundled market data",
        "",
        f"Command: `{meta['command']}` · date {meta['date']} · {meta['machine']}. "
        f"Load average after the run {meta['load_after']} (other jobs shared the 2 cores; CPU seconds are this process's own).",
        "",
        f"Protocol: train on {meta['data']} training days (2017-07 to 2018-09), {meta['steps']} gradient updates per run, "
        f"a validation backtest (2018-10 to 12) every {meta['eval_every']} updates; the checkpoint with the best validation "
        "total return is selected and backtested once on the test days (2019, 287 days) and on the cross-market test "
        f"({meta['cross']} test days, trained on {meta['data']}). Costs on: fee 2.3e-5 and slippage 5e-5 of price per unit "
        f"traded. Seeds {meta['seeds']}; mean ± std over seeds. Defaults of `IRDPGConfig` otherwise (2-layer GRU of 64, "
        "gamma 0.95, tau 0.002, TBPTT 16, actor every 3 updates, 100 warm-up days, batch 32 days).",
        f"Budget: {meta['steps']} updates per run (the demo gives each agent 6000) to keep the 12 runs near 25 minutes "
        f"of one core; the whole study took {meta['total_wall_s'] / 60:.0f} minutes of wall-clock here.",
        "",
        "| market | strategy | seeds | total return | Sharpe | volatility | max drawdown | trades |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split, label in (("test", meta["data"]), ("cross_market_test", f"{meta['cross']} (cross-market)")):
        for row in [r for r in result["summary"] if r["split"] == split]:
            lines.append(
                f"| {label} | {row['variant']} | {row['seeds']} | {fmt(row['total_return'])} | {fmt(row['sharpe'], '.2f')} | "
                f"{fmt(row['volatility'])} | {fmt(row['max_drawdown'])} | {fmt(row['trades'], '.0f')} |"
            )
        for name, m in result["baselines"][split].items():
            sharpe = "–" if m["sharpe"] is None else f"{m['sharpe']:.2f}"
            lines.append(
                f"| {label} | {name} | – | {m['total_return']:.3f} | {sharpe} | {m['volatility']:.3f} | "
                f"{m['max_drawdown']:.3f} | {m['trades']} |"
            )
    valid = {
        r.name: r.metrics.total_return
        for r in baseline_results(meta["data"], "valid", MarketSettings(), ("buy-hold", "short-hold"))
    }
    selected = [r["valid_total_return"] for r in result["runs"]]
    test = {r["variant"]: r["total_return"]["mean"] for r in result["summary"] if r["split"] == "test"}
    shape = (
        (
            test["rdpg-db"] >= test["rdpg"]
            and test["rdpg-bc"] >= test["rdpg"]
            and test["irdpg"] >= max(test["rdpg-db"], test["rdpg-bc"])
            and test["irdpg"] > max(result["baselines"]["test"][b]["total_return"] for b in BASELINES)
        )
        if set(test) == set(VARIANTS)
        else None
    )
    falling = valid["short-hold"] > valid["buy-hold"]
    lines += [
        "",
        f"Reading: on the validation quarter buy and hold returned {valid['buy-hold']:.3f} and short and hold "
        f"{valid['short-hold']:.3f}; the selected checkpoints' validation returns range from {min(selected):.3f} to "
        f"{max(selected):.3f} (table below)"
        + (", so selection on this falling quarter favours short-leaning policies" if falling else "")
        + f", and the test year's buy and hold returned {base_return(result):.3f}. A run whose account reaches zero "
        "is closed out (max drawdown 1; the total return can pass -1 by the last bar's loss). The spec's reference "
        "shape (RDPG-DB and RDPG-BC >= RDPG, iRDPG >= both and ahead of Dual Thrust and buy and hold, by mean test "
        "return) "
        + {
            True: "holds in these runs.",
            False: "does not hold in these runs.",
            None: "was not tested (not all variants ran).",
        }[shape],
    ]
    lines += [
        "",
        "Per run: the selected step and its validation return, the training cost.",
        "",
        "| variant | seed | selected step | validation return | test return | cross-market return | train wall s | train CPU s | env steps | env steps/s | updates/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['selected_step']} | {r['valid_total_return']:.3f} | "
            f"{r['test']['total_return']:.3f} | {r['cross_market_test']['total_return']:.3f} | {r['train_wall_s']} | "
            f"{r['train_cpu_s']} | {r['env_steps']} | {r['env_steps_per_s']} | {r['updates_per_s']} |"
        )
    lines += [
        "",
        "Env steps are the agent's own trading steps (warm-up and exploration days; the Dual Thrust demonstration days are "
        "not counted); per second of training wall-clock, which is mostly gradient updates.",
        "",
        f"![test equity curves]({PLOT.relative_to(ROOT / 'docs')})",
        "",
        "Raw JSON: `benchmarks/results/qtnet.json`.",
        "<!-- qtnet:end -->",
    ]
    write_section(DOC, "<!-- qtnet:start -->", "<!-- qtnet:end -->", "\n".join(lines))
    write_section(QTNET_DOC, "<!-- qtnet:start -->", "<!-- qtnet:end -->", "\n".join(lines), QTNET_HEADER)

    by = {(r["variant"], r["split"]): r for r in result["summary"]}
    parts = []
    for variant in meta["variants"]:
        row = by.get((variant, "test"))
        if row:
            parts.append(
                f"{variant} {row['total_return']['mean']:.3f} ± {row['total_return']['std']:.3f} "
                f"(Sharpe {row['sharpe']['mean']:.2f})"
            )
    base = result["baselines"]["test"]
    claim = (
        "iRDPG (Liu et al. AAAI 2020; QTNet arXiv 2312.15730): on CSI 300 futures minute bars, demonstrations help "
        "(RDPG-DB and RDPG-BC beat RDPG) and iRDPG is best, ahead of Dual Thrust and buy and hold after costs; "
        "a reimplementation's test year: RDPG -0.137, RDPG-DB 0.370, RDPG-BC 0.250, iRDPG 0.567 total return"
    )
    number = (
        f"{meta['data']} 2019 test, total return mean ± std over {len(meta['seeds'])} seeds: "
        + "; ".join(parts)
        + f"; dual-thrust {base['dual-thrust']['total_return']:.3f}, buy-hold {base['buy-hold']['total_return']:.3f} "
        f"({meta['steps']} updates per run; {meta['date']}, benchmarks/results/qtnet.json)"
    )
    row = (
        f"| QTNet / iRDPG (Liu et al. 2020; RDPG, Heess et al. 2015; DDPGfD, Vecerik et al. 2017; Q-filter, Nair et al. 2018) "
        f"| {claim} | `python benchmarks/qtnet.py` (4 variants x {len(meta['seeds'])} seeds, chronological split, "
        f"validation-only selection, test once, costs on) | {number} |"
    )
    upsert_row(PAPERS, "| QTNet / iRDPG", row, PAPERS_HEADER)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default="btc-usd-1h")
    parser.add_argument("--cross", default="eur-usd-1h", help="the cross-market test instrument")
    parser.add_argument("--steps", type=int, default=2_000)
    parser.add_argument("--eval-every", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    add_sweep_args(parser, max_concurrent=None)
    parser.set_defaults(work_dir=ROOT / "runs" / "bench-qtnet")  # the runs are kept: delete it to start over
    parser.add_argument("--no-docs", action="store_true", help="write the JSON only")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from the last JSON")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.docs_only:
        write_docs(json.loads(RESULTS.read_text()))
        return
    started = time.perf_counter()
    result = run_all(args)
    command = "python benchmarks/qtnet.py" + ("" if len(sys.argv) == 1 else " " + " ".join(sys.argv[1:]))
    result["meta"] = {
        "command": command,
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"torch {torch.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "total_wall_s": round(time.perf_counter() - started, 1),
        "data": args.data,
        "cross": args.cross,
        "steps": args.steps,
        "eval_every": args.eval_every,
        "seeds": args.seeds,
        "variants": args.variants,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_docs:
        write_docs(result)
    print(f"wrote {RESULTS} in {result['meta']['total_wall_s']:.0f} s")


if __name__ == "__main__":
    main()
