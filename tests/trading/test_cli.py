from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mimetic.cli import _run
from mimetic.trading.cli import add_trade_parser


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mimetic")
    add_trade_parser(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(argv)
    return _run(args.func, args)


def test_backtest_json_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bt"
    code = run(
        [
            "trade",
            "backtest",
            "--data",
            "eur-usd-1h",
            "--split",
            "test",
            "--strategy",
            "dual-thrust",
            "buy-hold",
            "macd",
            "--fee-rate",
            "1e-4",
            "--json",
            "--report",
            str(out),
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["metrics"]) == {"dual-thrust", "buy-hold", "macd"}
    assert result["settings"]["fee_rate"] == 1e-4
    assert 0 <= result["metrics"]["macd"]["max_drawdown"] <= 1
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "http" not in page.replace("http-equiv", "")
    assert {p.name for p in (out / "plots").iterdir()} == {"equity.png", "drawdown.png", "sample_day.png"}


def test_backtest_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["trade", "backtest", "--data", "eur-usd-1h", "--strategy", "buy-hold"]) == 0
    assert "buy-hold" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--strategy", "nope"], "unknown trading strategy 'nope'; valid choices"),
        (["--strategy", "hindsight-teacher"], "looks ahead"),
        (["--data", "missing.csv"], "neither a bundled market"),
        (["--slippage", "-1"], "must be >= 0"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["trade", "backtest", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


@pytest.mark.parametrize(
    ("second_row", "message"),
    [
        ("2021-01-01 00:00,1,2,0.5,1.5", "row 3: duplicate timestamp"),
        ("2020-12-31 23:00,1,2,0.5,1.5", "row 3: timestamps not sorted"),
        ("2021-01-01 01:00,1,2,0.5,NaN", "field 'close': row 3: not a finite number"),
        ("2021-01-01 01:00,1,0.5,2,1.5", "field 'high': row 3: high < low"),
    ],
)
def test_each_csv_defect_is_one_line_with_exit_2(
    tmp_path: Path, second_row: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"time,open,high,low,close\n2021-01-01 00:00,1,2,0.5,1.5\n{second_row}\n")
    assert run(["trade", "backtest", "--data", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and str(path) in err


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["trade", "backtest", "--help"])
    assert "example:\n  mimetic trade backtest" in capsys.readouterr().out
