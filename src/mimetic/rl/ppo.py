"""Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms").

The learner is split from collection: `act` serves the `VecCollector`, and `update(rollout)` runs
the clipped-surrogate epochs on one rollout. The implementation choices follow Huang et al. 2022,
"The 37 Implementation Details of Proximal Policy Optimization": separate actor and critic MLPs
with tanh and orthogonal init, advantage normalization per minibatch, clipped value loss, global
gradient clipping, a state-independent log-std for continuous actions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.nn.mlp import mlp
from mimetic.rl.gae import compute_gae
from mimetic.rl.rollout import Rollout
from mimetic.rl.running_stats import RunningMeanStd


@dataclass
class PPOConfig:
    """PPO hyperparameters. Defaults are the paper's MuJoCo settings (Schulman et al. 2017, Table 3)
    unless noted; `ppo_preset(env_id)` gives tuned per-env values."""

    num_envs: int = 1
    """Parallel envs; the paper's MuJoCo runs use one actor."""
    rollout_steps: int = 2048
    """Steps per env per rollout (the paper's horizon T = 2048)."""
    learning_rate: float = 3e-4
    """Adam step size (paper: 3e-4)."""
    anneal_lr: bool = False
    """Decay the step size linearly to 0 over `total_steps` (the paper anneals on Atari only)."""
    total_steps: int = 1_000_000
    """Budget used by `anneal_lr` (the paper's MuJoCo budget)."""
    gamma: float = 0.99
    """Discount (paper: 0.99)."""
    gae_lambda: float = 0.95
    """GAE lambda (paper: 0.95)."""
    clip_coef: float = 0.2
    """Surrogate clipping epsilon (paper: 0.2)."""
    clip_value_loss: bool = True
    """Clip the value update like the policy's (Huang et al. 2022, detail 9)."""
    update_epochs: int = 10
    """Epochs over each rollout (paper: 10)."""
    minibatch_size: int = 64
    """Minibatch size (paper: 64)."""
    ent_coef: float = 0.0
    """Entropy bonus (paper: 0 on MuJoCo)."""
    vf_coef: float = 0.5
    """Value-loss weight (Huang et al. 2022)."""
    max_grad_norm: float = 0.5
    """Global gradient-norm clip (Huang et al. 2022, detail 11)."""
    target_kl: float | None = None
    """Stop the epochs early once the approximate KL passes this (None: never)."""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """Actor and critic widths (paper: two layers of 64, tanh)."""
    activation: str = "tanh"
    normalize_obs: bool = False
    """Running observation normalization (SB3 VecNormalize / cleanrl's continuous PPO use it)."""
    normalize_reward: bool = False
    """Scale rewards by the std of the discounted return (Engstrom et al. 2020)."""
    init_log_std: float = 0.0
    """Initial log-std of the Gaussian policy (continuous actions)."""


def ppo_preset(env_id: str) -> PPOConfig:
    """Per-env settings that solve the classic tasks quickly.

    CartPole-v1 and Acrobot-v1 follow rl-baselines3-zoo's tuned PPO (8 envs x 32 steps, 20 epochs,
    batch 256, gamma 0.98, lambda 0.8, lr 1e-3 decayed linearly over 100k steps); Pendulum-v1 follows its PPO entry too
    (4 envs x 1024 steps, 10 epochs, gamma 0.9, lr 1e-3, normalization on). Everything else gets
    the paper's defaults.
    """
    if env_id in ("CartPole-v1", "Acrobot-v1"):
        return PPOConfig(
            num_envs=8,
            rollout_steps=32,
            learning_rate=1e-3,
            gamma=0.98,
            gae_lambda=0.8,
            update_epochs=20,
            minibatch_size=256,
            anneal_lr=True,
            total_steps=100_000,
        )
    if env_id == "Pendulum-v1":
        return PPOConfig(
            num_envs=4,
            rollout_steps=1024,
            learning_rate=1e-3,
            gamma=0.9,
            gae_lambda=0.95,
            update_epochs=10,
            minibatch_size=64,
            normalize_obs=True,
            normalize_reward=True,
        )
    return PPOConfig()


