"""`mimetic train bc` and `mimetic eval`, through a parser built the way `mimetic.cli` builds it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import mimetic
from mimetic.cli import CliError, _run
from mimetic.experts import collect, scripted_expert
from mimetic.runtime.cli import ACTIVATION_CHOICES, add_eval_parser, add_train_parser


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mimetic")
    verbs = parser.add_subparsers(dest="verb", required=True)
    add_train_parser(verbs)
    add_eval_parser(verbs)
    args = parser.parse_args(argv)
    return _run(args.func, args)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = collect(scripted_expert("CartPole-v1"), "CartPole-v1", 5, seed=0)
    return mimetic.save(ds, tmp_path_factory.mktemp("data") / "cartpole.npz", format="npz")


def test_train_resume_and_eval(demos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    common = ["--run-dir", str(run), "--no-progress"]
    argv = [
        "train",
        "bc",
        "--dataset",
        str(demos),
        "--env",
        "CartPole-v1",
        "--policy",
        "discrete",
        "--steps",
        "300",
    ]
    assert _main([*argv, "--seed", "1", "--eval-every", "300", "--eval-episodes", "2", *common]) == 0
    assert "trained 300 steps" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert config["algorithm"] == "bc" and config["algorithm_config"]["policy"] == "discrete"
    assert config["trainer"]["steps"] == 300 and config["dataset"] == str(demos.resolve())
    assert (run / "report.html").is_file()  # a run leaves its report by default

    # --resume with a larger --steps continues the same run
    assert _main(["train", "bc", "--resume", "--steps", "400", *common]) == 0
    assert (run / "checkpoints" / "step_400").is_dir()
    assert "trained 400 steps" in capsys.readouterr().out

    assert _main(["eval", str(run), "--episodes", "3", "--seed", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["env_id"] == "CartPole-v1" and len(result["returns"]) == 3 and result["seed"] == 5
    assert (
        _main(
            [
                "eval",
                str(run / "checkpoints" / "step_400" / "policy"),
                "--env",
                "CartPole-v1",
                "--episodes",
                "1",
            ]
        )
        == 0
    )


def test_user_errors_are_one_line(demos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert _main(["train", "bc", "--run-dir", str(run), "--resume"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert _main(["eval", str(tmp_path), "--env", "CartPole-v1"]) == 2
    assert "no policy.json" in capsys.readouterr().err
    assert _main(["train", "bc", "--run-dir", str(run)]) == 2
    assert "--dataset is required" in capsys.readouterr().err
    assert (
        _main(
            ["train", "bc", "--dataset", str(demos), "--run-dir", str(run), "--policy", "mlp", "--steps", "1"]
        )
        == 2
    )
    assert "use policy 'discrete'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["train", "bc", "--help"], ["eval", "--help"]])
def test_help_has_an_example(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _main(argv)
    assert "example:" in capsys.readouterr().out


def test_cli_error_is_the_cli_modules() -> None:
    assert issubclass(CliError, Exception)


def _quick_bc(demos: Path, steps: int) -> list[str]:
    """`mimetic train bc` on the CartPole demos for a few steps, without evaluation."""
    return [
        "train",
        "bc",
        "--dataset",
        str(demos),
        "--policy",
        "discrete",
        "--steps",
        str(steps),
        "--eval-every",
        "0",
    ]


def test_no_report_and_no_tensorboard_are_kept_on_resume(demos: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    argv = _quick_bc(demos, steps=20)
    assert _main([*argv, "--no-report", "--no-tensorboard", "--run-dir", str(run), "--no-progress"]) == 0
    assert (run / "policy" / "policy.json").is_file() and not (run / "report.html").exists()
    trainer = json.loads((run / "config.json").read_text())["trainer"]
    assert trainer["report"] is False and trainer["tensorboard"] is False
    assert not list(run.glob("**/events.out.tfevents.*"))
    assert _main(["train", "bc", "--resume", "--steps", "30", "--run-dir", str(run), "--no-progress"]) == 0
    assert (run / "checkpoints" / "step_30").is_dir() and not (run / "report.html").exists()


def test_bc_network_flags_reach_the_policy(demos: Path, tmp_path: Path) -> None:
    from mimetic.nn.mlp import ACTIVATIONS

    run = tmp_path / "run"
    argv = _quick_bc(demos, steps=5)
    argv += [
        "--hidden-sizes",
        "32,16",
        "--activation",
        "tanh",
        "--no-report",
        "--run-dir",
        str(run),
        "--no-progress",
    ]
    assert _main(argv) == 0
    net = json.loads((run / "config.json").read_text())["algorithm_config"]["net"]
    assert net["hidden_sizes"] == [32, 16] and net["activation"] == "tanh"
    weights = [p.shape for p in mimetic.policies.load(run / "policy").parameters() if p.dim() == 2]
    assert weights[:2] == [(32, 4), (16, 32)]
    assert set(ACTIVATION_CHOICES) == set(ACTIVATIONS)


def test_bad_hidden_sizes_is_a_one_line_error(
    demos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        _main(
            [
                "train",
                "bc",
                "--dataset",
                str(demos),
                "--hidden-sizes",
                "64,x",
                "--run-dir",
                str(tmp_path / "r"),
            ]
        )
    assert "expected comma-separated widths" in capsys.readouterr().err


def test_set_reaches_the_config_and_is_refused_on_resume(
    demos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    argv = [*_quick_bc(demos, steps=5), "--no-report", "--run-dir", str(run), "--no-progress"]
    assert _main([*argv, "--set", "batch_size=7", "--set", "net.hidden_sizes=8,8"]) == 0
    config = json.loads((run / "config.json").read_text())["algorithm_config"]
    assert config["batch_size"] == 7 and config["net"]["hidden_sizes"] == [8, 8]
    weights = [p.shape for p in mimetic.policies.load(run / "policy").parameters() if p.dim() == 2]
    assert weights[:2] == [(8, 4), (8, 8)]
    resume = ["train", "bc", "--resume", "--steps", "9", "--run-dir", str(run), "--set", "batch_size=3"]
    assert _main(resume) == 2
    assert "drop --set" in capsys.readouterr().err
    assert _main([*_quick_bc(demos, 5), "--run-dir", str(tmp_path / "bad"), "--set", "batch_size=x"]) == 2
    err = capsys.readouterr().err
    assert "--set batch_size=x: expected int, found 'x'" in err and err.strip().count("\n") == 0
    assert not (tmp_path / "bad").exists()
