"""The backtest report: a metrics table, plots (equity, drawdown, positions over a sample day)
and a self-contained HTML page built with `mimetic.report.html`."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mimetic.report.html import HtmlReport
from mimetic.trading.backtest import BacktestResult
from mimetic.trading.metrics import drawdown_curve

METRIC_COLUMNS = (
    "total_return",
    "annualized_return",
    "sharpe",
    "volatility",
    "max_drawdown",
    "calmar",
    "trades",
    "turnover",
    "hit_rate",
)


def metrics_rows(results: Sequence[BacktestResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        values = r.metrics.as_dict()
        rows.append({"strategy": r.name, **{k: values[k] for k in METRIC_COLUMNS}})
    return rows


def sample_day(result: BacktestResult) -> int:
    """The session with the widest high-low range relative to its open: the most eventful day."""
    bars = result.bars
    starts = bars.day_bounds[:-1]
    width = (np.maximum.reduceat(bars.high, starts) - np.minimum.reduceat(bars.low, starts)) / bars.open[
        starts
    ]
    return int(np.argmax(width))


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def make_plots(results: Sequence[BacktestResult]) -> dict[str, bytes]:
    """PNG bytes of the three plots, keyed by file name."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, and the same output everywhere
    import matplotlib.pyplot as plt

    plots: dict[str, bytes] = {}
    times = results[0].bars.time
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for r in results:
        ax.plot(times, r.equity / r.equity[0], label=r.name, lw=1)
    ax.axhline(1.0, color="#999", lw=0.7)
    ax.set_ylabel("equity / starting capital")
    ax.set_title("Equity (costs on)")
    ax.legend(loc="best", fontsize=8)
    plots["equity.png"] = _png(fig)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(10, 3.5))
    for r in results:
        ax.plot(times, -drawdown_curve(r.equity), label=r.name, lw=1)
    ax.set_ylabel("drawdown")
    ax.set_ylim(-1.02, 0.02)
    ax.set_title("Drawdown from the running peak")
    ax.legend(loc="lower left", fontsize=8)
    plots["drawdown.png"] = _png(fig)
    plt.close(fig)

    day = sample_day(results[0])
    lo, hi = int(results[0].bars.day_bounds[day]), int(results[0].bars.day_bounds[day + 1])
    fig, axes = plt.subplots(
        1 + len(results),
        1,
        figsize=(10, 3 + 0.8 * len(results)),
        sharex=True,
        gridspec_kw={"height_ratios": [3] + [1] * len(results)},
    )
    axes = np.atleast_1d(axes)
    axes[0].plot(times[lo:hi], results[0].bars.close[lo:hi], color="k", lw=1.2)
    axes[0].set_ylabel("close")
    axes[0].set_title(f"Positions over {str(times[lo])[:10]} (the widest-range session)")
    for ax, r in zip(axes[1:], results, strict=True):
        ax.step(times[lo:hi], r.positions[lo:hi], where="post", lw=1.2)
        ax.set_ylim(-1.3, 1.3)
        ax.set_yticks([-1, 0, 1])
        ax.set_ylabel(r.name, rotation=0, ha="right", fontsize=8)
    plots["sample_day.png"] = _png(fig)
    plt.close(fig)
    return plots


def write_backtest_report(
    results: Sequence[BacktestResult], out_dir: str | Path, *, settings: dict[str, Any]
) -> Path:
    """Write metrics.json-free artefacts: plots/*.png and report.html into `out_dir`; return the page."""
    out = Path(out_dir)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    plots = make_plots(results)
    for name, data in plots.items():
        (out / "plots" / name).write_bytes(data)
    bars = results[0].bars
    report = HtmlReport(
        f"Backtest: {bars.name}",
        subtitle=f"{settings.get('split', '')} split, {str(bars.time[0])[:10]} to {str(bars.time[-1])[:10]}, "
        f"{bars.num_days} sessions, {len(bars)} bars; written {dt.date.today().isoformat()}",
    )
    report.section("Metrics").table(metrics_rows(results)).text(
        "One account per strategy over the whole split, one unit of the instrument, capital = the first close. "
        "Costs are on: fee rate and slippage are fractions of price paid per unit traded. Sharpe and volatility "
        "are annualized from session returns. Max drawdown is in [0, 1]; Calmar is annualized return / max drawdown."
    )
    report.section("Settings").table(settings)
    report.section("Equity").image(plots["equity.png"], alt="equity curves")
    report.section("Drawdown").image(plots["drawdown.png"], alt="drawdown curves")
    report.section("A sample day").image(plots["sample_day.png"], alt="positions over a sample day")
    return report.write(out / "report.html")
