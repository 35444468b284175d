"""`mimetic report RUN_DIR`: plots and a self-contained page from what a run wrote."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
import torch

from mimetic.cli import main
from mimetic.report.run import ReportError, write_run_report

torch.set_num_threads(1)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _fake_run(run: Path, *, evaluated: bool = True) -> Path:
    """A run directory as the Trainer writes it, with hand-written numbers."""
    run.mkdir(parents=True)
    config = {
        "format_version": 1,
        "algorithm": "bc",
        "dataset": "/data/cartpole.npz",
        "env_id": "CartPole-v1",
        "algorithm_config": {"policy": "discrete", "batch_size": 100, "net": {"hidden_sizes": [256, 256]}},
        "trainer": {"steps": 300, "seed": 0},
    }
    (run / "config.json").write_text(json.dumps(config))
    records = []
    for step in (100, 200, 300):
        record: dict[str, float] = {"step": step, "loss": 1.0 / step, "wall_s": step / 100}
        if evaluated:
            record.update(
                {
                    "eval/return_mean": {100: 200.0, 200: 500.0, 300: 450.0}[step],
                    "eval/return_std": 10.0,
                    "eval/expert_normalized_score": 0.5,
                    "valid_loss": {100: 0.3, 200: 0.2, 300: 0.1}[step],
                }
            )
        records.append(record)
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"step": 4')
    if evaluated:
        entry = {"step": 300, "return_mean": 450.0, "return_std": 10.0}
        summary = {
            "steps": 300,
            "last": entry,
            "best": {"step": 200, "return_mean": 500.0, "return_std": 10.0},
            "gap_best_minus_last": 50.0,
            "selected_by_valid_loss": {**entry, "valid_loss": 0.1},
            "gap_best_minus_selected": 50.0,
            "history": [entry],
        }
        (run / "eval.json").write_text(json.dumps(summary))
    return run


def test_report_writes_plots_and_a_self_contained_page(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run")
    page = write_run_report(run)
    assert page == run / "report.html"
    plots = sorted((run / "plots").iterdir())
    assert [p.name for p in plots] == ["eval_return.png", "loss.png"]
    html = page.read_text()
    for png in plots:
        data = png.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000  # a drawn figure, not an empty canvas
        assert "data:image/png;base64," + base64.b64encode(data).decode() in html  # inlined
    # nothing the page would fetch: every src/href is a data URI, no scripts, no stylesheets
    assert re.findall(r'(?:src|href)="(?!data:)', html) == []
    assert "<script" not in html and "<link" not in html and "url(" not in html
    # the robomimic table and the config
    assert "selected by validation loss" in html and "best" in html
    assert "<td>return gap, best - last</td><td>50</td>" in html
    assert "algorithm_config.net.hidden_sizes" in html and "256, 256" in html


def test_a_run_without_evaluations_gets_the_loss_plot_only(tmp_path: Path) -> None:
    run = _fake_run(tmp_path / "run", evaluated=False)
    write_run_report(run)
    assert [p.name for p in (run / "plots").iterdir()] == ["loss.png"]
    assert "no checkpoint table" in (run / "report.html").read_text()


def test_report_verb_and_its_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _fake_run(tmp_path / "run")
    assert main(["report", str(run)]) == 0
    assert str(run / "report.html") in capsys.readouterr().out

    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such run directory" in err

    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "not a run directory (no metrics.jsonl)" in capsys.readouterr().err

    (run / "eval.json").write_text("{broken")
    with pytest.raises(ReportError, match="eval.json: not valid JSON"):
        write_run_report(run)


def test_training_writes_the_report_at_the_end(tmp_path: Path) -> None:
    from mimetic.experts import collect, scripted_expert
    from mimetic.runtime import TrainerConfig, train

    demos = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=2, seed=0)
    trainer = TrainerConfig(
        steps=4, log_every=2, eval_every=2, eval_episodes=1, checkpoint_every=4, progress=False
    )
    train("bc", demos, run_dir=tmp_path / "run", policy="discrete", trainer=trainer)
    assert (tmp_path / "run" / "report.html").is_file()
    assert {p.name for p in (tmp_path / "run" / "plots").iterdir()} == {"loss.png", "eval_return.png"}

    off = TrainerConfig(steps=2, eval_every=0, checkpoint_every=2, progress=False, report=False)
    train("bc", demos, run_dir=tmp_path / "quiet", policy="discrete", trainer=off)
    assert not (tmp_path / "quiet" / "report.html").exists()
