from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from mimetic.experts import collect
from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.rollout import VecCollector
from mimetic.rl.sac import SAC, SACConfig

BOX_OBS = gym.spaces.Box(-np.inf, np.inf, (3,), np.float32)


def test_squashed_gaussian_log_prob_matches_change_of_variables() -> None:
    space = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
    sac = SAC(SACConfig(hidden_sizes=(8,)), BOX_OBS, space, seed=0)
    obs = torch.randn(5, 3)
    sac.generator.manual_seed(1)
    action, logp = sac._continuous(obs, deterministic=False)
    mean, log_std = sac.actor(obs).chunk(2, -1)
    base = torch.distributions.Normal(mean, log_std.clamp(-5, 2).exp())
    pre_tanh = torch.atanh(action / 2.0)
    # log p(a) = log N(u) - sum log |da/du|, with a = 2 tanh(u), so da/du = 2 (1 - tanh(u)^2)
    expected = base.log_prob(pre_tanh).sum(-1) - torch.log(2.0 * (1 - torch.tanh(pre_tanh) ** 2)).sum(-1)
    torch.testing.assert_close(logp, expected, rtol=1e-4, atol=1e-3)
    assert torch.all(action.abs() <= 2.0)


def test_discrete_critic_target_hand_computed() -> None:
    cfg = SACConfig(hidden_sizes=(8,), gamma=0.5, autotune=False, init_alpha=0.1)
    sac = SAC(cfg, BOX_OBS, gym.spaces.Discrete(2), seed=0)
    obs, next_obs = torch.randn(4, 3), torch.randn(4, 3)
    acts = torch.tensor([0, 1, 1, 0])
    rews = torch.tensor([1.0, 0.0, -1.0, 2.0])
    not_done = torch.tensor([1.0, 1.0, 0.0, 1.0])
    loss, _ = sac._discrete_critic_loss(obs, acts, rews, next_obs, not_done, sac.alpha)
    with torch.no_grad():
        probs = sac.actor(next_obs).softmax(-1)
        q1, q2 = sac.target_critics(next_obs)
        v = (probs * (torch.minimum(q1, q2) - 0.1 * probs.log())).sum(-1)
        target = rews + 0.5 * not_done * v
        expected = sum(((q[torch.arange(4), acts] - target) ** 2).mean() for q in sac.critics(obs))
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)


def test_alpha_is_tuned_toward_the_target_entropy() -> None:
    cfg = SACConfig(hidden_sizes=(16,), alpha_lr=0.1)
    sac = SAC(cfg, BOX_OBS, gym.spaces.Box(-1, 1, (1,), np.float32), seed=0)
    rng = np.random.default_rng(0)
    batch = {
        "obs": rng.standard_normal((32, 3)),
        "acts": rng.uniform(-1, 1, (32, 1)),
        "rews": np.zeros(32),
        "next_obs": rng.standard_normal((32, 3)),
        "terminals": np.zeros(32, dtype=bool),
    }
    first = sac.update(batch)
    # a fresh policy is far more random than the target entropy (-1), so alpha must fall
    assert first["entropy"] > sac.target_entropy
    assert first["alpha"] < 1.0
    assert math.isfinite(first["loss/critic"])


@pytest.mark.slow
def test_sac_learns_pendulum_on_a_tiny_budget() -> None:
    cfg = SACConfig(
        learning_starts=500,
        hidden_sizes=(64, 64),
        batch_size=128,
        actor_lr=1e-3,
        critic_lr=1e-3,
        alpha_lr=1e-3,
    )
    collector = VecCollector("Pendulum-v1", 1, seed=0)
    sac = SAC(cfg, collector.single_observation_space, collector.single_action_space, seed=0)
    replay, rng = ReplayBuffer(10_000), np.random.default_rng(0)
    while collector.total_steps < 5_000:
        if collector.total_steps < cfg.learning_starts:
            action = np.array([collector.single_action_space.sample()])
        else:
            action = sac.act(collector.obs)
        replay.add(*collector.step(action)[:5])
        if collector.total_steps >= cfg.learning_starts:
            sac.update(replay.sample(cfg.batch_size, rng))
    # random play scores about -1200 on Pendulum; the scripted expert about -140
    assert collect(sac.policy(), "Pendulum-v1", episodes=5, seed=100).returns().mean() > -400.0
