"""Benchmark: the vectorized backtester, the trading env, and the classical strategies' test metrics.

Three measurements, each the best of `--repeats` runs, single-threaded:
  - backtester: bars per second of `step_profits` + `equity_curve` (the backtest core) and of the
    whole `run_backtest` (metrics included) on a synthetic 10M-bar series, next to the raw numpy
    pass `np.diff(close) * positions[:-1]` over the same arrays (the limit). Goal >= 10M bars/s.
  - env: steps per second of `TradingEnv.step` (unwrapped, and through `gym.make`'s wrappers) and
    of `TradingVectorEnv` (steps x envs), next to the raw loop that only copies each step's
    observation row out of the same precomputed matrix (the limit). Goal >= 50k steps/s.
  - the classical strategies' metrics on the test split of both bundled markets, costs on at the
    env defaults (fee rate 2.3e-5, slippage 5e-5 of price per unit traded).

    python benchmarks/backtest.py [--bars 10000000 --env-steps 200000 --repeats 3]

Writes benchmarks/results/backtest.json and its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
from docs_section import write_section  # noqa: E402

import mimetic.envs  # noqa: E402, F401
from mimetic.trading.backtest import backtest_strategies, equity_curve, run_backtest, step_profits  # noqa: E402
from mimetic.trading.data import Bars  # noqa: E402
from mimetic.trading.env import TradingEnv, TradingVectorEnv  # noqa: E402
from mimetic.trading.strategies import BASELINES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "backtest.json"
DOC = ROOT / "docs" / "benchmarks.md"


def best_of(repeats: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def synthetic_series(n: int, seed: int = 0) -> tuple[Bars, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-3, n)))
    # Positions that persist (a flip about every 50 bars), like a real strategy's.
    flips = rng.random(n) < 0.02
    positions = np.where(np.cumsum(flips) % 2 == 0, 1, -1).astype(np.int64)
    bars_per_day = 240
    session = np.arange(n, dtype=np.int64) // bars_per_day
    time_ns = (np.arange(n, dtype=np.int64) * 60_000_000_000).astype("datetime64[ns]")
    bars = Bars("synthetic", time_ns, close, close, close, close, np.full(n, np.nan), session)
    return bars, positions


def bench_backtester(n: int, repeats: int) -> dict[str, Any]:
    bars, positions = synthetic_series(n)
    close = bars.close
    raw_s = best_of(repeats, lambda: np.diff(close) * positions[:-1])
    core_s = best_of(repeats, lambda: equity_curve(step_profits(close, positions), close[0]))
    full_s = best_of(repeats, lambda: run_backtest(bars, positions))
    return {
        "bars": n,
        "raw_numpy_s": round(raw_s, 4),
        "raw_numpy_bars_per_s": round(n / raw_s),
        "core_s": round(core_s, 4),
        "core_bars_per_s": round(n / core_s),
        "full_with_metrics_s": round(full_s, 4),
        "full_bars_per_s": round(n / full_s),
        "goal_bars_per_s": 10_000_000,
    }


def bench_env(steps: int, repeats: int, num_envs: int) -> dict[str, Any]:
    env = TradingEnv(data="btc-usd-1h", split="train")
    wrapped = gym.make("mimetic/Trading-v0", data="btc-usd-1h", split="train")
    action = np.array([0.7, 0.3], dtype=np.float32)

    def run(e: Any) -> None:
        e.reset(seed=0)
        for _ in range(steps):
            if e.step(action)[2]:
                e.reset()

    market = env.view.market
    episodes = env.view.episodes

    def raw() -> None:
        # The floor: one observation row copied per step, episodes walked in the same pattern.
        k, t, last = 0, int(episodes[0, 0]), int(episodes[0, 1]) - 1
        for _ in range(steps):
            market[t].copy()
            t += 1
            if t == last:
                k = (k + 1) % len(episodes)
                t, last = int(episodes[k, 0]), int(episodes[k, 1]) - 1

    vec = TradingVectorEnv(num_envs, data="btc-usd-1h", split="train")
    actions = np.tile(action, (num_envs, 1))
    vec_steps = max(steps // num_envs, 1)

    def run_vec() -> None:
        vec.reset(seed=0)
        for _ in range(vec_steps):
            vec.step(actions)

    raw_s = best_of(repeats, raw)
    env_s = best_of(repeats, lambda: run(env))
    wrapped_s = best_of(repeats, lambda: run(wrapped))
    vec_s = best_of(repeats, run_vec)
    return {
        "steps": steps,
        "raw_row_copy_steps_per_s": round(steps / raw_s),
        "env_steps_per_s": round(steps / env_s),
        "gym_make_steps_per_s": round(steps / wrapped_s),
        "vector_envs": num_envs,
        "vector_env_steps_per_s": round(vec_steps * num_envs / vec_s),
        "goal_steps_per_s": 50_000,
    }


def strategy_metrics() -> list[dict[str, Any]]:
    rows = []
    for market in ("btc-usd-1h", "eur-usd-1h"):
        for result in backtest_strategies(market, "test", list(BASELINES)):
            bars = result.bars
            rows.append(
                {
                    "market": market,
                    "split": "test",
                    "period": f"{str(bars.time[0])[:10]} to {str(bars.time[-1])[:10]}",
                    "strategy": result.name,
                    **result.metrics.as_dict(),
                }
            )
    return rows


def run(bars: int, env_steps: int, repeats: int, num_envs: int) -> dict[str, Any]:
    backtester = bench_backtester(bars, repeats)
    print(json.dumps(backtester))
    env = bench_env(env_steps, repeats, num_envs)
    print(json.dumps(env))
    metrics = strategy_metrics()
    return {
        "benchmark": "backtest",
        "date": dt.date.today().isoformat(),
        "command": "python benchmarks/backtest.py " + " ".join(sys.argv[1:]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}",
        "repeats": repeats,
        "backtester": backtester,
        "env": env,
        "costs": {"fee_rate": 2.3e-5, "slippage": 5e-5, "slippage_model": "per-trade"},
        "strategies": metrics,
    }


def _fmt(value: Any, spec: str = ".3g") -> str:
    return "—" if value is None else format(value, spec)


def write_doc(result: dict[str, Any]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md, keeping the others."""
    start, end = "<!-- backtest:start -->", "<!-- backtest:end -->"
    b, e = result["backtester"], result["env"]
    lines = [
        start,
        "## Trading: backtester and env speed, classical strategies on the test splits",
        "",
        f"Command: `{result['command'].strip()}` · date {result['date']} · {result['machine']}. "
        f"Best of {result['repeats']}; one thread.",
        "",
        f"Backtester on {b['bars']:,} synthetic bars (goal ≥ {b['goal_bars_per_s']:,} bars/s). The raw pass is "
        "`np.diff(close) * positions[:-1]` over the same arrays, the limit.",
        "",
        "| path | seconds | bars/s |",
        "|---|---|---|",
        f"| raw numpy pass | {b['raw_numpy_s']} | {b['raw_numpy_bars_per_s']:,} |",
        f"| `step_profits` + `equity_curve` | {b['core_s']} | {b['core_bars_per_s']:,} |",
        f"| `run_backtest` (with all metrics) | {b['full_with_metrics_s']} | {b['full_bars_per_s']:,} |",
        "",
        f"Env `mimetic/Trading-v0` on btc-usd-1h train, {e['steps']:,} steps (goal ≥ {e['goal_steps_per_s']:,} "
        "steps/s). The raw loop only copies each step's observation row from the same precomputed matrix, the limit.",
        "",
        "| path | steps/s |",
        "|---|---|",
        f"| raw row-copy loop | {e['raw_row_copy_steps_per_s']:,} |",
        f"| `TradingEnv.step` | {e['env_steps_per_s']:,} |",
        f"| through `gym.make` wrappers | {e['gym_make_steps_per_s']:,} |",
        f"| `TradingVectorEnv`, {e['vector_envs']} envs (steps × envs) | {e['vector_env_steps_per_s']:,} |",
        "",
        "Classical strategies on each market's test split, costs on (fee rate 2.3e-5 and slippage 5e-5 of price "
        "per unit traded); one account of one unit per strategy, capital = the first close. Annualized with 365 "
        "days (BTC) and 260 (EUR/USD). An account whose equity reaches zero is closed out there and stays flat "
        "(a max drawdown of 1).",
        "",
        "| market | period | strategy | total return | Sharpe | volatility | max drawdown | Calmar | trades | "
        "turnover | hit rate |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["strategies"]:
        lines.append(
            f"| {r['market']} | {r['period']} | {r['strategy']} | {_fmt(r['total_return'])} | {_fmt(r['sharpe'])} | "
            f"{_fmt(r['volatility'])} | {_fmt(r['max_drawdown'])} | {_fmt(r['calmar'])} | {r['trades']} | "
            f"{_fmt(r['turnover'])} | {_fmt(r['hit_rate'])} |"
        )
    lines += ["", "Raw JSON: `benchmarks/results/backtest.json`.", end]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bars", type=int, default=10_000_000)
    parser.add_argument("--env-steps", type=int, default=200_000)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only; leave results and docs alone")
    args = parser.parse_args()
    result = run(args.bars, args.env_steps, args.repeats, args.num_envs)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)
        print(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
