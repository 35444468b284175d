"""BC learns real things in seconds: CartPole from scripted demos, two modes with a GMM, a memory cue with an RNN."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from mimetic.data import Dataset, DatasetMetadata, Trajectory
from mimetic.eval import evaluate
from mimetic.experts import collect, scripted_expert
from mimetic.policies import PolicyConfig, load
from mimetic.runtime import TrainerConfig, train

torch.set_num_threads(1)


@pytest.mark.slow
def test_bc_on_cartpole_reaches_expert_level_in_seconds(tmp_path: Path) -> None:
    demos = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=10, seed=0)
    started = time.perf_counter()
    trainer = TrainerConfig(
        steps=1000, seed=0, eval_every=500, eval_episodes=20, checkpoint_every=500, progress=False
    )
    result = train(
        "bc", demos, run_dir=tmp_path / "run", policy="discrete", trainer=trainer, valid_fraction=0.1
    )
    wall_s = time.perf_counter() - started
    assert result.summary["last"]["return_mean"] >= 475.0
    assert wall_s < 30.0
    summary = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert {
        "best",
        "last",
        "selected_by_valid_loss",
        "gap_best_minus_last",
        "gap_best_minus_selected",
    } <= set(summary)
    # the saved policy is the trained one: the same rollouts, seeded the same way
    again = evaluate(load(tmp_path / "run" / "policy"), "CartPole-v1", 20, 10_000)
    assert again.mean == summary["last"]["return_mean"]


def _bimodal_dataset(episodes: int = 20, steps: int = 50, seed: int = 0) -> Dataset:
    """obs ~ U(-1, 1); the action is +1 or -1 with equal odds (plus a little noise), whatever the obs."""
    rng = np.random.default_rng(seed)
    trajectories = [
        Trajectory(
            obs=rng.uniform(-1, 1, (steps + 1, 1)).astype(np.float32),
            acts=(rng.choice([-1.0, 1.0], (steps, 1)) + rng.normal(0, 0.05, (steps, 1))).astype(np.float32),
        )
        for _ in range(episodes)
    ]
    return Dataset(trajectories, DatasetMetadata(action_space=gym.spaces.Box(-2.0, 2.0, (1,), np.float32)))


@pytest.mark.slow
def test_gmm_samples_both_modes_where_mse_collapses_to_the_mean(tmp_path: Path) -> None:
    demos = _bimodal_dataset()
    trainer = TrainerConfig(steps=1500, seed=0, eval_every=0, checkpoint_every=1500, progress=False)
    net = PolicyConfig(hidden_sizes=(64, 64))
    gmm = train("bc", demos, run_dir=tmp_path / "gmm", policy="gmm", net=net, trainer=trainer).policy
    mse = train("bc", demos, run_dir=tmp_path / "mse", policy="mlp", net=net, trainer=trainer).policy
    obs = np.linspace(-1, 1, 400, dtype=np.float32)[:, None]

    torch.manual_seed(0)
    sampled, _ = gmm.act(obs, deterministic=False)
    assert np.mean(np.abs(sampled - 1.0) < 0.3) > 0.3
    assert np.mean(np.abs(sampled + 1.0) < 0.3) > 0.3
    assert np.mean(np.abs(sampled) < 0.5) < 0.05  # almost nothing between the modes
    mode, _ = gmm.act(obs, deterministic=True)
    assert np.all(np.abs(np.abs(mode) - 1.0) < 0.3)  # the deterministic action is a mode, not the mean

    regressed, _ = mse.act(obs, deterministic=True)
    # near the average of the two modes (0), which no demonstrator did, and nowhere near either mode
    assert np.mean(np.abs(regressed)) < 0.2
    assert np.all(np.abs(regressed) < 0.5)


class CueEnv(gym.Env[np.ndarray, int]):
    """A memory task: the first observation shows a cue (+1 or -1), later ones show nothing.

    Every step pays 1 for the action that matches the cue (1 for +1, 0 for -1); episodes last 8 steps.
    An optimal memoryless policy guesses after the first step and earns 1 + 7 / 2 on average.
    """

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)
    length = 8

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.cue = int(self.np_random.integers(0, 2))
        self.t = 0
        return np.array([2.0 * self.cue - 1.0, 1.0], np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.t += 1
        reward = float(int(action) == self.cue)
        return np.zeros(2, np.float32), reward, False, self.t >= self.length, {}


class CueExpert:
    """Remembers the cue from the first observation of each episode."""

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        obs = np.asarray(obs)
        state = np.where(obs[:, 1] > 0.5, (obs[:, 0] > 0).astype(np.int64), state)
        return state.astype(np.int64), state

    def reset(self, batch_size: int) -> Any:
        return np.zeros(batch_size, dtype=np.int64)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["rnn", "transformer"])
def test_sequence_policy_remembers_a_cue_that_an_mlp_cannot(policy: str, tmp_path: Path) -> None:
    if "mimetic-test/Cue-v0" not in gym.registry:  # a string entry point: collect stores the spec as JSON
        gym.register("mimetic-test/Cue-v0", entry_point="tests.e2e.test_bc:CueEnv")
    demos = collect(CueExpert(), "mimetic-test/Cue-v0", episodes=40, seed=0)
    assert np.all(demos.returns() == 8.0)
    net = PolicyConfig(hidden_sizes=(32, 32), rnn_hidden_size=32, rnn_layers=1, d_model=32, num_layers=1)
    trainer = TrainerConfig(steps=400, seed=0, eval_every=0, checkpoint_every=400, progress=False)
    seq = train("bc", demos, run_dir=tmp_path / policy, policy=policy, net=net, trainer=trainer).policy
    flat = train("bc", demos, run_dir=tmp_path / "mlp", policy="discrete", net=net, trainer=trainer).policy
    seq.train()  # act() turns dropout off by itself, whatever the mode
    remembered = evaluate(seq, "mimetic-test/Cue-v0", episodes=40, seed=1000)
    memoryless = evaluate(flat, "mimetic-test/Cue-v0", episodes=40, seed=1000)
    assert remembered.mean == 8.0
    assert memoryless.mean < 6.5  # 4.5 expected: a coin flip after the first step
