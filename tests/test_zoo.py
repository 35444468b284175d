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


SHIPPED = zoo.entries()


@pytest.mark.parametrize("entry", SHIPPED, ids=lambda e: f"{e.env_id}-{e.quality}")
def test_shipped_policy_reproduces_its_recorded_returns(entry: zoo.ZooEntry) -> None:
    """Five fresh episodes on the recorded seeds give the recorded per-episode returns exactly where
    the floating point allows it, and come within 10% of the recorded return everywhere.

    Exact reproduction holds for the classic-control entries on any machine, and for MuJoCo on a CPU
    whose float kernels match the one the entry was built on. Elsewhere, last-bit differences in the
    policy's matmuls (another SIMD path) are amplified by MuJoCo's contact dynamics, so trajectories
    and returns drift; the check is then issue #4's: the 5-episode mean within 10% of the recorded
    50-episode mean, measured as a share of the entry's margin over the random return (a low-quality
    entry's return is small, so 10% of it alone would hold it to a far tighter standard).
    """
    import mimetic

    record = json.loads((entry.path / zoo.ENTRY_FILE).read_text())
    recorded = np.asarray(record["returns"])
    assert len(recorded) == entry.episodes
    assert recorded.mean() == pytest.approx(entry.return_mean)
    result = mimetic.evaluate(
        zoo.load(entry.env_id, entry.quality), entry.env_id, episodes=5, seed=entry.eval_seed
    )
    if np.allclose(result.returns, recorded[:5], rtol=1e-6):
        return
    assert entry.env_id.endswith("-v5"), f"{entry.env_id} is deterministic on every CPU: {result.returns}"
    margin = entry.return_mean - float(record["random_return"])
    assert abs(result.mean - entry.return_mean) <= 0.1 * margin, (result.returns, entry.return_mean)


@pytest.mark.parametrize("env_id", sorted({e.env_id for e in SHIPPED}))
def test_shipped_qualities_are_ordered(env_id: str) -> None:
    returns = {e.quality: e.return_mean for e in SHIPPED if e.env_id == env_id}
    assert set(returns) == set(zoo.QUALITIES)
    assert returns["low"] < returns["medium"] < returns["expert"]
    import gymnasium as gym

    env = gym.make(env_id)
    obs, _ = env.reset(seed=0)
    for quality in zoo.QUALITIES:
        action, _ = zoo.load(env_id, quality).act(obs[None])
        assert env.action_space.contains(action[0])