def _layer_init(layer: nn.Module, gain: float) -> None:
    if isinstance(layer, nn.Linear):
        nn.init.orthogonal_(layer.weight, gain)
        nn.init.zeros_(layer.bias)


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs; a categorical or diagonal-Gaussian policy."""

    def __init__(self, obs_dim: int, action_space: gym.Space[Any], cfg: PPOConfig) -> None:
        super().__init__()
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        if isinstance(action_space, gym.spaces.Discrete):
            act_dim = int(action_space.n)
        else:
            act_dim = int(np.prod(action_space.shape or (1,)))
        self.critic = mlp(obs_dim, cfg.hidden_sizes, 1, cfg.activation)
        self.actor = mlp(obs_dim, cfg.hidden_sizes, act_dim, cfg.activation)
        # Huang et al. 2022, detail 2: sqrt(2) hidden gain, 0.01 policy output, 1.0 value output
        for net in (self.critic, self.actor):
            for layer in net:
                _layer_init(layer, math.sqrt(2))
        _layer_init(self.actor[-1], 0.01)
        _layer_init(self.critic[-1], 1.0)
        self.log_std = nn.Parameter(torch.full((act_dim,), cfg.init_log_std)) if not self.discrete else None

    def value(self, obs: torch.Tensor) -> torch.Tensor:
        return self.critic(obs).squeeze(-1)

    def distribution(self, obs: torch.Tensor) -> torch.distributions.Distribution:
        out = self.actor(obs)
        if self.discrete:
            return torch.distributions.Categorical(logits=out)
        assert self.log_std is not None
        return torch.distributions.Normal(out, self.log_std.exp().expand_as(out))

    def log_prob_entropy(self, obs: torch.Tensor, acts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = self.distribution(obs)
        if self.discrete:
            return dist.log_prob(acts.long()), dist.entropy()
        return dist.log_prob(acts).sum(-1), dist.entropy().sum(-1)


class PPO:
    """The PPO learner: `act` for collection, `update` for one rollout, a `policy()` for evaluation."""

    def __init__(
        self,
        cfg: PPOConfig,
        observation_space: gym.Space[Any],
        action_space: gym.Space[Any],
        seed: int = 0,
    ) -> None:
        if not isinstance(observation_space, gym.spaces.Box):
            raise ValueError(f"PPO needs a Box observation space, got {observation_space}")
        if not isinstance(action_space, (gym.spaces.Box, gym.spaces.Discrete)):
            raise ValueError(f"PPO needs a Box or Discrete action space, got {action_space}")
        self.cfg = cfg
        self.action_space = action_space
        self.obs_dim = int(np.prod(observation_space.shape))
        torch.manual_seed(seed)
        self.net = ActorCritic(self.obs_dim, action_space, cfg)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=cfg.learning_rate, eps=1e-5)
        self.rng = np.random.default_rng(seed)
        self.obs_rms = RunningMeanStd((self.obs_dim,)) if cfg.normalize_obs else None
        self.ret_rms = RunningMeanStd() if cfg.normalize_reward else None
        self._running_ret = np.zeros(cfg.num_envs)
        self.steps_done = 0

    def _prep(self, obs: np.ndarray) -> torch.Tensor:
        flat = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
        if self.obs_rms is not None:
            flat = self.obs_rms.normalize(flat)
        return torch.as_tensor(flat, dtype=torch.float32)

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Sample actions for collection; the extras keep what `update` needs."""
        if self.obs_rms is not None:
            self.obs_rms.update(np.asarray(obs, dtype=np.float64).reshape(len(obs), -1))
        x = self._prep(obs)
        dist = self.net.distribution(x)
        raw = dist.sample()
        logp = dist.log_prob(raw) if self.net.discrete else dist.log_prob(raw).sum(-1)
        raw_np = raw.numpy()
        if self.net.discrete:
            env_action = raw_np.astype(np.int64)
        else:
            space = self.action_space
            assert isinstance(space, gym.spaces.Box)
            env_action = np.clip(raw_np, space.low, space.high).astype(space.dtype)
        extras = {"raw_action": raw_np, "log_prob": logp.numpy(), "value": self.net.value(x).numpy()}
        return env_action, extras

    def _scaled_rewards(self, rollout: Rollout) -> np.ndarray:
        if self.ret_rms is None:
            return rollout.rews
        # Engstrom et al. 2020: divide by the running std of the discounted return (no centring)
        scaled = np.empty_like(rollout.rews)
        for t in range(len(rollout.rews)):
            self._running_ret = self._running_ret * self.cfg.gamma + rollout.rews[t]
            self.ret_rms.update(self._running_ret)
            scaled[t] = rollout.rews[t] / math.sqrt(float(self.ret_rms.var) + 1e-8)
            self._running_ret[rollout.episode_end[t]] = 0.0
        return np.clip(scaled, -10.0, 10.0)

    def update(self, rollout: Rollout) -> dict[str, float]:
        """Clipped-surrogate epochs on one rollout; returns the metrics of the last epoch."""
        cfg = self.cfg
        steps, envs = rollout.acts.shape[:2]
        n = steps * envs
        obs = self._prep(rollout.obs.reshape(n, -1))
        with torch.no_grad():
            next_values = (
                self.net.value(self._prep(rollout.next_obs.reshape(n, -1))).numpy().reshape(steps, envs)
            )
        values = rollout.extras["value"]
        adv, ret = compute_gae(
            self._scaled_rewards(rollout),
            values,
            next_values,
            rollout.terminated,
            rollout.episode_end,
            cfg.gamma,
            cfg.gae_lambda,
        )
        acts = torch.as_tensor(
            rollout.extras["raw_action"].reshape(n, *rollout.extras["raw_action"].shape[2:])
        )
        old_logp = torch.as_tensor(rollout.extras["log_prob"].reshape(n), dtype=torch.float32)
        old_values = torch.as_tensor(values.reshape(n), dtype=torch.float32)
        adv_t = torch.as_tensor(adv.reshape(n), dtype=torch.float32)
        ret_t = torch.as_tensor(ret.reshape(n), dtype=torch.float32)

        if cfg.anneal_lr:
            frac = max(0.0, 1.0 - self.steps_done / cfg.total_steps)
            for group in self.optimizer.param_groups:
                group["lr"] = frac * cfg.learning_rate
        self.steps_done += n

        mb = min(cfg.minibatch_size, n)
        stats: dict[str, float] = {}
        for _ in range(cfg.update_epochs):
            order = torch.as_tensor(self.rng.permutation(n))
            kls = []
            for start in range(0, n - mb + 1, mb):
                idx = order[start : start + mb]
                logp, entropy = self.net.log_prob_entropy(obs[idx], acts[idx])
                log_ratio = logp - old_logp[idx]
                ratio = log_ratio.exp()
                a = adv_t[idx]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg_loss = torch.max(-a * ratio, -a * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)).mean()
                v = self.net.value(obs[idx])
                if cfg.clip_value_loss:
                    v_clipped = old_values[idx] + (v - old_values[idx]).clamp(-cfg.clip_coef, cfg.clip_coef)
                    v_loss = 0.5 * torch.max((v - ret_t[idx]) ** 2, (v_clipped - ret_t[idx]) ** 2).mean()
                else:
                    v_loss = 0.5 * ((v - ret_t[idx]) ** 2).mean()
                ent = entropy.mean()
                loss = pg_loss - cfg.ent_coef * ent + cfg.vf_coef * v_loss
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    # Schulman's unbiased low-variance estimator: E[(r - 1) - log r]
                    kls.append(float(((ratio - 1) - log_ratio).mean()))
                    clipfrac = float(((ratio - 1).abs() > cfg.clip_coef).float().mean())
                stats = {
                    "loss/policy": float(pg_loss.detach()),
                    "loss/value": float(v_loss.detach()),
                    "entropy": float(ent.detach()),
                    "approx_kl": float(np.mean(kls)),
                    "clip_fraction": clipfrac,
                }
            if cfg.target_kl is not None and np.mean(kls) > cfg.target_kl:
                break
        var_y = float(np.var(ret))
        stats["explained_variance"] = (
            float("nan") if var_y == 0 else 1.0 - float(np.var(ret - values)) / var_y
        )
        return stats

    def policy(self) -> PPOPolicy:
        return PPOPolicy(self)

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.cfg)


@dataclass
class PPOPolicy:
    """The learner's current policy as a `Policy` (deterministic: mean or argmax)."""

    learner: PPO
    _unused: Any = field(default=None, repr=False)

    @torch.no_grad()
    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        x = self.learner._prep(np.asarray(obs))
        dist = self.learner.net.distribution(x)
        if not deterministic:
            raw = dist.sample()
        elif self.learner.net.discrete:
            raw = dist.probs.argmax(-1)  # type: ignore[attr-defined]
        else:
            raw = dist.mean
        out = raw.numpy()
        if self.learner.net.discrete:
            return out.astype(np.int64), state
        space = self.learner.action_space
        assert isinstance(space, gym.spaces.Box)
        return np.clip(out, space.low, space.high).astype(space.dtype), state

    def reset(self, batch_size: int) -> Any:
        return None
