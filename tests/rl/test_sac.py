from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch

from mimetic.algorithms.base import apply_settings
from mimetic.experts import collect
from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.rollout import VecCollector
from mimetic.rl.sac import SAC, SACConfig, scheduled_actor_lr

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


def test_without_the_entropy_backup_the_target_is_reward_plus_discounted_min_q() -> None:
    """RLPD's `backup_entropy=False` (used by RLIF): y = r + gamma (1 - d) min_j Q'_j(s', a'), no -alpha log pi."""
    cfg = SACConfig(hidden_sizes=(8,), gamma=0.5, autotune=False, init_alpha=5.0, backup_entropy=False)
    space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    sac = SAC(cfg, BOX_OBS, space, seed=0)
    obs, next_obs = torch.randn(4, 3), torch.randn(4, 3)
    acts = torch.rand(4, 2) * 2 - 1
    rews = torch.tensor([1.0, 0.0, -1.0, 2.0])
    not_done = torch.tensor([1.0, 1.0, 0.0, 1.0])
    state = sac.generator.get_state()
    loss, _ = sac._continuous_critic_loss(obs, acts, rews, next_obs, not_done, sac.alpha)
    sac.generator.set_state(state)
    with torch.no_grad():
        next_act, _ = sac._continuous(next_obs, deterministic=False)
        q1, q2 = sac.target_critics(torch.cat([next_obs, next_act], -1)).squeeze(-1)
        target = rews + 0.5 * not_done * torch.minimum(q1, q2)
        expected = sum(
            ((q - target) ** 2).mean() for q in sac.critics(torch.cat([obs, acts], -1)).squeeze(-1)
        )
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)
    # the discrete target drops the entropy term the same way
    dsac = SAC(cfg, BOX_OBS, gym.spaces.Discrete(2), seed=0)
    dacts = torch.tensor([0, 1, 1, 0])
    dloss, _ = dsac._discrete_critic_loss(obs, dacts, rews, next_obs, not_done, dsac.alpha)
    with torch.no_grad():
        probs = dsac.actor(next_obs).softmax(-1)
        d1, d2 = dsac.target_critics(next_obs)
        dtarget = rews + 0.5 * not_done * (probs * torch.minimum(d1, d2)).sum(-1)
        dexpected = sum(((q[torch.arange(4), dacts] - dtarget) ** 2).mean() for q in dsac.critics(obs))
    assert float(dloss.detach()) == pytest.approx(float(dexpected), rel=1e-5)


def _random_batch(act_dim: int, rewards: bool, size: int = 32) -> dict[str, np.ndarray]:
    """A minibatch of Gaussian observations (3-d), uniform actions in [-1, 1] and no terminals;
    rewards Gaussian or all zero."""
    rng = np.random.default_rng(0)
    return {
        "obs": rng.standard_normal((size, 3)),
        "acts": rng.uniform(-1, 1, (size, act_dim)),
        "rews": rng.standard_normal(size) if rewards else np.zeros(size),
        "next_obs": rng.standard_normal((size, 3)),
        "terminals": np.zeros(size, dtype=bool),
    }


def test_alpha_is_tuned_toward_the_target_entropy() -> None:
    cfg = SACConfig(hidden_sizes=(16,), alpha_lr=0.1)
    sac = SAC(cfg, BOX_OBS, gym.spaces.Box(-1, 1, (1,), np.float32), seed=0)
    first = sac.update(_random_batch(act_dim=1, rewards=False))
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


