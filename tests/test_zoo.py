from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mimetic import zoo
from mimetic.data import DatasetError
from mimetic.policies.learned import build_policy
from tests.builders import make_array_dataset


def _write_entry(root: Path, env_id: str, quality: str, ret: float) -> None:
    ds = make_array_dataset()
    folder = root / zoo.env_folder(env_id) / quality
    policy = build_policy("discrete", ds[0].obs, ds.metadata.action_space)  # type: ignore[arg-type]
    policy.save(folder)
    record = {
        "env_id": env_id,
        "quality": quality,
        "algorithm": "ppo",
        "return_mean": ret,
        "return_std": 1.0,
        "episodes": 50,
        "eval_seed": 100_000,
        "command": "python scripts/build_zoo.py CartPole-v1",
        "seed": 0,
        "train_env_steps": 1000,
        "wall_clock_s": 1.0,
        "versions": {"mimetic": "0.1.0"},
    }
    (folder / zoo.ENTRY_FILE).write_text(json.dumps(record))


def test_entries_load_and_errors(tmp_path: Path) -> None:
    _write_entry(tmp_path, "CartPole-v1", "low", 150.0)
    _write_entry(tmp_path, "CartPole-v1", "expert", 500.0)
    _write_entry(tmp_path, "mimetic/Avoiding-v0", "expert", 1.0)
    rows = zoo.entries(tmp_path)
    assert [(e.env_id, e.quality) for e in rows] == [
        ("CartPole-v1", "expert"),
        ("CartPole-v1", "low"),
        ("mimetic/Avoiding-v0", "expert"),
    ]
    policy = zoo.load("CartPole-v1", "low", tmp_path)
    actions, _ = policy.act(np.zeros((3, 4), dtype=np.float32))
    assert actions.shape == (3,) and set(actions.tolist()) <= {0, 1}
    with pytest.raises(DatasetError, match="no medium policy for CartPole-v1"):
        zoo.entry("CartPole-v1", "medium", tmp_path)
    with pytest.raises(DatasetError, match="unknown zoo quality"):
        zoo.entry("CartPole-v1", "great", tmp_path)
    assert zoo.env_folder("mimetic/Avoiding-v0") == "mimetic__Avoiding-v0"
