"""Soft Actor-Critic with automatic entropy tuning (Haarnoja et al. 2018, "Soft Actor-Critic
Algorithms and Applications"), and its discrete-action variant (Christodoulou 2019, "Soft
Actor-Critic for Discrete Action Settings").

`update(batch)` does one gradient step on a minibatch dict (obs, acts, rews, next_obs, terminals)
from any replay source, so SQIL, RLIF and RLPD-style demo mixing reuse it by changing only what
goes into the batch. Optional LayerNorm in the critics follows RLPD (Ball et al. 2023), which
needs it for stable learning from mixed offline and online data.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F

from mimetic.nn.ensemble import EnsembleMLP
from mimetic.nn.mlp import mlp

LOG_STD_MIN, LOG_STD_MAX = -5.0, 2.0
"""Log-std bounds of the squashed Gaussian actor (as in cleanrl's sac_continuous_action.py)."""


@dataclass
class SACConfig:
    """SAC hyperparameters; defaults are Haarnoja et al. 2018 (Table 1) unless noted."""

    buffer_size: int = 1_000_000
    """Replay capacity (paper: 1e6)."""
    batch_size: int = 256
    """Minibatch size (paper: 256)."""
    gamma: float = 0.99
    """Discount (paper: 0.99)."""
    tau: float = 0.005
    """Target smoothing coefficient (paper: 0.005)."""
    actor_lr: float = 3e-4
    """Adam step size for the actor (paper: 3e-4 for all networks)."""
    critic_lr: float = 3e-4
    alpha_lr: float = 3e-4
    hidden_sizes: tuple[int, ...] = (256, 256)
    """Two hidden layers of 256 (paper)."""
    learning_starts: int = 5_000
    """Uniform-random steps before learning (cleanrl's default; the paper uses 1e4 on some tasks)."""
    autotune: bool = True
    """Learn the temperature alpha to hit the target entropy (the paper's "Applications" version)."""
    init_alpha: float = 1.0
    """Starting temperature (log alpha = 0)."""
    target_entropy_scale: float = 1.0
    """Continuous: target entropy = -scale * action_dim (paper: -|A|). Discrete: scale * log|A|, where
    cleanrl's discrete SAC uses 0.89."""
    layer_norm: bool = False
    """LayerNorm after each critic hidden layer (RLPD, Ball et al. 2023)."""
    num_critics: int = 2
    """Clipped double-Q over this many critics (paper: 2; RLPD uses an ensemble of 10)."""


def sac_preset(env_id: str) -> SACConfig:
    """Small-budget settings for the classic tasks: Pendulum-v1 learns in about 10k steps with
    1000 random warm-up steps (rl-baselines3-zoo's SAC entry uses learning_starts 1000)."""
    if env_id == "Pendulum-v1":
        return SACConfig(learning_starts=1_000, buffer_size=200_000)
    return SACConfig()


class SAC:
    """The SAC learner for Box or Discrete actions, on flat Box observations."""

    def __init__(
        self,
        cfg: SACConfig,
        observation_space: gym.Space[Any],
        action_space: gym.Space[Any],
        seed: int = 0,
    ) -> None:
        if not isinstance(observation_space, gym.spaces.Box):
            raise ValueError(f"SAC needs a Box observation space, got {observation_space}")
        self.cfg = cfg
        self.action_space = action_space
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        obs_dim = int(np.prod(observation_space.shape))
        torch.manual_seed(seed)
        if isinstance(action_space, gym.spaces.Discrete):
            n = int(action_space.n)
            self.actor = mlp(obs_dim, cfg.hidden_sizes, n)
            self.critics = EnsembleMLP(cfg.num_critics, obs_dim, cfg.hidden_sizes, n, cfg.layer_norm)
            self.target_entropy = cfg.target_entropy_scale * math.log(n)
        elif isinstance(action_space, gym.spaces.Box):
            act_dim = int(np.prod(action_space.shape or (1,)))
            self.actor = mlp(obs_dim, cfg.hidden_sizes, 2 * act_dim)
            self.critics = EnsembleMLP(
                cfg.num_critics, obs_dim + act_dim, cfg.hidden_sizes, 1, cfg.layer_norm
            )
            self.target_entropy = -cfg.target_entropy_scale * act_dim
            low = torch.as_tensor(action_space.low, dtype=torch.float32)
            high = torch.as_tensor(action_space.high, dtype=torch.float32)
            self.act_scale, self.act_bias = (high - low) / 2, (high + low) / 2
        else:
            raise ValueError(f"SAC needs a Box or Discrete action space, got {action_space}")
        self.target_critics = copy.deepcopy(self.critics).requires_grad_(False)
        self.log_alpha = torch.tensor(math.log(cfg.init_alpha), requires_grad=cfg.autotune)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=cfg.actor_lr, fused=True)
        self.critic_opt = torch.optim.Adam(self.critics.parameters(), lr=cfg.critic_lr, fused=True)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=cfg.alpha_lr)
        self.generator = torch.Generator().manual_seed(seed)

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp().detach()

    # ---- the policy -------------------------------------------------------------------------
    def _continuous(self, obs: torch.Tensor, deterministic: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Squashed Gaussian: (action in env units, log-prob with the tanh correction)."""
        mean, log_std = self.actor(obs).chunk(2, dim=-1)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        std = log_std.exp()
        noise = (
            torch.randn(mean.shape, generator=self.generator) if not deterministic else torch.zeros_like(mean)
        )
        pre_tanh = mean + std * noise
        squashed = torch.tanh(pre_tanh)
        # log N(u; mean, std) - sum log(scale * (1 - tanh(u)^2)), Haarnoja et al. 2018, Appendix C
        log_prob = (-0.5 * noise**2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_prob = log_prob - (torch.log(self.act_scale * (1 - squashed.pow(2)) + 1e-6)).sum(-1)
        return squashed * self.act_scale + self.act_bias, log_prob

    @torch.no_grad()
    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32).reshape(len(obs), -1))
        if self.discrete:
            logits = self.actor(x)
            if deterministic:
                return logits.argmax(-1).numpy().astype(np.int64)
            return torch.multinomial(logits.softmax(-1), 1, generator=self.generator).squeeze(-1).numpy()
        action, _ = self._continuous(x, deterministic)
        return action.numpy()

    # ---- one gradient step --------------------------------------------------------------------
    def update(self, batch: dict[str, Any]) -> dict[str, float]:
        obs = torch.as_tensor(np.asarray(batch["obs"], dtype=np.float32).reshape(len(batch["acts"]), -1))
        next_obs = torch.as_tensor(np.asarray(batch["next_obs"], dtype=np.float32).reshape(len(obs), -1))
        rews = torch.as_tensor(np.asarray(batch["rews"], dtype=np.float32))
        not_done = 1.0 - torch.as_tensor(np.asarray(batch["terminals"], dtype=np.float32))
        alpha = self.alpha
        if self.discrete:
            acts = torch.as_tensor(np.asarray(batch["acts"]), dtype=torch.long).reshape(-1)
            critic_loss, q_mean = self._discrete_critic_loss(obs, acts, rews, next_obs, not_done, alpha)
        else:
            acts = torch.as_tensor(np.asarray(batch["acts"], dtype=np.float32).reshape(len(obs), -1))
            critic_loss, q_mean = self._continuous_critic_loss(obs, acts, rews, next_obs, not_done, alpha)
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss, entropy = self._actor_loss(obs, alpha)
        self.actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_opt.step()

        alpha_loss = torch.zeros(())
        if self.cfg.autotune:
            # J(alpha) = E[-alpha * (log pi + target_entropy)] (Haarnoja et al. 2018, eq. 18)
            alpha_loss = self.log_alpha.exp() * (entropy.detach() - self.target_entropy)
            self.alpha_opt.zero_grad(set_to_none=True)
            alpha_loss.backward()
            self.alpha_opt.step()

        with torch.no_grad():
            for p, tp in zip(self.critics.parameters(), self.target_critics.parameters(), strict=True):
                tp.lerp_(p, self.cfg.tau)
        return {
            "loss/critic": float(critic_loss.detach()),
            "loss/actor": float(actor_loss.detach()),
            "loss/alpha": float(alpha_loss.detach()),
            "alpha": float(self.alpha),
            "entropy": float(entropy.detach()),
            "q_mean": q_mean,
        }

    def _continuous_critic_loss(
        self,
        obs: torch.Tensor,
        acts: torch.Tensor,
        rews: torch.Tensor,
        next_obs: torch.Tensor,
        not_done: torch.Tensor,
        alpha: torch.Tensor,
    ) -> tuple[torch.Tensor, float]:
        with torch.no_grad():
            next_act, next_logp = self._continuous(next_obs, deterministic=False)
            next_q = self.target_critics(torch.cat([next_obs, next_act], -1)).squeeze(-1).min(0).values
            target = rews + self.cfg.gamma * not_done * (next_q - alpha * next_logp)
        q = self.critics(torch.cat([obs, acts], -1)).squeeze(-1)
        return F.mse_loss(q, target.expand_as(q), reduction="none").mean(1).sum(), float(q.mean().detach())

    def _discrete_critic_loss(
        self,
        obs: torch.Tensor,
        acts: torch.Tensor,
        rews: torch.Tensor,
        next_obs: torch.Tensor,
        not_done: torch.Tensor,
        alpha: torch.Tensor,
    ) -> tuple[torch.Tensor, float]:
        with torch.no_grad():
            logits = self.actor(next_obs)
            probs, log_probs = logits.softmax(-1), logits.log_softmax(-1)
            next_q = self.target_critics(next_obs).min(0).values
            # the soft value is an exact expectation over the discrete actions (Christodoulou 2019, eq. 10)
            next_v = (probs * (next_q - alpha * log_probs)).sum(-1)
            target = rews + self.cfg.gamma * not_done * next_v
        q_all = self.critics(obs)
        q = q_all.gather(2, acts.view(1, -1, 1).expand(q_all.shape[0], -1, 1)).squeeze(-1)
        return F.mse_loss(q, target.expand_as(q), reduction="none").mean(1).sum(), float(q.mean().detach())

    def _actor_loss(self, obs: torch.Tensor, alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy loss and the policy's entropy estimate (mean of -log pi)."""
        if self.discrete:
            logits = self.actor(obs)
            probs, log_probs = logits.softmax(-1), logits.log_softmax(-1)
            with torch.no_grad():
                q = self.critics(obs).min(0).values
            loss = (probs * (alpha * log_probs - q)).sum(-1).mean()
            return loss, -(probs * log_probs).sum(-1).mean()
        act, logp = self._continuous(obs, deterministic=False)
        # gradients flow through the critics to the action only; their weights are not updated here,
        # so computing their weight gradients would waste a third of this backward pass
        self.critics.requires_grad_(False)
        try:
            q = self.critics(torch.cat([obs, act], -1)).squeeze(-1).min(0).values
        finally:
            self.critics.requires_grad_(True)
        return (alpha * logp - q).mean(), -logp.mean()

    def policy(self) -> SACPolicy:
        return SACPolicy(self)


class SACPolicy:
    """The learner's current policy as a `Policy` (deterministic: tanh of the mean, or argmax)."""

    def __init__(self, learner: SAC) -> None:
        self.learner = learner

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        return self.learner.act(np.asarray(obs), deterministic=deterministic), state

    def reset(self, batch_size: int) -> Any:
        return None
