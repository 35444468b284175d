"""Checkpoint averaging: the mean of saved policies, its errors, and `--average-last` in train and eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import mimetic
from mimetic.experts import collect, scripted_expert
from mimetic.report.run import _protocol_rows
from mimetic.runtime import TrainerConfig, train
from mimetic.runtime.averaging import AveragingError, average_policies, checkpoint_policies
from tests.runtime.test_cli import _main, _quick_bc


def _policy(folder: Path, weights: dict[str, torch.Tensor], spec: dict[str, object] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "policy.json").write_text(json.dumps(spec or {"policy": "mlp", "hidden_sizes": [2]}))
    (folder / "notes.txt").write_text(folder.name)
    save_file(weights, str(folder / "policy.safetensors"))
    return folder


def test_mean_of_float_tensors_the_rest_from_the_last(tmp_path: Path) -> None:
    a = _policy(
        tmp_path / "a", {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([3.0]), "n": torch.tensor([7])}
    )
    b = _policy(
        tmp_path / "b", {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor([5.0]), "n": torch.tensor([9])}
    )
    c = _policy(
        tmp_path / "c", {"w": torch.tensor([2.0, 1.0]), "b": torch.tensor([-2.0]), "n": torch.tensor([4])}
    )
    out = average_policies([a, b, c], tmp_path / "out")
    mean = load_file(str(out / "policy.safetensors"))
    # (1 + 3 + 2) / 3 = 2, (2 + 6 + 1) / 3 = 3, (3 + 5 - 2) / 3 = 2; the integer tensor is the last one's
    assert mean["w"].tolist() == [2.0, 3.0] and mean["b"].tolist() == [2.0]
    assert mean["n"].tolist() == [4] and mean["w"].dtype == torch.float32
    assert (out / "notes.txt").read_text() == "c"
    # a second average replaces the first whole, and leaves no temporary folders beside it
    average_policies([a, b], out)
    assert load_file(str(out / "policy.safetensors"))["w"].tolist() == [2.0, 4.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c", "out"]


def test_mismatched_policies_name_the_file(tmp_path: Path) -> None:
    a = _policy(tmp_path / "a", {"w": torch.zeros(2)})
    wide = _policy(tmp_path / "wide", {"w": torch.zeros(3)})
    with pytest.raises(
        AveragingError, match=r"wide/policy.safetensors: tensor 'w' expected shape \(2,\), found shape \(3,\)"
    ):
        average_policies([wide, a], tmp_path / "out")
    other = _policy(tmp_path / "other", {"w": torch.zeros(2)}, {"policy": "gmm"})
    with pytest.raises(AveragingError, match="other/policy.json: a different policy"):
        average_policies([other, a], tmp_path / "out")
    with pytest.raises(AveragingError, match="missing/policy.json: not found"):
        average_policies([tmp_path / "missing", a], tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ds = collect(scripted_expert("CartPole-v1"), "CartPole-v1", 3, seed=0)
    return mimetic.save(ds, tmp_path_factory.mktemp("data") / "cartpole.npz", format="npz")


def test_train_exports_the_mean_of_the_last_checkpoints(demos: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    trainer = TrainerConfig(
        steps=40,
        seed=0,
        eval_every=20,
        eval_episodes=2,
        checkpoint_every=10,
        average_last=3,
        progress=False,
        report=False,
        tensorboard=False,
    )
    result = train("bc", demos, env_id="CartPole-v1", run_dir=run, policy="discrete", trainer=trainer)
    chosen = checkpoint_policies(run, 3)
    assert [step for step, _ in chosen] == [20, 30, 40]
    saved = [load_file(str(path / "policy.safetensors")) for _, path in chosen]
    exported = load_file(str(run / "policy" / "policy.safetensors"))
    for name, value in exported.items():
        expected = torch.stack([s[name].double() for s in saved]).mean(0).float()
        torch.testing.assert_close(value, expected, rtol=0, atol=1e-7)
    assert not torch.equal(exported["trunk.0.weight"], saved[-1]["trunk.0.weight"])
    # the final policy/ was swapped for the mean whole: no temporary or set-aside folder is left beside it
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")]
    averaged = json.loads((run / "eval.json").read_text())["averaged"]
    assert averaged["checkpoints"] == [20, 30, 40] and averaged == result.summary["averaged"]
    assert averaged["length_mean"] > 0 and "return_mean" in averaged
    rows = _protocol_rows(result.summary, [])
    assert rows[-1]["checkpoint"] == "mean of the checkpoints at steps 20, 30, 40 (policy/)"
    assert rows[-1]["return mean"] == averaged["return_mean"]


def test_too_few_checkpoints_fail_before_training(demos: Path, tmp_path: Path) -> None:
    trainer = TrainerConfig(steps=20, checkpoint_every=10, average_last=3, eval_every=0, progress=False)
    with pytest.raises(ValueError, match="averaging the last 3 checkpoints needs 3, but 20 steps .* save 2"):
        train("bc", demos, env_id="CartPole-v1", run_dir=tmp_path / "run", policy="discrete", trainer=trainer)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_eval_average_last_rolls_out_the_mean_without_touching_the_run(
    demos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    argv = _quick_bc(demos, steps=30)
    assert (
        _main([*argv, "--checkpoint-every", "10", "--run-dir", str(run), "--no-progress", "--no-report"]) == 0
    )
    before = sorted(str(p.relative_to(run)) for p in run.rglob("*"))
    capsys.readouterr()
    assert _main(["eval", str(run), "--average-last", "2", "--episodes", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["policy"].endswith("checkpoint policies at steps 20, 30") and len(out["returns"]) == 2
    assert sorted(str(p.relative_to(run)) for p in run.rglob("*")) == before
    assert _main(["eval", str(run), "--average-last", "5"]) != 0
    assert "averaging the last 5 checkpoints needs 5 saved ones, found 3" in capsys.readouterr().err
