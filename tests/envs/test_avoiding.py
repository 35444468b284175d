from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import mimetic  # noqa: F401  (registers the envs)
from mimetic.envs.avoiding import NUM_MODES, gap_index, mode_label
from mimetic.eval.diversity import behavior_entropy
from mimetic.experts import collect, scripted_expert


def test_mode_labels_hand_computed() -> None:
    assert NUM_MODES == 24
    assert mode_label((0, 0, 0)) == 0
    assert mode_label((1, 2, 3)) == 1 * 12 + 2 * 4 + 3 == 23
    assert [gap_index(2, x) for x in (-0.9, -0.3, 0.3, 0.9)] == [0, 1, 2, 3]


def test_straight_up_hits_the_first_obstacle() -> None:
    env = gym.make("mimetic/Avoiding-v0")
    env.reset(seed=0)
    for _ in range(10):
        _, reward, terminated, _, info = env.step(np.array([0.0, 1.0], dtype=np.float32))
        if terminated:
            break
    assert terminated and reward == 0.0 and info["success"] is False and info["mode"] == -1


def test_a_hand_steered_path_succeeds_with_the_right_mode() -> None:
    env = gym.make("mimetic/Avoiding-v0", start_noise=0.0)
    env.reset(seed=0)
    # go left to x = -0.8 below row 1, then straight up: gaps (0, 0, 0) -> mode 0
    for _ in range(16):
        env.step(np.array([-1.0, 0.0], dtype=np.float32))
    for _ in range(25):
        _, reward, terminated, _, info = env.step(np.array([0.0, 1.0], dtype=np.float32))
        if terminated:
            break
    assert reward == 1.0 and info["success"] and info["mode"] == 0


@pytest.mark.parametrize("env_id", ["mimetic/Avoiding-v0", "mimetic/AvoidingGoal-v0"])
def test_scripted_expert_succeeds_and_covers_the_modes(env_id: str) -> None:
    ds = collect(scripted_expert(env_id, seed=0), env_id, episodes=120, seed=0, info_keys=["mode", "success"])
    success = np.array([t.infos["success"][-1] for t in ds])
    modes = np.array([t.infos["mode"][-1] for t in ds])
    assert success.all()
    assert len(set(modes.tolist())) == NUM_MODES
    assert behavior_entropy(modes, success, NUM_MODES) > 0.95


def test_goal_variant_requires_the_target() -> None:
    env = gym.make("mimetic/AvoidingGoal-v0", start_noise=0.0)
    obs, _ = env.reset(seed=3)
    assert set(obs) == {"observation", "desired_goal"}
    goal_x = float(obs["desired_goal"][0])
    # the mode-0 path crosses the line at x = -0.8, which only counts when the target is within 0.15
    for _ in range(16):
        env.step(np.array([-1.0, 0.0], dtype=np.float32))
    for _ in range(25):
        _, reward, terminated, _, info = env.step(np.array([0.0, 1.0], dtype=np.float32))
        if terminated:
            break
    assert terminated and info["success"] is (abs(-0.8 - goal_x) <= 0.15)
