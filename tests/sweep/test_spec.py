"""Sweep specs: the grid they expand to, and one-line errors for what cannot run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mimetic.sweep import SpecError, load_spec
from mimetic.sweep.results import cells, markdown
from mimetic.sweep.spec import cli_command


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def test_grid_is_the_product_of_its_axes(tmp_path: Path) -> None:
    spec = load_spec(
        _write(
            tmp_path,
            """
name: grid
algorithms: [bc, ppo]
envs: [CartPole-v1]
seeds: [0, 1]
dataset: demos/cartpole.npz
demos: [1, 5]
steps: 100
args: {eval-every: 50, batch-size: [32, 64], policy: discrete}
""",
        )
    )
    trials = spec.trials()
    bc = [t for t in trials if t.algorithm == "bc"]
    ppo = [t for t in trials if t.algorithm == "ppo"]
    # bc: demos 2 × batch sizes 2 × seeds 2; ppo takes neither --dataset, --max-episodes nor --batch-size
    assert len(bc) == 8 and len(ppo) == 2
    assert len({t.key for t in trials}) == 10
    first = bc[0]
    assert first.key == "bc/CartPole-v1/demos-1/batch-size-32/seed-0"
    assert first.params == {"demos": 1, "batch-size": 32}
    argv = list(first.argv)
    assert argv[argv.index("--dataset") + 1] == str(
        tmp_path / "demos" / "cartpole.npz"
    )  # relative to the spec
    assert argv[argv.index("--max-episodes") + 1] == "1" and argv[argv.index("--policy") + 1] == "discrete"
    assert "--no-progress" in argv and argv[argv.index("--seed") + 1] == "0"
    assert "--policy" not in ppo[0].argv and "--eval-every" in ppo[0].argv
    assert spec.out == tmp_path / "runs" / "sweep-spec"


def test_algorithm_args_lists_are_axes_of_that_algorithm_only(tmp_path: Path) -> None:
    spec = load_spec(
        _write(
            tmp_path,
            """
algorithms: [dagger, hg-dagger]
envs: [CartPole-v1]
seeds: [0]
args: {expert: ["zoo:expert", "zoo:low"], labels: 100}
algorithm_args: {dagger: {beta-decay: [0.0, 1.0]}, hg-dagger: {intervener: action-distance}}
""",
        )
    )
    trials = spec.trials()
    dagger = [t for t in trials if t.algorithm == "dagger"]
    hg = [t for t in trials if t.algorithm == "hg-dagger"]
    assert len(dagger) == 4 and len(hg) == 2  # experts 2 x beta-decay 2; experts 2
    assert {(t.params["expert"], t.params["beta-decay"]) for t in dagger} == {
        ("zoo:expert", 0.0),
        ("zoo:expert", 1.0),
        ("zoo:low", 0.0),
        ("zoo:low", 1.0),
    }
    argv = list(dagger[-1].argv)
    assert argv[argv.index("--beta-decay") + 1] == "1.0" and argv[argv.index("--labels") + 1] == "100"
    assert all("--beta-decay" not in t.argv and "--intervener" in t.argv for t in hg)
    assert len({t.key for t in trials}) == 6


def test_config_settings_are_an_axis_every_train_command_takes(tmp_path: Path) -> None:
    spec = load_spec(
        _write(
            tmp_path,
            """
algorithms: [airl-sac, ppo]
envs: [Pendulum-v1]
seeds: [0]
dataset: demos/pendulum.npz
args: {eval-every: 0}
algorithm_args: {airl-sac: {set: ["disc_every=1", "disc_every=2"]}}
""",
        )
    )
    trials = spec.trials()
    # `--set FIELD=VALUE` (a config field) is a trial folder of its own, for its algorithm only
    assert [t.key for t in trials] == [
        "airl-sac/Pendulum-v1/set-disc_every=1/seed-0",
        "airl-sac/Pendulum-v1/set-disc_every=2/seed-0",
        "ppo/Pendulum-v1/seed-0",
    ]
    argv = list(trials[1].argv)
    assert argv[argv.index("--set") + 1] == "disc_every=2" and "--set" not in trials[2].argv


def test_trade_trials_run_mimetic_trade_train(tmp_path: Path) -> None:
    spec = load_spec(
        _write(
            tmp_path,
            """
