from __future__ import annotations

import numpy as np
import pytest

from mimetic.experts import collect, scripted_expert
from mimetic.registry import UnknownNameError


def test_cartpole_expert_hand_computed_actions() -> None:
    expert = scripted_expert("CartPole-v1")
    obs = np.array([[0.0, 0.0, 0.05, 0.0], [0.0, 0.0, -0.05, 0.0], [0.0, 0.0, 0.01, -0.1]])
    actions, state = expert.act(obs)
    # 0.05 > 0 -> push right (1); -0.05 -> left (0); 0.01 + 0.5 * -0.1 = -0.04 -> left (0)
    np.testing.assert_array_equal(actions, [1, 0, 0])
    assert state is None


def test_cartpole_expert_solves_the_task() -> None:
    ds = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=5, seed=0)
    np.testing.assert_array_equal(ds.returns(), [500.0] * 5)
    assert all(t.truncated and not t.terminated for t in ds)


def test_collect_is_reproducible() -> None:
    a = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=2, seed=7)
    b = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=2, seed=7)
    assert all(x.equals(y) for x, y in zip(a, b, strict=True))
    assert a.metadata.env_id == "CartPole-v1" and a.metadata.env_spec is not None


def test_unknown_env_lists_choices() -> None:
    with pytest.raises(
        UnknownNameError, match="valid choices: Acrobot-v1, CartPole-v1, MountainCar-v0, Pendulum-v1"
    ):
        scripted_expert("Nope-v0")


@pytest.mark.parametrize(
    ("env_id", "threshold"),
    [("MountainCar-v0", -130.0), ("Acrobot-v1", -100.0), ("Pendulum-v1", -200.0)],
)
def test_scripted_experts_beat_their_thresholds(env_id: str, threshold: float) -> None:
    # random play: MountainCar -200, Acrobot -500, Pendulum about -1200
    ds = collect(scripted_expert(env_id), env_id, episodes=5, seed=0)
    assert ds.returns().mean() > threshold


def test_pendulum_expert_hand_computed() -> None:
    expert = scripted_expert("Pendulum-v1")
    # upright, leaning 0.1 rad with no velocity: PD gives -(10 * 0.1) = -1
    obs = np.array([[np.cos(0.1), np.sin(0.1), 0.0]])
    np.testing.assert_allclose(expert.act(obs)[0], [[-1.0]], rtol=1e-6)
    # hanging down at rest moving right: energy -15, missing 30, pump saturates at +2
    np.testing.assert_allclose(expert.act(np.array([[-1.0, 0.0, 0.1]]))[0], [[2.0]])
