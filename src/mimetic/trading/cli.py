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
    trade = verbs.add_parser("trade", help="QTNet trading: backtest classical strategies on market data")
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
    return trade


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
    _print_metrics(results, settings)
    if page is not None:
        print(f"wrote {page}")
    return 0


def _print_metrics(results: list[Any], settings: dict[str, Any]) -> None:
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
