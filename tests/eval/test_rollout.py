"""Evaluation rollouts: fixed seeds, wave-size invariance, normalized scores, success rate."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

from mimetic.eval import REFERENCE_RETURNS, evaluate, expert_normalized_score
from mimetic.experts import scripted_expert


def test_scripted_expert_scores_one_on_cartpole() -> None:
    result = evaluate(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=3, seed=0)
    assert result.returns == [500.0, 500.0, 500.0]
    assert result.mean == 500.0 and result.std == 0.0
    assert result.expert_normalized_score == pytest.approx(1.0)
    assert result.success_rate is None


class PushLeft:
    """Always action 0: episodes end fast and their lengths depend on the start state."""

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        return np.zeros(len(obs), dtype=np.int64), state

    def reset(self, batch_size: int) -> Any:
        return None


def test_returns_depend_only_on_the_seeds_not_on_the_number_of_envs() -> None:
    a = evaluate(PushLeft(), "CartPole-v1", episodes=7, seed=3, num_envs=2)
    b = evaluate(PushLeft(), "CartPole-v1", episodes=7, seed=3, num_envs=8)
    c = [evaluate(PushLeft(), "CartPole-v1", episodes=1, seed=3 + i).returns[0] for i in range(7)]
    assert a.returns == b.returns == c
    assert len(set(a.returns)) > 1  # different seeds, different episodes


def test_normalized_score_uses_the_reference_table() -> None:
    ref = REFERENCE_RETURNS["CartPole-v1"]
    assert expert_normalized_score("CartPole-v1", ref.random) == pytest.approx(0.0)
    assert expert_normalized_score("CartPole-v1", ref.expert) == pytest.approx(1.0)
    # halfway between random and expert is 0.5
    assert expert_normalized_score("CartPole-v1", (ref.random + ref.expert) / 2) == pytest.approx(0.5)
    assert expert_normalized_score("NoSuchEnv-v0", 1.0) is None


class SuccessEnv(gym.Env[np.ndarray, int]):
    """Two-step episodes; success iff both actions were 1, reported in info["is_success"]."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.t, self.good = 0, True
        self.odd = bool(seed is not None and seed % 2)
        return np.array([1.0 if self.odd else 0.0], np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.t += 1
        self.good &= action == 1
        done = self.t == 2
        return (
            np.array([1.0 if self.odd else 0.0], np.float32),
            1.0,
            done,
            False,
            {"is_success": done and self.good},
        )


class ActOnObs:
    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        return (np.asarray(obs)[:, 0] > 0.5).astype(np.int64), state

    def reset(self, batch_size: int) -> Any:
        return None


def test_success_rate_comes_from_info() -> None:
    gym.register("mimetic-test/Success-v0", entry_point=SuccessEnv)
    result = evaluate(ActOnObs(), "mimetic-test/Success-v0", episodes=4, seed=0, num_envs=4)
    assert result.success_rate == 0.5  # odd seeds succeed
    assert result.returns == [2.0] * 4