def _reference_update(sac: SAC, nets: dict, gen: torch.Generator, batch: dict) -> None:
    """One SAC step written plainly: separate torch.optim.Adam optimizers, autograd everywhere."""
    cfg = sac.cfg
    actor, critics, target, log_alpha = nets["actor"], nets["critics"], nets["target"], nets["log_alpha"]
    obs = torch.as_tensor(batch["obs"], dtype=torch.float32)
    next_obs = torch.as_tensor(batch["next_obs"], dtype=torch.float32)
    acts = torch.as_tensor(batch["acts"], dtype=torch.float32)
    rews = torch.as_tensor(batch["rews"], dtype=torch.float32)
    not_done = 1.0 - torch.as_tensor(batch["terminals"], dtype=torch.float32)

    def sample(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = actor(x).chunk(2, -1)
        log_std = log_std.clamp(-5.0, 2.0)
        noise = torch.randn(mean.shape, generator=gen)
        squashed = torch.tanh(mean + log_std.exp() * noise)
        logp = (-0.5 * noise**2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        logp = logp - torch.log(sac.act_scale * (1 - squashed.pow(2)) + 1e-6).sum(-1)
        return squashed * sac.act_scale + sac.act_bias, logp

    alpha = log_alpha.exp().detach()
    with torch.no_grad():
        next_act, next_logp = sample(next_obs)
        next_q = target(torch.cat([next_obs, next_act], -1)).squeeze(-1).min(0).values
        backup = alpha if cfg.backup_entropy else 0.0
        y = rews + cfg.gamma * not_done * (next_q - backup * next_logp)
    q = critics(torch.cat([obs, acts], -1)).squeeze(-1)
    nets["critic_opt"].zero_grad()
    ((q - y) ** 2).mean(1).sum().backward()
    nets["critic_opt"].step()
    act, logp = sample(obs)
    q_pi = critics(torch.cat([obs, act], -1)).squeeze(-1).min(0).values
    nets["actor_opt"].zero_grad()
    (alpha * logp - q_pi).mean().backward()
    nets["actor_opt"].step()
    nets["alpha_opt"].zero_grad()
    (log_alpha.exp() * (-logp.detach().mean() - sac.target_entropy)).backward()
    nets["alpha_opt"].step()
    with torch.no_grad():
        for p, tp in zip(critics.parameters(), target.parameters(), strict=True):
            tp.lerp_(p, cfg.tau)


@pytest.mark.parametrize(
    ("layer_norm", "clamped", "backup"),
    [
        (False, False, True),
        (False, True, True),
        (True, False, True),
        (False, False, False),
        (True, False, False),
    ],
)
def test_update_matches_a_plain_autograd_and_torch_adam_step(
    layer_norm: bool, clamped: bool, backup: bool
) -> None:
    """The hand-written path (plain critics) and the autograd path (LayerNorm critics) against a
    plain autograd step; `clamped` pushes one log-std above its bound to check the clamp's gradient;
    `backup` False leaves the entropy bonus out of both targets."""
    import copy

    obs_space = gym.spaces.Box(-np.inf, np.inf, (5,), np.float32)
    cfg = SACConfig(hidden_sizes=(16, 16), layer_norm=layer_norm, backup_entropy=backup)
    sac = SAC(cfg, obs_space, gym.spaces.Box(-2, 2, (2,), np.float32), seed=0)
    assert sac._hand_written == (not layer_norm)
    if clamped:
        with torch.no_grad():
            sac.actor[-1].bias[3] = 4.0
    nets: dict = {
        "actor": copy.deepcopy(sac.actor),
        "critics": copy.deepcopy(sac.critics),
        "target": copy.deepcopy(sac.target_critics),
        "log_alpha": sac.log_alpha.clone().requires_grad_(True),
    }
    nets["actor_opt"] = torch.optim.Adam(nets["actor"].parameters(), lr=sac.cfg.actor_lr)
    nets["critic_opt"] = torch.optim.Adam(nets["critics"].parameters(), lr=sac.cfg.critic_lr)
    nets["alpha_opt"] = torch.optim.Adam([nets["log_alpha"]], lr=sac.cfg.alpha_lr)
    gen = torch.Generator()
    gen.set_state(sac.generator.get_state())
    rng = np.random.default_rng(0)
    for _ in range(3):
        batch = {
            "obs": rng.standard_normal((32, 5)).astype(np.float32),
            "acts": rng.uniform(-2, 2, (32, 2)).astype(np.float32),
            "rews": rng.standard_normal(32).astype(np.float32),
            "next_obs": rng.standard_normal((32, 5)).astype(np.float32),
            "terminals": rng.random(32) < 0.2,
        }
        sac.update(batch)
        _reference_update(sac, nets, gen, batch)
    for ours, theirs in (("actor", "actor"), ("critics", "critics"), ("target_critics", "target")):
        for p, q in zip(getattr(sac, ours).parameters(), nets[theirs].parameters(), strict=True):
            torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(sac.log_alpha, nets["log_alpha"].detach(), rtol=1e-5, atol=1e-6)


def test_numpy_act_matches_the_torch_policy() -> None:
    space = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
    sac = SAC(SACConfig(hidden_sizes=(8, 8)), BOX_OBS, space, seed=0)
    obs = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with torch.no_grad():
        expected, _ = sac._continuous(torch.from_numpy(obs), deterministic=True)
    np.testing.assert_allclose(sac.act(obs, deterministic=True), expected.numpy(), rtol=1e-5, atol=1e-6)
    state = sac.generator.get_state()
    sampled = sac.act(obs)
    sac.generator.set_state(state)
    with torch.no_grad():
        expected, _ = sac._continuous(torch.from_numpy(obs), deterministic=False)
    np.testing.assert_allclose(sampled, expected.numpy(), rtol=1e-5, atol=1e-5)


def test_log_prob_of_given_actions_matches_the_sampled_log_prob() -> None:
    space = gym.spaces.Box(np.array([-2.0, 0.0], np.float32), np.array([2.0, 1.0], np.float32))
    sac = SAC(SACConfig(hidden_sizes=(8,)), BOX_OBS, space, seed=0)
    obs = torch.randn(6, 3)
    with torch.no_grad():
        action, logp = sac._continuous(obs, deterministic=False)
    got = sac.log_prob(obs.numpy(), action.numpy())
    np.testing.assert_allclose(got, logp.numpy(), rtol=1e-4, atol=2e-3)
    # an action on the bounds (tanh never reaches them) is pulled inside: a finite log-probability
    edge = sac.log_prob(obs.numpy()[:1], np.array([[2.0, 1.0]]))
    assert np.isfinite(edge).all()


def test_discrete_log_prob_is_the_log_softmax_of_the_actor() -> None:
    sac = SAC(SACConfig(hidden_sizes=(8,)), BOX_OBS, gym.spaces.Discrete(3), seed=0)
    obs = torch.randn(4, 3)
    acts = np.array([0, 2, 1, 2])
    with torch.no_grad():
        expected = torch.log_softmax(sac.actor(obs), -1)[torch.arange(4), torch.as_tensor(acts)]
    np.testing.assert_allclose(sac.log_prob(obs.numpy(), acts), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_redq_target_is_the_min_over_the_drawn_subset() -> None:
    # RLPD's ensemble: 10 critics, the TD target's minimum over 2 drawn at random per update
    cfg = SACConfig(hidden_sizes=(8,), num_critics=10, target_subset=2, actor_q="mean")
    sac = SAC(cfg, BOX_OBS, gym.spaces.Discrete(3), seed=0)
    x = torch.randn(4, 3)
    sac.generator.manual_seed(7)
    got = sac._target_q(x)
    drawn = torch.randperm(10, generator=torch.Generator().manual_seed(7))[:2]
    with torch.no_grad():
        everyone = sac.target_critics(x)
    assert len(set(drawn.tolist())) == 2
    torch.testing.assert_close(got, torch.minimum(everyone[drawn[0]], everyone[drawn[1]]))
    # the actor maximizes the ensemble's mean, not its minimum
    q = torch.tensor([[1.0, 4.0], [3.0, 0.0]])
    torch.testing.assert_close(sac._actor_q(q), torch.tensor([2.0, 2.0]))


def test_ensemble_options_are_checked() -> None:
    space = gym.spaces.Box(-1, 1, (1,), np.float32)
    with pytest.raises(ValueError, match="target_subset"):
        SAC(SACConfig(hidden_sizes=(8,), target_subset=3), BOX_OBS, space)
    with pytest.raises(ValueError, match="actor_q"):
        SAC(SACConfig(hidden_sizes=(8,), actor_q="max"), BOX_OBS, space)


def test_an_rlpd_ensemble_update_runs_and_moves_every_critic() -> None:
    cfg = SACConfig(hidden_sizes=(16,), num_critics=10, target_subset=2, actor_q="mean", layer_norm=True)
    sac = SAC(cfg, BOX_OBS, gym.spaces.Box(-1, 1, (2,), np.float32), seed=0)
    before = [p.detach().clone() for p in sac.critics.parameters()]
    metrics = sac.update(_random_batch(act_dim=2, rewards=True))
    assert all(math.isfinite(v) for v in metrics.values())
    head = [p for p in sac.critics.parameters()][-2]  # the Q head's weights, (members, hidden, 1)
    moved = (head.detach() - before[-2]).abs().flatten(1).sum(1)
    assert bool((moved > 0).all()), moved


def test_the_actor_step_size_decays_linearly_between_the_given_updates() -> None:
    cfg = SACConfig(actor_lr=1e-3, actor_lr_final=1e-4, actor_lr_decay=(10, 30))
    # hand-computed: flat before update 10, halfway (5.5e-4) at 20, 1e-4 from 30 on
    expected = {0: 1e-3, 10: 1e-3, 15: 7.75e-4, 20: 5.5e-4, 30: 1e-4, 500: 1e-4}
    for updates, lr in expected.items():
        assert scheduled_actor_lr(cfg, updates) == pytest.approx(lr), updates
    assert scheduled_actor_lr(SACConfig(actor_lr=2e-4), 10**6) == 2e-4


def test_the_decay_follows_the_actor_updates_and_goes_on_after_a_reload() -> None:
    cfg = SACConfig(hidden_sizes=(8,), actor_lr=1e-3, actor_lr_final=0.0, actor_lr_decay=(1, 5))
    space = gym.spaces.Box(-1, 1, (1,), np.float32)
    sac = SAC(cfg, BOX_OBS, space, seed=0)
    rates = []
    for _ in range(3):
        sac.update(_random_batch(act_dim=1, rewards=True))
        rates.append(sac.actor_opt.lr)
    # the k-th update (from 0) steps with the rate after k updates
    assert rates == pytest.approx([1e-3, 1e-3, 7.5e-4])
    # a checkpoint stores the rate in force; the reloaded learner goes on along the schedule
    resumed = SAC(cfg, BOX_OBS, space, seed=1)
    resumed.actor_opt.load_state_dict(sac.actor_opt.state_dict())
    assert resumed.actor_opt.lr == pytest.approx(7.5e-4)
    actor_before = [p.detach().clone() for p in resumed.actor.parameters()]
    for _ in range(3):
        resumed.update(_random_batch(act_dim=1, rewards=True))
    assert resumed.actor_opt.lr == 0.0
    # updates 3 and 4 still moved the actor; from update 5 on the rate is 0 and the actor stays put
    assert any(not torch.equal(a, b) for a, b in zip(actor_before, resumed.actor.parameters(), strict=True))
    frozen = [p.detach().clone() for p in resumed.actor.parameters()]
    resumed.update(_random_batch(act_dim=1, rewards=True))
    assert all(torch.equal(a, b) for a, b in zip(frozen, resumed.actor.parameters(), strict=True))


def test_the_actor_decay_settings_are_checked_and_read_from_the_command_line() -> None:
    space = gym.spaces.Box(-1, 1, (1,), np.float32)
    for decay in [(5, 5), (-1, 3), (1, 2, 3)]:
        with pytest.raises(ValueError, match="actor_lr_decay"):
            SAC(SACConfig(hidden_sizes=(8,), actor_lr_final=1e-5, actor_lr_decay=decay), BOX_OBS, space)
    with pytest.raises(ValueError, match="actor_lr_final"):
        SAC(SACConfig(hidden_sizes=(8,), actor_lr_final=-1.0, actor_lr_decay=(0, 1)), BOX_OBS, space)
    cfg = apply_settings(SACConfig(), ["actor_lr_final=3e-5", "actor_lr_decay=145e3,245000"])
    assert cfg.actor_lr_final == 3e-5 and cfg.actor_lr_decay == (145_000, 245_000)
