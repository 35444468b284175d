from __future__ import annotations

import numpy as np
import pytest
import torch

from mimetic.experts import collect
from mimetic.rl.ppo import PPO, PPOConfig, ppo_preset
from mimetic.rl.rollout import VecCollector


def _train(env_id: str, steps: int, seed: int = 0) -> tuple[PPO, VecCollector]:
    cfg = ppo_preset(env_id)
    collector = VecCollector(env_id, cfg.num_envs, seed=seed)
    learner = PPO(cfg, collector.single_observation_space, collector.single_action_space, seed=seed)
    while collector.total_steps < steps:
        learner.update(collector.rollout(learner.act, cfg.rollout_steps))
    return learner, collector


def test_clipped_objective_hand_computed() -> None:
    # With one minibatch, one epoch and zero value/entropy weights, the first policy loss is the
    # clipped surrogate at ratio 1: -mean(normalized advantages) = 0 exactly.
    cfg = PPOConfig(num_envs=2, rollout_steps=4, update_epochs=1, minibatch_size=8, vf_coef=0.0)
    collector = VecCollector("CartPole-v1", 2, seed=0)
    learner = PPO(cfg, collector.single_observation_space, collector.single_action_space, seed=0)
    stats = learner.update(collector.rollout(learner.act, 4))
    assert stats["loss/policy"] == pytest.approx(0.0, abs=1e-6)
    assert stats["approx_kl"] == pytest.approx(0.0, abs=1e-6)
    assert stats["clip_fraction"] == 0.0


def test_same_seed_same_weights() -> None:
    a, _ = _train("CartPole-v1", 512, seed=3)
    b, _ = _train("CartPole-v1", 512, seed=3)
    for pa, pb in zip(a.net.parameters(), b.net.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_continuous_actions_are_clipped_to_bounds() -> None:
    cfg = PPOConfig(num_envs=2, rollout_steps=8, init_log_std=2.0)  # wide noise forces clipping
    collector = VecCollector("Pendulum-v1", 2, seed=0)
    learner = PPO(cfg, collector.single_observation_space, collector.single_action_space, seed=0)
    ro = collector.rollout(learner.act, 8)
    assert np.all(np.abs(ro.acts) <= 2.0)
    assert np.any(np.abs(ro.extras["raw_action"]) > 2.0)


@pytest.mark.slow
def test_ppo_solves_cartpole() -> None:
    learner, collector = _train("CartPole-v1", 60_000)
    ds = collect(learner.policy(), "CartPole-v1", episodes=5, seed=1000)
    assert ds.returns().mean() >= 475.0
