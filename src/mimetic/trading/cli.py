"""`mimetic trade ...`: the trading verbs, added to the top-level parser by `add_trade_parser`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mimetic.trading.data import BUNDLED, SPLIT_NAMES


def add_trade_parser(verbs: Any) -> argparse.ArgumentParser:
    """Add the `trade` verb (with its `backtest` action) to the `mimetic` parser's subparsers."""
    from mimetic.trading.env import TradingConfig
    from mimetic.trading.strategies import BASELINES

    defaults = TradingConfig()
    trade = verbs.add_parser(
        "trade", help="QTNet trading: backtest strategies, train and evaluate the iRDPG agent"
    )
    actions = trade.add_subparsers(dest="trade_verb", metavar="ACTION", required=True)
    bt = actions.add_parser(
        "backtest",
        help="backtest strategies with costs; print metrics, optionally write plots and an HTML report",
        description="Backtest classical strategies on a split of a market, costs on; print the metrics.",
        epilog="example:\n  mimetic trade backtest --data btc-usd-1h --split test "
        "--strategy dual-thrust buy-hold macd --report runs/backtest",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bt.add_argument(
        "--data", default="btc-usd-1h", help=f"a bundled market ({', '.join(BUNDLED)}) or an OHLC CSV path"
    )
    bt.add_argument(
        "--split", default="test", choices=SPLIT_NAMES, help="chronological split (default: test)"
    )
    bt.add_argument(
        "--strategy",
        nargs="+",
        default=list(BASELINES),
        metavar="NAME",
        help=f"strategies to run (default: all of {', '.join(BASELINES)})",
    )
    bt.add_argument(
        "--fee-rate",
        type=float,
        default=defaults.fee_rate,
        help=f"fee as a fraction of traded notional (default {defaults.fee_rate:g})",
    )
    bt.add_argument(
        "--slippage",
        type=float,
        default=defaults.slippage,
        help=f"slippage as a fraction of price per unit traded (default {defaults.slippage:g})",
    )
    bt.add_argument(
        "--slippage-model",
        default=defaults.slippage_model,
        choices=["per-trade", "spec"],
        help="per-trade (default) or the spec formula's per-held-bar term",
    )
    bt.add_argument("--json", action="store_true", help="print JSON instead of a table")
    bt.add_argument("--report", default=None, metavar="DIR", help="write plots/*.png and report.html here")
    bt.set_defaults(func=backtest_command)
    _add_train_parser(actions, defaults)
    _add_eval_parser(actions)
    return trade


def _add_train_parser(actions: Any, defaults: Any) -> None:
    from mimetic.trading.irdpg import VARIANTS

    tr = actions.add_parser(
        "train",
        help="train the iRDPG agent (or an ablation) on a market's training days",
        description="Train iRDPG (Liu et al. 2020) or an ablation on the training split; every --eval-every "
        "updates the actor is backtested on the validation split and checkpointed. The checkpoint with the "
        "best validation total return is the selected model; the test split is not touched.",
        epilog="example:\n  mimetic trade train --data btc-usd-1h --variant irdpg --run-dir runs/irdpg --seed 0\n"
        "  mimetic trade train --run-dir runs/irdpg --resume",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tr.add_argument(
        "--data",
        default=None,
        help=f"a bundled market ({', '.join(BUNDLED)}) or an OHLC CSV path (default btc-usd-1h; "
        "with --resume, the run's own)",
    )
    tr.add_argument(
        "--variant", default="irdpg", choices=list(VARIANTS), help="agent variant (default irdpg)"
    )
    tr.add_argument("--run-dir", required=True, help="folder of the run (config, metrics, checkpoints)")
    tr.add_argument("--seed", type=int, default=0, help="seeds weights, day draws and noise (default 0)")
    tr.add_argument("--steps", type=int, default=6_000, help="gradient updates (default 6000)")
    tr.add_argument(
        "--eval-every", type=int, default=500, help="updates between validation backtests (default 500)"
    )
    tr.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an IRDPGConfig field (repeatable), e.g. --set hidden_size=32 --set lambda2=0.5",
    )
    tr.add_argument(
        "--fee-rate", type=float, default=defaults.fee_rate, help="fee rate (default %(default)g)"
    )
    tr.add_argument(
        "--slippage", type=float, default=defaults.slippage, help="slippage fraction (default %(default)g)"
    )
    tr.add_argument(
        "--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint"
    )
    tr.add_argument("--no-progress", action="store_true", help="no progress bar")
    tr.set_defaults(func=train_command)


def _add_eval_parser(actions: Any) -> None:
    ev = actions.add_parser(
        "eval",
        help="backtest a trained agent's validation-selected checkpoint beside the classical strategies",
        description="Backtest the run's validation-selected actor on a split (default: test, touched once at "
        "the end) beside buy and hold and Dual Thrust, costs on; write the backtest report. --data tests "
        "it on another instrument (cross-market generalization).",
        epilog="example:\n  mimetic trade eval runs/irdpg --split test\n"
        "  mimetic trade eval runs/irdpg --split test --data eur-usd-1h --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ev.add_argument("run_dir", metavar="RUN_DIR", help="a run of `mimetic trade train`")
    ev.add_argument("--split", default="test", choices=["train", "valid", "test"], help="(default test)")
    ev.add_argument(
        "--data", default=None, help="test on this market instead of the training one (cross-market)"
    )
    ev.add_argument(
        "--strategy",
        nargs="*",
        default=["buy-hold", "dual-thrust"],
        metavar="NAME",
        help="classical strategies beside the agent (default: buy-hold dual-thrust)",
    )
    ev.add_argument(
        "--report", default=None, metavar="DIR", help="report folder (default RUN_DIR/backtest_<split>)"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.set_defaults(func=eval_command)


def _config_overrides(pairs: list[str]) -> dict[str, Any]:
    from mimetic.cli import CliError
    from mimetic.trading.irdpg import IRDPGConfig, config_fields

    valid = config_fields()
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in valid or key == "variant":
            raise CliError(
                f"--set expects KEY=VALUE with KEY one of {', '.join(k for k in valid if k != 'variant')}; got '{pair}'"
            )
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise CliError(f"--set {key}: '{value}' is not a number or JSON value") from None
        default = getattr(IRDPGConfig(), key)
        # an int field takes an int; a float field takes any number (bool is neither)
        wanted = (int,) if isinstance(default, int) else (int, float)
        if isinstance(parsed, bool) or not isinstance(parsed, wanted):
            raise CliError(f"--set {key}: expected {type(default).__name__}, got '{value}'")
        out[key] = parsed
    return out


def train_command(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mimetic.cli import CliError
    from mimetic.runtime.trainer import ResumeError
    from mimetic.trading.irdpg import IRDPGConfig
    from mimetic.trading.irdpg_run import MarketSettings, train_agent

    if args.steps < 1 or args.eval_every < 1:
        raise CliError("--steps and --eval-every must be at least 1")
    if args.fee_rate < 0 or args.slippage < 0:
        raise CliError("--fee-rate and --slippage must be >= 0")
    try:
        config = replace(IRDPGConfig(), **_config_overrides(args.set), variant=args.variant)
        data = args.data if args.data is not None or args.resume else "btc-usd-1h"
        summary = train_agent(
            data,
            args.run_dir,
            variant=args.variant,
            seed=args.seed,
            steps=args.steps,
            eval_every=args.eval_every,
            config=config,
            market=MarketSettings(fee_rate=args.fee_rate, slippage=args.slippage),
            resume=args.resume,
            progress=not args.no_progress,
        )
    except (ResumeError, ValueError, TypeError) as err:
        raise CliError(str(err)) from None
    best = summary.get("best", {})
    print(
        f"trained {summary['steps']} updates; selected step {best.get('step')} (validation total return "
        f"{best.get('return_mean', float('nan')):.4g}, Sharpe {best.get('sharpe') or float('nan'):.3g}); "
        f"next: mimetic trade eval {args.run_dir} --split test"
    )
    return 0


def eval_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mimetic.cli import CliError
    from mimetic.runtime.trainer import ResumeError
    from mimetic.trading.irdpg_run import MarketSettings, baseline_results, evaluate_run, read_run_config
    from mimetic.trading.strategies import STRATEGIES

    for name in args.strategy:
        if getattr(STRATEGIES.get(name), "uses_future", False):
            raise CliError(f"'{name}' looks ahead (a training-time teacher) and is never a baseline")
    try:
        saved = read_run_config(args.run_dir)
        agent, info = evaluate_run(args.run_dir, args.split, data=args.data)
    except (ResumeError, FileNotFoundError, ValueError) as err:
        raise CliError(str(err)) from None
    market = MarketSettings(**saved["market"])
    target = args.data or saved["data"]
    results = [agent, *baseline_results(target, args.split, market, tuple(args.strategy))]
    bars = agent.bars
    settings = {
        **info,
        "first_bar": str(bars.time[0])[:19],
        "last_bar": str(bars.time[-1])[:19],
        "sessions": bars.num_days,
        "bars": len(bars),
        "fee_rate": market.fee_rate,
        "slippage": market.slippage,
        "data": Path(str(target)).name,
    }
    from mimetic.trading.report import write_backtest_report

    suffix = "" if not info["cross_market"] else f"_{Path(str(target)).name.split('.')[0]}"
    out_dir = args.report or str(Path(args.run_dir) / f"backtest_{args.split}{suffix}")
    page = write_backtest_report(results, out_dir, settings=settings)
    metrics = {r.name: r.metrics.as_dict() for r in results}
    (Path(out_dir) / "metrics.json").write_text(
        json.dumps({"settings": settings, "metrics": metrics}, indent=2) + "\n"
    )
    if args.json:
        print(json.dumps({"settings": settings, "metrics": metrics, "report": str(page)}, indent=2))
        return 0
    print_metrics(results, settings)
    if args.split == "test" and info["test_evaluations"] > 1:
        print(f"note: the test split of this run has now been evaluated {info['test_evaluations']} times")
    print(f"wrote {page}")
    return 0


def backtest_command(args: argparse.Namespace) -> int:
    from mimetic.cli import CliError
    from mimetic.trading.backtest import backtest_strategies
    from mimetic.trading.strategies import STRATEGIES

    for name in args.strategy:
        STRATEGIES.get(name)  # an unknown name raises the registry's one-line error listing the choices
        if getattr(STRATEGIES.get(name), "uses_future", False):
            raise CliError(
                f"'{name}' looks ahead (a training-time teacher) and is never backtested as a baseline"
            )
    if args.fee_rate < 0 or args.slippage < 0:
        raise CliError("--fee-rate and --slippage must be >= 0 (costs are always on; 0 turns one off)")
    results = backtest_strategies(
        args.data,
        args.split,
        args.strategy,
        fee_rate=args.fee_rate,
        slippage=args.slippage,
        slippage_model=args.slippage_model,
    )
    bars = results[0].bars
    settings = {
        "data": str(args.data),
        "split": args.split,
        "first_bar": str(bars.time[0])[:19],
        "last_bar": str(bars.time[-1])[:19],
        "sessions": bars.num_days,
        "bars": len(bars),
        "fee_rate": args.fee_rate,
        "slippage": args.slippage,
        "slippage_model": args.slippage_model,
    }
    page = None
    if args.report:
        from mimetic.trading.report import write_backtest_report

        page = write_backtest_report(results, args.report, settings=settings)
    if args.json:
        out: dict[str, Any] = {
            "settings": settings,
            "metrics": {r.name: r.metrics.as_dict() for r in results},
        }
        if page is not None:
            out["report"] = str(page)
        print(json.dumps(out, indent=2))
        return 0
    print_metrics(results, settings)
    if page is not None:
        print(f"wrote {page}")
    return 0


def print_metrics(results: list[Any], settings: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from mimetic.report.html import format_value
    from mimetic.trading.report import metrics_rows

    short = {
        "total_return": "return",
        "annualized_return": "annual",
        "volatility": "vol",
        "max_drawdown": "max dd",
        "hit_rate": "hit rate",
    }
    rows = metrics_rows(results)
    table = Table(
        title=f"backtest {settings['data']} {settings['split']} ({settings['first_bar'][:10]} to "
        f"{settings['last_bar'][:10]}, fee {settings['fee_rate']:g}, slippage {settings['slippage']:g})"
    )
    for column in rows[0]:
        table.add_column(
            short.get(column, column), justify="left" if column == "strategy" else "right", no_wrap=True
        )
    for row in rows:
        table.add_row(*(format_value(v, "{:.3g}") for v in row.values()))
    Console(width=120).print(table)
