"""A saved policy is JSON + safetensors, carries its normalizers, and reloads to the same actions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mimetic.data import DatasetError
from mimetic.policies import PolicyConfig, build_policy, load
from tests.builders import make_dict_dataset

torch.set_num_threads(1)


def test_round_trip_keeps_weights_normalizers_and_actions(tmp_path: Path) -> None:
    ds = make_dict_dataset(episodes=3)
    obs = ds.episodes[0].obs
    torch.manual_seed(0)
    policy = build_policy("gaussian", obs, ds.metadata.action_space, PolicyConfig(hidden_sizes=(8,)))
    flat = policy.layout.flatten(obs)
    policy.fit_normalizers(flat, np.asarray(ds.episodes[0].acts))
    policy.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.json", "policy.safetensors"]
    meta = json.loads((tmp_path / "policy.json").read_text())
    assert meta["policy"] == "gaussian" and meta["obs_layout"][0][0] == "desired_goal"

    loaded = load(tmp_path)
    np.testing.assert_allclose(loaded.obs_norm.loc.numpy(), flat.mean(axis=0), rtol=1e-6)
    # bounded actions: the squashing head's scale maps [-1, 1] in the space onto (-1, 1)
    assert loaded.act_norm.scale.tolist() == [1.0, 1.0] and loaded.act_norm.loc.tolist() == [0.0, 0.0]
    a, _ = policy.act(obs)
    b, _ = loaded.act(obs)
    np.testing.assert_array_equal(a, b)


def test_loading_a_folder_without_a_policy_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a saved policy"):
        load(tmp_path)