algorithms: [trade]
seeds: [0, 1]
steps: 200
args: {data: btc-usd-1h, eval-every: 100}
algorithm_args: {trade: {variant: [irdpg, rdpg]}}
""",
        )
    )
    trials = spec.trials()
    assert [t.key for t in trials[:2]] == [
        "trade/default/variant-irdpg/seed-0",
        "trade/default/variant-irdpg/seed-1",
    ]
    argv = list(trials[-1].argv)
    assert argv[argv.index("--variant") + 1] == "rdpg" and argv[argv.index("--data") + 1] == "btc-usd-1h"
    assert cli_command("trade") == ["trade", "train"] and cli_command("bc") == ["train", "bc"]
    with pytest.raises(SpecError, match="no --policy"):
        load_spec(_write(tmp_path, "algorithms: [trade]\nalgorithm_args: {trade: {policy: mlp}}\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("algorithms: [bc]\nwizard: 1\n", "unknown keys ['wizard']"),
        ("envs: [CartPole-v1]\n", "'algorithms' is required"),
        ("algorithms: [bcc]\n", "algorithms: unknown 'bcc'"),
        ("algorithms: [bc]\nargs: {polcy: mlp}\n", "args.polcy: no algorithm of this sweep takes --polcy"),
        ("algorithms: [bc]\nargs: {seed: 3}\n", "args.seed is set by the sweep itself"),
        ("algorithms: [ppo]\nalgorithm_args: {ppo: {policy: mlp}}\n", "`mimetic train ppo` has no --policy"),
        ("algorithms: [ppo]\ndemos: [1, 2]\n", "no algorithm of this sweep takes --max-episodes"),
        ("algorithms: [bc]\nseeds: [0, x]\n", "seeds: expected a non-empty list of int"),
        ("algorithms: [bc\n", "not valid YAML (line 2)"),
    ],
)
def test_bad_specs_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_missing_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no such sweep spec"):
        load_spec(tmp_path / "nope.yaml")


def _row(algo: str, seed: int, ret: float | None, finished: bool = True) -> dict[str, object]:
    return {
        "key": f"{algo}/CartPole-v1/seed-{seed}",
        "algorithm": algo,
        "env": "CartPole-v1",
        "seed": seed,
        "params": {},
        "finished": finished,
        "return": ret,
        "normalized": None if ret is None else (ret - 22.6) / (500.0 - 22.6),
        "wall_s": 2.0 + seed,
        "attempts": 1,
    }


def test_cells_average_over_seeds() -> None:
    rows = [_row("bc", 0, 500.0), _row("bc", 1, 300.0), _row("bc", 2, None, finished=False)]
    (cell,) = cells(rows)
    out = cell.to_json()
    assert out["seeds"] == 2 and out["missing"] == 1
    assert out["return_mean"] == pytest.approx(400.0) and out["return_std"] == pytest.approx(100.0)
    # normalized: (500-22.6)/477.4 = 1 and (300-22.6)/477.4 = 0.58106...
    assert out["normalized_mean"] == pytest.approx((1.0 + 277.4 / 477.4) / 2)
    assert out["wall_s_mean"] == pytest.approx(2.5)
    empty = cells([_row("gail", 0, None, finished=False)])[0].to_json()
    assert empty["return_mean"] is None and not math.isnan(empty["missing"])
    page = markdown(
        {"name": "t", "trials": 4, "finished": 2, "sweep_wall_s": 1.0, "cells": [out, empty], "rows": rows}
    )
    assert "| bc | CartPole-v1 | - | 2 (1 missing) | 400.0 ± 100.0 | 0.79 ± 0.21 | 2.5 |" in page
    assert "| gail | CartPole-v1 | - | 0 (1 missing) | - | - | - |" in page


def test_per_env_datasets_pair_each_env_with_its_own_data(tmp_path: Path) -> None:
    spec = load_spec(
        _write(
            tmp_path,
            """
algorithms: [bc]
envs: [CartPole-v1, Pendulum-v1]
seeds: [0]
datasets: {CartPole-v1: cart.npz, Pendulum-v1: [pend-a.npz, pend-b.npz]}
""",
        )
    )
    got = {}
    for t in spec.trials():
        argv = list(t.argv)
        got[t.key] = Path(argv[argv.index("--dataset") + 1]).name
    assert got == {
        "bc/CartPole-v1/seed-0": "cart.npz",
        "bc/Pendulum-v1/dataset-pend-a.npz/seed-0": "pend-a.npz",
        "bc/Pendulum-v1/dataset-pend-b.npz/seed-0": "pend-b.npz",
    }
    bad = _write(
        tmp_path, "algorithms: [bc]\nenvs: [CartPole-v1, Acrobot-v1]\ndatasets: {CartPole-v1: a.npz}\n"
    )
    with pytest.raises(SpecError, match=r"missing \['Acrobot-v1'\], not in envs \[\]"):
        load_spec(bad)
