from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mimetic
from mimetic.cli import main
from mimetic.data import Dataset, DatasetMetadata, Trajectory


def test_info_json(tmp_path: Path, array_dataset: Dataset, capsys: pytest.CaptureFixture[str]) -> None:
    mimetic.save(array_dataset, tmp_path / "a.npz")
    assert main(["data", "info", str(tmp_path / "a.npz"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["episodes"] == 3 and info["steps"] == 18 and info["format"] == "npz"
    assert info["return_mean"] == pytest.approx(6.0)


def test_validate_clean_and_dirty(
    tmp_path: Path, array_dataset: Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    mimetic.save(array_dataset, tmp_path / "a.npz")
    assert main(["data", "validate", str(tmp_path / "a.npz"), "--env", "CartPole-v1"]) == 0
    assert "ok (3 episodes, 18 steps)" in capsys.readouterr().out

    acts = np.array(array_dataset[0].acts)
    acts[0] = 7
    bad = Dataset([Trajectory(obs=array_dataset[0].obs, acts=acts)], DatasetMetadata())
    mimetic.save(bad, tmp_path / "bad.npz")
    assert main(["data", "validate", str(tmp_path / "bad.npz"), "--env", "CartPole-v1"]) == 1
    err = capsys.readouterr().err
    assert "bad.npz, episode 0, field 'acts'" in err and "outside the action space" in err


def test_convert(tmp_path: Path, array_dataset: Dataset) -> None:
    mimetic.save(array_dataset, tmp_path / "a.npz")
    assert main(["data", "convert", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--format", "npz"]) == 0
    assert mimetic.load(tmp_path / "b.npz").equals(array_dataset)
    # a second convert onto the same path refuses, then succeeds with --overwrite
    assert main(["data", "convert", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "--format", "npz"]) == 2
    args = [
        "data",
        "convert",
        str(tmp_path / "a.npz"),
        str(tmp_path / "b.npz"),
        "--format",
        "npz",
        "--overwrite",
    ]
    assert main(args) == 0


def test_bad_input_is_one_line_and_no_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    proc = subprocess.run(
        [sys.executable, "-m", "mimetic.cli", "data", "info", str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mimetic: error: ") and "broken.npz" in lines[0]
    assert "Traceback" not in proc.stderr


def test_every_verb_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in (["data", "info"], ["data", "validate"], ["data", "convert"], ["collect"], ["demo"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*verb, "--help"])
        assert exit_info.value.code == 0
        assert "example:" in capsys.readouterr().out


def test_collect_writes_a_dataset_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pend.npz"
    args = ["collect", "Pendulum-v1", "--expert", "scripted", "--episodes", "2", "--out", str(out)]
    assert main([*args, "--format", "npz", "--action-noise", "0.1", "--seed", "4"]) == 0
    assert "wrote 2 episodes (400 steps" in capsys.readouterr().out
    ds = mimetic.load(out)
    assert mimetic.validate(ds, env="Pendulum-v1") == []
    noisy, clean = ds[0].acts, ds[0].extras["expert_action"]
    assert noisy.shape == clean.shape == (200, 1)
    assert not np.array_equal(noisy, clean)
    assert main(["data", "validate", str(out), "--env", "Pendulum-v1"]) == 0


def test_collect_bad_expert_and_env(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collect", "CartPole-v1", "--expert", "wizard", "--out", "x"]) == 2
    assert "unknown expert 'wizard'" in capsys.readouterr().err
    assert main(["collect", "NoSuchEnv-v9", "--out", "x"]) == 2
    assert "unknown env 'NoSuchEnv-v9'" in capsys.readouterr().err


def test_collect_trading_strategy_with_env_args(tmp_path: Path) -> None:
    out = tmp_path / "dt.npz"
    args = ["collect", "mimetic/Trading-v0", "--expert", "dual-thrust", "--episodes", "2", "--out", str(out)]
    assert main([*args, "--format", "npz", "--env-arg", "split=train"]) == 0
    ds = mimetic.load(out)
    assert len(ds) == 2 and ds.metadata.source == "dual-thrust:mimetic/Trading-v0"
    # positions come from [p_long, p_short] actions; Dual Thrust's are one-hot
    assert set(np.unique(ds[0].acts).tolist()) <= {0.0, 1.0}
    assert mimetic.validate(ds) == []
    assert main(["collect", "mimetic/Trading-v0", "--expert", "magic", "--out", str(tmp_path / "x")]) == 2


def test_collect_with_an_sb3_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = Path(__file__).parent / "experts" / "fixtures" / "sb3" / "sac_pendulum.zip"
    out = tmp_path / "sb3.npz"
    args = ["collect", "Pendulum-v1", "--expert", f"sb3:{model}", "--episodes", "2", "--out", str(out)]
    assert main([*args, "--format", "npz"]) == 0
    ds = mimetic.load(out)
    assert len(ds) == 2 and mimetic.validate(ds, env="Pendulum-v1") == []
    assert np.all(np.abs(ds[0].acts) <= 2.0)
    # a model for another env is one line naming the file, not a traceback
    assert main(["collect", "CartPole-v1", "--expert", f"sb3:{model}", "--out", str(tmp_path / "x")]) == 2
    assert "sac_pendulum.zip: a SAC model does not fit" in capsys.readouterr().err
