"""Learned rewards: the soft-Q formula, save/load round trips, clear errors on bad files, the slice plot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mimetic.data.errors import DatasetError
from mimetic.rewards import LearnedReward, load_reward
from mimetic.rewards.nets import NetSpec, RewardNet
from mimetic.rewards.plot import plot_reward_slice, reward_slice

torch.set_num_threads(1)


def _mlp_reward() -> LearnedReward:
    torch.manual_seed(0)
    g = RewardNet(NetSpec(4, 2, True, "sa", (8, 8), spectral_norm=True), np.ones(4), np.full(4, 2.0))
    return LearnedReward("mlp", {"g": g}, transform="softplus", meta={"algorithm": "gail"})


def _batch(n: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((n, 4)).astype(np.float32)
    return obs, rng.integers(0, 2, n), rng.standard_normal((n, 4)).astype(np.float32)


def test_mlp_reward_round_trips_and_is_positive_with_softplus(tmp_path: Path) -> None:
    reward = _mlp_reward()
    obs, acts, next_obs = _batch()
    before = reward(obs, acts, next_obs, np.zeros(len(acts)))
    assert before.shape == (6,) and np.all(before > 0)
    loaded = load_reward(reward.save(tmp_path / "reward"))
    np.testing.assert_allclose(loaded(obs, acts, next_obs, np.zeros(6)), before, rtol=1e-5, atol=1e-6)
    assert loaded.meta == {"algorithm": "gail"}
    # the spectral-norm parametrization is folded into plain weights on export
    assert (
        json.loads((tmp_path / "reward" / "reward.json").read_text())["nets"]["g"]["spectral_norm"] is False
    )


def test_soft_q_reward_is_q_minus_discounted_soft_value() -> None:
    q = RewardNet(NetSpec(4, 3, True, "s", (8,), out_dim=3))
    reward = LearnedReward("soft_q", {"q0": q}, gamma=0.9, alpha=0.5)
    obs, _, next_obs = _batch()
    acts = np.array([0, 1, 2, 0, 1, 2])
    with torch.no_grad():
        q_now, q_next = q.score(obs).numpy(), q.score(next_obs).numpy()
    soft_v = 0.5 * np.log(np.exp(q_next / 0.5).sum(1))
    expected = q_now[np.arange(6), acts] - 0.9 * soft_v
    np.testing.assert_allclose(reward(obs, acts, next_obs, np.zeros(6)), expected, rtol=1e-5, atol=1e-5)


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a saved reward"):
        load_reward(tmp_path)
    path = _mlp_reward().save(tmp_path / "r")
    config = json.loads((path / "reward.json").read_text())
    (path / "reward.json").write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(DatasetError, match=r"reward\.json.*format_version"):
        load_reward(path)
    (path / "reward.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"reward\.json: invalid JSON"):
        load_reward(path)
    config["nets"]["g"]["hidden_sizes"] = [3]
    (path / "reward.json").write_text(json.dumps(config))
    with pytest.raises(DatasetError, match=r"reward\.safetensors.*weights do not match"):
        load_reward(path)


def test_plot_over_a_slice(tmp_path: Path) -> None:
    reward = _mlp_reward()
    xs, ys, values = reward_slice(reward, dims=(0, 2), resolution=7)
    assert xs.shape == (7,) and ys.shape == (7,) and values.shape == (7, 7)
    assert np.isfinite(values).all() and values.std() > 0
    out = plot_reward_slice(reward, tmp_path / "plots" / "reward.png", dims=(0, 2), resolution=7)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="out of range"):
        reward_slice(reward, dims=(0, 9))
