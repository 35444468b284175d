"""The demo pipeline, end to end, as `make demo` runs it (smaller)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mimetic
from mimetic.cli import main


def test_demo_writes_a_valid_minari_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["demo", "--out", str(tmp_path), "--episodes", "4", "--seed", "3"]) == 0
    path = tmp_path / "datasets" / "mimetic" / "cartpole-scripted-v0"
    ds = mimetic.load(path)
    assert len(ds) == 4
    assert mimetic.validate(ds, env="CartPole-v1") == []
    np.testing.assert_array_equal(ds.returns(), [500.0] * 4)

    import minari

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    theirs = minari.load_dataset("mimetic/cartpole-scripted-v0")
    assert theirs.total_episodes == 4 and theirs.total_steps == 2000
    first = next(iter(theirs.iterate_episodes()))
    np.testing.assert_array_equal(first.observations, ds[0].obs)
    np.testing.assert_array_equal(first.actions, ds[0].acts)
