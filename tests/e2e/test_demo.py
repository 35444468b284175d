"""The demos, end to end, as `make demo` and `mimetic demo --bc` run them (smaller budgets)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import mimetic
from mimetic.demo import run_bc_demo, run_demo


def test_demo_collects_trains_evaluates_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_bc_demo(tmp_path, episodes=10, seed=3, steps=300, eval_every=150, eval_episodes=2)

    # the dataset: a valid Minari dataset that minari itself reads
    path = tmp_path / "datasets" / "mimetic" / "cartpole-scripted-v0"
    assert result.dataset == path
    ds = mimetic.load(path)
    assert len(ds) == 10
    assert mimetic.validate(ds, env="CartPole-v1") == []
    np.testing.assert_array_equal(ds.returns(), [500.0] * 10)

    import minari

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    theirs = minari.load_dataset("mimetic/cartpole-scripted-v0")
    assert theirs.total_episodes == 10 and theirs.total_steps == 5000
    first = next(iter(theirs.iterate_episodes()))
    np.testing.assert_array_equal(first.observations, ds[0].obs)
    np.testing.assert_array_equal(first.actions, ds[0].acts)

    # BC through the Trainer, evaluation, and the report, whose path is the last thing printed
    run = tmp_path / "runs" / "bc-cartpole"
    assert result.run_dir == run and (run / "policy" / "policy.json").is_file()
    summary = json.loads((run / "eval.json").read_text())
    assert summary["steps"] == 300 and {"best", "last", "selected_by_valid_loss"} <= set(summary)
    assert len(result.evaluation.returns) == 2
    assert result.report == run / "report.html" and (run / "plots" / "eval_return.png").is_file()
    assert "data:image/png;base64," in result.report.read_text()
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"report: {result.report.resolve()}"

    # running it again replaces the previous demo run instead of refusing the used run directory
    again = run_bc_demo(tmp_path, episodes=2, seed=3, steps=10, eval_every=10, eval_episodes=1)
    assert json.loads((again.run_dir / "eval.json").read_text())["steps"] == 10


def test_flagship_demo_trains_irdpg_and_rdpg_and_reports_the_test_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_demo(tmp_path, seed=1, steps=12, eval_every=6, warmup_days=4, progress=False)

    assert [r.name for r in result.results] == ["irdpg", "rdpg", "buy-hold", "dual-thrust"]
    for variant, run_dir in result.run_dirs.items():
        assert run_dir == tmp_path / "runs" / f"{variant}-btc-usd-1h"
        config = json.loads((run_dir / "config.json").read_text())
        assert config["irdpg"]["variant"] == variant and config["trainer"]["steps"] == 12
        assert json.loads((run_dir / "eval.json").read_text())["best"]["step"] in (6, 12)
    test_days = result.results[0].bars
    assert str(test_days.time[0])[:10] == "2019-01-01" and test_days.num_days == 287  # the test split only
    assert result.results[2].metrics.total_return == pytest.approx(1.165, abs=1e-3)  # buy and hold in 2019
    page = result.report.read_text()
    assert result.report == tmp_path / "report" / "report.html" and page.count("data:image/png;base64,") == 3
    assert "irdpg" in page and "dual-thrust" in page
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == f"report: {result.report.resolve()}"

    # a rerun replaces the previous demo runs instead of refusing their used run directories
    again = run_demo(tmp_path, seed=1, steps=6, eval_every=6, warmup_days=4, progress=False)
    assert json.loads((again.run_dirs["irdpg"] / "eval.json").read_text())["steps"] == 6
