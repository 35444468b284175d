"""`mimetic trade train` and `mimetic trade eval`: a tiny run, resume, the test and cross-market reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trading.test_cli import run

TINY = ["--set", "warmup_days=3", "--set", "hidden_size=8", "--set", "head_hidden=8", "--set", "batch_days=4"]


def test_train_resume_eval_and_cross_market(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    argv = ["trade", "train", "--data", "eur-usd-1h", "--variant", "rdpg-db", "--run-dir", str(run_dir)]
    assert run([*argv, "--steps", "6", "--eval-every", "3", "--seed", "1", "--no-progress", *TINY]) == 0
    assert "selected step" in capsys.readouterr().out
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["irdpg"]["variant"] == "rdpg-db" and saved["irdpg"]["hidden_size"] == 8
    assert {p.name for p in (run_dir / "checkpoints").iterdir()} == {"step_3", "step_6"}

    # a used run directory needs --resume; a finished run resumes to a no-op
    assert run([*argv, "--steps", "6", "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert run(["trade", "train", "--run-dir", str(run_dir), "--resume", "--no-progress"]) == 0
    capsys.readouterr()

    assert run(["trade", "eval", str(run_dir), "--split", "test", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["metrics"]) == {"rdpg-db", "buy-hold", "dual-thrust"}
    assert result["settings"]["split"] == "test" and not result["settings"]["cross_market"]
    assert result["settings"]["selected_step"] in (3, 6) and result["settings"]["test_evaluations"] == 1
    page = Path(result["report"])
    assert page == run_dir / "backtest_test" / "report.html" and "data:image/png;base64," in page.read_text()

    # cross-market: trained on EUR/USD, tested on BTC/USD
    assert run(["trade", "eval", str(run_dir), "--data", "btc-usd-1h", "--json"]) == 0
    cross = json.loads(capsys.readouterr().out)
    assert cross["settings"]["cross_market"] and cross["settings"]["tested_on"] == "btc-usd-1h"
    assert cross["metrics"]["rdpg-db"]["days"] == 287  # BTC's 2019 test days
    assert cross["settings"]["test_evaluations"] == 2  # every look at test days is logged in the run
    assert (run_dir / "backtest_test_btc-usd-1h" / "report.html").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--run-dir", "{tmp}/r", "--set", "nope=1"], "--set expects KEY=VALUE with KEY one of"),
        (["train", "--run-dir", "{tmp}/r", "--set", "gamma=abc"], "not a number or JSON value"),
        (
            ["train", "--run-dir", "{tmp}/r", "--set", "batch_days=1.5"],
            "--set batch_days: expected int, got '1.5'",
        ),
        (["train", "--run-dir", "{tmp}/r", "--set", "hidden_size=0"], "hidden_size must be >= 1, got 0"),
        (["train", "--run-dir", "{tmp}/r", "--data", "nope.csv"], "neither a bundled market"),
        (["train", "--run-dir", "{tmp}/r", "--steps", "0"], "--steps and --eval-every must be at least 1"),
        (["train", "--run-dir", "{tmp}/r", "--resume"], "no config.json"),
        (["eval", "{tmp}"], "no config.json"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert run(["trade", *[a.replace("{tmp}", str(tmp_path)) for a in argv]]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
