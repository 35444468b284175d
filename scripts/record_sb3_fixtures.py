"""Record the stable-baselines3 model fixtures that test `mimetic.experts.sb3` without SB3 installed.

    pip install -e ".[compare]" && python scripts/record_sb3_fixtures.py

Each model trains briefly (so its weights are not the initial ones), is saved by SB3 itself, and
its `predict(obs, deterministic=True)` on 32 fixed observations is recorded beside it. The test
loads the zip with mimetic's pickle-free reader and must reproduce those actions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import stable_baselines3 as sb3  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "experts" / "fixtures" / "sb3"

MODELS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # name: (algorithm, env, keyword arguments); ReLU in PPO is not SB3's default (Tanh), so the
    # test checks that the activation is read from the file.
    "ppo_cartpole_relu": (
        "PPO",
        "CartPole-v1",
        {"n_steps": 256, "policy_kwargs": {"net_arch": [16, 16], "activation_fn": nn.ReLU}},
    ),
    "a2c_pendulum": ("A2C", "Pendulum-v1", {"policy_kwargs": {"net_arch": [16, 16]}}),
    "dqn_cartpole": ("DQN", "CartPole-v1", {"learning_starts": 100, "policy_kwargs": {"net_arch": [16, 16]}}),
    "sac_pendulum": ("SAC", "Pendulum-v1", {"learning_starts": 100, "policy_kwargs": {"net_arch": [16, 16]}}),
    "td3_pendulum": ("TD3", "Pendulum-v1", {"learning_starts": 100, "policy_kwargs": {"net_arch": [16, 16]}}),
}


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"stable_baselines3": sb3.__version__}
    for name, (algo, env_id, kwargs) in MODELS.items():
        model = getattr(sb3, algo)("MlpPolicy", env_id, seed=0, **kwargs)
        model.learn(600)
        model.save(OUT / f"{name}.zip")
        space = gym.make(env_id).observation_space
        space.seed(1)
        obs = np.stack([space.sample() for _ in range(32)]).clip(-5, 5).astype(np.float32)
        actions, _ = model.predict(obs, deterministic=True)
        record[name] = {"env_id": env_id, "obs": obs.tolist(), "actions": np.asarray(actions).tolist()}
        print(f"{name}: saved")
    (OUT / "predictions.json").write_text(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
