from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn.functional as F

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


def _reference_loss(learner: PPO, batch: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The PPO loss written the textbook way: two separate MLPs, torch.distributions, autograd."""
    cfg, net = learner.cfg, learner.net
    act_fn = {"tanh": torch.tanh, "relu": torch.relu, "silu": F.silu, "gelu": F.gelu}[cfg.activation]
    params = [p.detach().clone().requires_grad_(True) for p in net.parameters()]
    depth = len(cfg.hidden_sizes)
    ws, bs, head = params[0 : 2 * depth : 2], params[1 : 2 * depth : 2], params[2 * depth :]
    d, k = learner.obs_dim, net.act_dim
    x, acts = batch[:, :d], batch[:, d : d + k]
    old_logp, old_values, adv, ret = batch[:, d + k :].unbind(1)

    def mlp(member: int, w_out: torch.Tensor, b_out: torch.Tensor) -> torch.Tensor:
        h = x
        for w, b in zip(ws, bs, strict=True):
            h = act_fn(h @ w[member] + b[member, 0])
        return h @ w_out + b_out

    out, values = mlp(0, head[0], head[1]), mlp(1, head[2], head[3]).squeeze(-1)
    if net.discrete:
        dist = torch.distributions.Categorical(logits=out)
        logp, entropy = dist.log_prob(acts.argmax(-1)), dist.entropy()
    else:
        normal = torch.distributions.Normal(out, head[4].exp().expand_as(out))
        logp, entropy = normal.log_prob(acts).sum(-1), normal.entropy().sum(-1)
    ratio = (logp - old_logp).exp()
    a = (adv - adv.mean()) / (adv.std() + 1e-8)
    pg_loss = torch.max(-a * ratio, -a * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)).mean()
    if cfg.clip_value_loss:
        v_clipped = old_values + (values - old_values).clamp(-cfg.clip_coef, cfg.clip_coef)
        v_loss = 0.5 * torch.max((values - ret) ** 2, (v_clipped - ret) ** 2).mean()
    else:
        v_loss = 0.5 * ((values - ret) ** 2).mean()
    loss = pg_loss - cfg.ent_coef * entropy.mean() + cfg.vf_coef * v_loss
    loss.backward()
    return torch.stack([pg_loss, v_loss, entropy.mean()]).detach(), [p.grad for p in params]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("space", "activation", "clip_value_loss", "ent_coef"),
    [
        (gym.spaces.Discrete(3), "tanh", True, 0.0),
        (gym.spaces.Discrete(3), "relu", False, 0.01),
        (gym.spaces.Box(-1.0, 1.0, (2,), np.float32), "tanh", True, 0.01),
        (gym.spaces.Box(-1.0, 1.0, (2,), np.float32), "silu", False, 0.0),
        (gym.spaces.Box(-1.0, 1.0, (2,), np.float32), "gelu", True, 0.02),
    ],
)
def test_fused_hand_written_gradients_match_autograd(
    space: gym.Space, activation: str, clip_value_loss: bool, ent_coef: float
) -> None:
    obs_space = gym.spaces.Box(-np.inf, np.inf, (5,), np.float32)
    cfg = PPOConfig(
        hidden_sizes=(16, 8), activation=activation, clip_value_loss=clip_value_loss, ent_coef=ent_coef
    )
    learner = PPO(cfg, obs_space, space, seed=0)
    with torch.no_grad():  # move the weights off their init so every term has a gradient
        learner.net.flat.add_(0.3 * torch.randn(learner.net.flat.shape))
    gen = torch.Generator().manual_seed(1)
    size, k = 32, learner.net.act_dim
    if learner.net.discrete:
        acts = torch.eye(k)[torch.randint(0, k, (size,), generator=gen)]
    else:
        acts = torch.randn(size, k, generator=gen)
    # old log-probs and values spread so that some ratios and values get clipped
    old = torch.randn(size, 2, generator=gen) * torch.tensor([0.5, 1.0]) - torch.tensor([1.0, 0.0])
    batch = torch.cat(
        [torch.randn(size, 5, generator=gen), acts, old, torch.randn(size, 2, generator=gen)], 1
    )
    metrics = learner._compute_gradients(batch)
    expected_metrics, expected_grads = _reference_loss(learner, batch)
    torch.testing.assert_close(metrics[:3], expected_metrics, rtol=1e-5, atol=1e-6)
    assert 0.0 < float(metrics[4]) < 1.0  # some ratios were clipped, some were not
    offset = 0
    for expected in expected_grads:
        got = learner.net.flat_grad[offset : offset + expected.numel()].view_as(expected)
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)
        offset += expected.numel()


def test_parameters_share_the_flat_buffer() -> None:
    learner = PPO(PPOConfig(), gym.spaces.Box(-1, 1, (3,), np.float32), gym.spaces.Discrete(2), seed=0)
    learner.net.flat.add_(1.0)
    total = sum(p.numel() for p in learner.net.parameters())
    assert total == learner.net.flat.numel()
    assert torch.equal(torch.cat([p.reshape(-1) for p in learner.net.parameters()]), learner.net.flat)
    state = {k: torch.zeros_like(v) for k, v in learner.net.state_dict().items()}
    learner.net.load_state_dict(state)
    assert float(learner.net.flat.abs().sum()) == 0.0


def test_act_log_probs_match_the_training_forward() -> None:
    for space in (gym.spaces.Discrete(3), gym.spaces.Box(-1.0, 1.0, (2,), np.float32)):
        learner = PPO(PPOConfig(), gym.spaces.Box(-np.inf, np.inf, (4,), np.float32), space, seed=0)
        obs = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
        _, extras = learner.act(obs)
        _, _, out, values = learner.net.forward_train(torch.from_numpy(obs))
        np.testing.assert_allclose(extras["value"], values.numpy(), rtol=1e-5, atol=1e-6)
        raw = torch.as_tensor(extras["raw_action"])
        if learner.net.discrete:
            logp = torch.distributions.Categorical(logits=out).log_prob(raw)
        else:
            std = learner.net._log_std.exp()  # type: ignore[union-attr]
            logp = torch.distributions.Normal(out, std).log_prob(raw).sum(-1)
        np.testing.assert_allclose(extras["log_prob"], logp.numpy(), rtol=1e-5, atol=1e-5)


def test_mujoco_preset_normalizes_and_starts_narrow() -> None:
    # rl-baselines3-zoo's MuJoCo PPO: one env x 512 steps, VecNormalize-style observation and return
    # scaling, log-std starting at -2; one rollout and update on HalfCheetah-v5 exercise all of it
    cfg = ppo_preset("HalfCheetah-v5")
    assert (cfg.num_envs, cfg.rollout_steps, cfg.hidden_sizes, cfg.activation) == (1, 512, (256, 256), "relu")
    collector = VecCollector("HalfCheetah-v5", cfg.num_envs, seed=0)
    learner = PPO(cfg, collector.single_observation_space, collector.single_action_space, seed=0)
    assert learner.net._log_std is not None
    assert torch.allclose(learner.net._log_std, torch.full_like(learner.net._log_std, -2.0))
    learner.update(collector.rollout(learner.act, cfg.rollout_steps))
    assert learner.obs_rms is not None and learner.ret_rms is not None
    assert learner.obs_rms.count > 512 and learner.ret_rms.count > 512
    for env_id in ("Hopper-v5", "Walker2d-v5"):
        assert ppo_preset(env_id).normalize_obs and ppo_preset(env_id).init_log_std == -2.0
