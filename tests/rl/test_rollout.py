from __future__ import annotations

from typing import Any

import numpy as np

from mimetic.rl.rollout import VecCollector


def _always_left(obs: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    return np.zeros(len(obs), dtype=np.int64), {"marker": np.ones(len(obs))}


def test_true_final_observation_replaces_the_reset_one() -> None:
    collector = VecCollector("CartPole-v1", num_envs=2, seed=0)
    ro = collector.rollout(_always_left, steps=30)  # always pushing left ends episodes in ~10 steps
    assert ro.obs.shape == (30, 2, 4) and ro.acts.shape == (30, 2)
    ends = np.argwhere(ro.terminated)
    assert len(ends) >= 2
    for t, i in ends:
        # the final state is out of bounds (|theta| > 0.2095 or |x| > 2.4) ...
        final = ro.next_obs[t, i]
        assert abs(final[2]) > 0.2095 or abs(final[0]) > 2.4
        # ... while the next step starts from a fresh reset state near zero
        if t + 1 < 30:
            assert np.all(np.abs(ro.obs[t + 1, i]) <= 0.05)
    # between episode ends, next_obs is exactly the following obs
    mask = ~ro.episode_end[:-1]
    np.testing.assert_array_equal(ro.next_obs[:-1][mask], ro.obs[1:][mask])
    np.testing.assert_array_equal(ro.extras["marker"], np.ones((30, 2)))


def test_episode_returns_are_tracked_and_reproducible() -> None:
    a = VecCollector("CartPole-v1", num_envs=2, seed=5)
    b = VecCollector("CartPole-v1", num_envs=2, seed=5)
    ra, rb = a.rollout(_always_left, 25), b.rollout(_always_left, 25)
    np.testing.assert_array_equal(ra.obs, rb.obs)
    returns, lengths = a.pop_finished()
    assert returns == [float(n) for n in lengths] and len(returns) == int(ra.episode_end.sum())
    assert a.pop_finished() == ([], [])
    assert a.total_steps == 50


def test_reward_fn_relabels_rewards_but_env_rewards_are_kept() -> None:
    def minus_one(obs: Any, acts: np.ndarray, next_obs: Any, env_rews: np.ndarray) -> np.ndarray:
        return -np.ones_like(env_rews)

    ro = VecCollector("CartPole-v1", num_envs=3, seed=0, reward_fn=minus_one).rollout(_always_left, 4)
    np.testing.assert_array_equal(ro.rews, -np.ones((4, 3)))
    np.testing.assert_array_equal(ro.env_rews, np.ones((4, 3)))
