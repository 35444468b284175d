"""The pickle-free SB3 reader acts exactly as SB3's own `predict(deterministic=True)`.

The fixtures were saved by stable-baselines3 itself (`scripts/record_sb3_fixtures.py`); SB3 is not
needed to run these tests.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from mimetic.experts.sb3 import SB3FormatError, load_sb3

FIXTURES = Path(__file__).parent / "fixtures" / "sb3"
RECORD = json.loads((FIXTURES / "predictions.json").read_text())
NAMES = ["ppo_cartpole_relu", "a2c_pendulum", "dqn_cartpole", "sac_pendulum", "td3_pendulum"]


def _spaces(env_id: str) -> tuple[gym.Space, gym.Space]:  # type: ignore[type-arg]
    env = gym.make(env_id)
    return env.observation_space, env.action_space


@pytest.mark.parametrize("name", NAMES)
def test_actions_match_sb3_predict(name: str) -> None:
    entry = RECORD[name]
    policy = load_sb3(FIXTURES / f"{name}.zip", *_spaces(entry["env_id"]))
    obs = np.asarray(entry["obs"], dtype=np.float32)
    actions, _ = policy.act(obs, deterministic=True)
    expected = np.asarray(entry["actions"])
    if expected.dtype.kind == "i":
        np.testing.assert_array_equal(np.asarray(actions).reshape(-1), expected.reshape(-1))
    else:
        np.testing.assert_allclose(np.asarray(actions).reshape(expected.shape), expected, atol=1e-5)


def test_activation_is_read_from_the_file() -> None:
    # PPO's default is Tanh; this model was saved with ReLU, so the default would give other actions
    from mimetic.experts import sb3

    assert sb3._activation(FIXTURES / "x.zip", _policy_kwargs("ppo_cartpole_relu"), "ppo") == "relu"
    assert sb3._activation(FIXTURES / "x.zip", _policy_kwargs("a2c_pendulum"), "a2c") == "tanh"


def _policy_kwargs(name: str) -> object:
    with zipfile.ZipFile(FIXTURES / f"{name}.zip") as archive:
        return json.loads(archive.read("data"))["policy_kwargs"]


def test_wrong_env_is_a_clear_error() -> None:
    with pytest.raises(SB3FormatError, match=r"sac_pendulum\.zip: .*action space"):
        load_sb3(FIXTURES / "sac_pendulum.zip", *_spaces("CartPole-v1"))
    obs_space, act_space = _spaces("MountainCarContinuous-v0")
    with pytest.raises(SB3FormatError, match="takes 3 observation features, the env gives 2"):
        load_sb3(FIXTURES / "sac_pendulum.zip", obs_space, act_space)


def test_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SB3FormatError, match="model.zip: not a zip file"):
        load_sb3(bad, *_spaces("CartPole-v1"))
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("other", "x")
    with pytest.raises(SB3FormatError, match="not a stable-baselines3 model"):
        load_sb3(bad, *_spaces("CartPole-v1"))
    with pytest.raises(SB3FormatError, match="no such file"):
        load_sb3(tmp_path / "missing.zip", *_spaces("CartPole-v1"))
