"""Soft Actor-Critic with automatic entropy tuning (Haarnoja et al. 2018, "Soft Actor-Critic
Algorithms and Applications"), and its discrete-action variant (Christodoulou 2019, "Soft
Actor-Critic for Discrete Action Settings").

`update(batch)` does one gradient step on a minibatch dict (obs, acts, rews, next_obs, terminals)
from any replay source, so SQIL, RLIF and RLPD-style demo mixing reuse it by changing only what
goes into the batch. Optional LayerNorm in the critics follows RLPD (Ball et al. 2023), which
needs it for stable learning from mixed offline and online data.

Speed. A 256x256 update is bound by its matmuls, so the rest is kept out of their way: the critics
are one batched ensemble (`EnsembleMLP`), each network's parameters and gradients live in one flat
buffer stepped by one fused Adam call (`FlatAdam`), alpha's gradient is written by hand, and in the
common case (continuous actions, no LayerNorm) the whole critic and actor backward passes are
written out too, with no autograd graph. Acting runs in NumPy on views of the actor's weights.
`tests/rl/test_sac.py` checks an update against a plain autograd step with torch.optim.Adam.
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

from mimetic.nn.ensemble import EnsembleLinear, EnsembleMLP, FlatAdam, flatten_parameters
from mimetic.nn.heads import log_softmax_np
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
    actor_lr_final: float | None = None
    """The actor's step size after a linear decay from `actor_lr` over the actor updates `actor_lr_decay`
    (first, last); None: `actor_lr` throughout. A small late step size keeps the last policies close
    together, so that their mean (`--average-last`) is a policy too (stochastic weight averaging's low
    constant rate, Izmailov et al. 2018). Off by default; off-policy AIRL's Hopper-v5 preset sets it
    (`mimetic.algorithms.dac.HOPPER_LATE_ACTOR_DECAY`): it does not stop the policy's falls, but with
    `--average-last 4` three seeds scored 0.95 (docs/adversarial.md)."""
    actor_lr_decay: tuple[int, int] = (0, 0)
    """The first and last actor update of the decay to `actor_lr_final` (one update per env step after
    `learning_starts`, so an env budget of N decays up to update N - learning_starts)."""
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
    target_subset: int = 0
    """The TD target takes the minimum over this many target critics drawn at random each update
    (REDQ, Chen et al. 2021; RLPD: 2 of 10); 0: over all of them (SAC's clipped double-Q)."""
    actor_q: str = "min"
    """What the actor maximizes: "min" over the critics (SAC) or their "mean" (REDQ and RLPD)."""
    backup_entropy: bool = True
    """Put the entropy bonus -alpha log pi(a'|s') into the TD target (SAC). False is RLPD's option
    (Ball et al. 2023), which RLIF's code sets (`train rlif --no-entropy-backup`)."""


def sac_preset(env_id: str) -> SACConfig:
    """Small-budget settings for the classic tasks: Pendulum-v1 learns in about 10k steps with
    1000 random warm-up steps (rl-baselines3-zoo's SAC entry uses learning_starts 1000)."""
    if env_id == "Pendulum-v1":
        return SACConfig(learning_starts=1_000, buffer_size=200_000)
    return SACConfig()


def scheduled_actor_lr(cfg: SACConfig, updates: int) -> float:
    """The actor's step size after `updates` actor updates: `actor_lr` until the first update of
    `actor_lr_decay`, then linearly down to `actor_lr_final` at its last, and that from then on."""
    if cfg.actor_lr_final is None:
        return cfg.actor_lr
    first, last = cfg.actor_lr_decay
    frac = min(1.0, max(0.0, (updates - first) / (last - first)))
    return cfg.actor_lr + frac * (cfg.actor_lr_final - cfg.actor_lr)


def _check_actor_decay(cfg: SACConfig) -> None:
    if cfg.actor_lr_final is None:
        return
    decay = tuple(cfg.actor_lr_decay)
    if len(decay) != 2 or not 0 <= decay[0] < decay[1]:
        raise ValueError(
            f"actor_lr_decay must be two actor updates (first, last) with 0 <= first < last, got {cfg.actor_lr_decay}"
        )
    if cfg.actor_lr_final < 0:
        raise ValueError(f"actor_lr_final must be >= 0, got {cfg.actor_lr_final}")


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
        if not 0 <= cfg.target_subset <= cfg.num_critics:
            raise ValueError(
                f"target_subset must be between 0 and num_critics ({cfg.num_critics}), got {cfg.target_subset}"
            )
        if cfg.actor_q not in ("min", "mean"):
            raise ValueError(f"actor_q must be 'min' or 'mean', got '{cfg.actor_q}'")
        _check_actor_decay(cfg)
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
        # each network's parameters (and gradients) in one flat buffer: zeroing gradients, an Adam
        # step and the target average are then one operation each (see mimetic.nn.ensemble)
        self._actor_params, actor_grad = flatten_parameters(self.actor)
        self._critic_params, critic_grad = flatten_parameters(self.critics)
        self._target_params, _ = flatten_parameters(self.target_critics, with_grad=False)
        assert actor_grad is not None and critic_grad is not None
        self._actor_grad, self._critic_grad = actor_grad, critic_grad
        # log alpha's gradient is written by hand (eq. 18), so it needs no autograd
        self.log_alpha = torch.tensor(math.log(cfg.init_alpha))
        self.actor_opt = FlatAdam(self._actor_params, lr=cfg.actor_lr)
        self.critic_opt = FlatAdam(self._critic_params, lr=cfg.critic_lr)
        self.alpha_opt = FlatAdam(self.log_alpha, lr=cfg.alpha_lr)
        self.generator = torch.Generator().manual_seed(seed)
        self._actor_linears = [m for m in self.actor if isinstance(m, torch.nn.Linear)]
        self._critic_linears = [m for m in self.critics.layers if isinstance(m, EnsembleLinear)]
        # the common case (continuous actions, plain ReLU critics) has its gradients written out
        # by hand, without building an autograd graph; the other cases use autograd
        self._hand_written = (
            not self.discrete and not cfg.layer_norm and cfg.target_subset == 0 and cfg.actor_q == "min"
        )
        # NumPy views of the actor's weights (transposed to (in, out)) for acting one env step at a
        # time, where torch's per-operation overhead would dominate
        self._np_actor = [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in self._actor_linears]
        if not self.discrete:
            self._np_scale, self._np_bias = self.act_scale.numpy(), self.act_bias.numpy()

    @property
    def alpha(self) -> torch.Tensor:
        return self.log_alpha.exp().detach()

    def _target_q(self, x: torch.Tensor) -> torch.Tensor:
        """The pessimistic target Q: the minimum over all target critics, or over `target_subset` of
        them drawn without replacement (REDQ/RLPD); (batch,) or (batch, actions)."""
        members = None
        if self.cfg.target_subset:
            members = torch.randperm(self.critics.members, generator=self.generator)[: self.cfg.target_subset]
        q = self.target_critics(x, members)
        return (q.squeeze(-1) if not self.discrete else q).min(0).values

    def _actor_q(self, q: torch.Tensor) -> torch.Tensor:
        """Combine the critics' values (members first) into the one the actor maximizes."""
        return q.min(0).values if self.cfg.actor_q == "min" else q.mean(0)

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

    def _actor_np(self, obs: np.ndarray) -> np.ndarray:
        """The actor's output for a batch of observations, in NumPy on the live weights (ReLU MLP)."""
        h = np.asarray(obs, dtype=np.float32).reshape(len(obs), -1)
        last = len(self._np_actor) - 1
        for i, (w, b) in enumerate(self._np_actor):
            h = h @ w
            h += b
            if i < last:
                np.maximum(h, 0.0, out=h)
        return h

    def act(self, obs: np.ndarray, deterministic: bool = False) -> np.ndarray:
        out = self._actor_np(obs)
        if self.discrete:
            if deterministic:
                return out.argmax(-1).astype(np.int64)
            probs = torch.from_numpy(out).softmax(-1)
            return torch.multinomial(probs, 1, generator=self.generator).squeeze(-1).numpy()
        mean, log_std = np.split(out, 2, axis=-1)
        pre_tanh = mean
        if not deterministic:
            # the same draw from the same generator as `_continuous`
            noise = torch.randn(mean.shape, generator=self.generator).numpy()
            pre_tanh = mean + np.exp(np.clip(log_std, LOG_STD_MIN, LOG_STD_MAX)) * noise
        return np.tanh(pre_tanh) * self._np_scale + self._np_bias

    def log_prob(self, obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
        """log pi(a|s) of given env actions under the current policy, float32 (off-policy AIRL needs it
        for replay and demonstration actions). Continuous actions are mapped back through the squash,
        u = atanh((a - bias) / scale), with the same tanh correction as `_continuous`; actions on the
        bounds are pulled in by 1e-6, where tanh cannot reach."""
        out = self._actor_np(obs).astype(np.float64)
        if self.discrete:
            log_probs = log_softmax_np(out)
            rows = np.arange(len(out))
            return log_probs[rows, np.asarray(acts).reshape(-1).astype(np.int64)].astype(np.float32)
        mean, log_std = np.split(out, 2, axis=-1)
        log_std = np.clip(log_std, LOG_STD_MIN, LOG_STD_MAX)
        scale, bias = self._np_scale.astype(np.float64), self._np_bias.astype(np.float64)
        squashed = np.clip(
            (np.asarray(acts, dtype=np.float64).reshape(mean.shape) - bias) / scale, -1 + 1e-6, 1 - 1e-6
        )
        z = (np.arctanh(squashed) - mean) / np.exp(log_std)
        gaussian = (-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        return (gaussian - np.log(scale * (1 - squashed**2) + 1e-6).sum(-1)).astype(np.float32)

    def _backup_alpha(self, alpha: torch.Tensor) -> torch.Tensor:
        """The temperature the TD target uses: alpha, or 0 without the entropy backup."""
        return alpha if self.cfg.backup_entropy else torch.zeros_like(alpha)

    # ---- one gradient step --------------------------------------------------------------------
    def update(self, batch: dict[str, Any]) -> dict[str, float]:
        obs = torch.as_tensor(np.asarray(batch["obs"], dtype=np.float32).reshape(len(batch["acts"]), -1))
        next_obs = torch.as_tensor(np.asarray(batch["next_obs"], dtype=np.float32).reshape(len(obs), -1))
        rews = torch.as_tensor(np.asarray(batch["rews"], dtype=np.float32))
        not_done = 1.0 - torch.as_tensor(np.asarray(batch["terminals"], dtype=np.float32))
        alpha = self.alpha
        if self.cfg.actor_lr_final is not None:
            # the clock is the actor's own Adam step count, which checkpoints keep, so a resumed run
            # goes on along the schedule (the restored optimizer state carries the old step size)
            self.actor_opt.lr = scheduled_actor_lr(self.cfg, int(self.actor_opt.step_count))
        if self._hand_written:
            acts = torch.as_tensor(np.asarray(batch["acts"], dtype=np.float32).reshape(len(obs), -1))
            critic_loss, q_mean, actor_loss, entropy = self._hand_written_step(
                obs, acts, rews, next_obs, not_done, alpha
            )
        else:
            if self.discrete:
                acts = torch.as_tensor(np.asarray(batch["acts"]), dtype=torch.long).reshape(-1)
                critic_loss, q_mean = self._discrete_critic_loss(obs, acts, rews, next_obs, not_done, alpha)
            else:
                acts = torch.as_tensor(np.asarray(batch["acts"], dtype=np.float32).reshape(len(obs), -1))
                critic_loss, q_mean = self._continuous_critic_loss(obs, acts, rews, next_obs, not_done, alpha)
            self._critic_grad.zero_()
            critic_loss.backward()
            self.critic_opt.step(self._critic_grad)

            actor_loss, entropy = self._actor_loss(obs, alpha)
            self._actor_grad.zero_()
            actor_loss.backward()
            self.actor_opt.step(self._actor_grad)

        entropy = entropy.detach()
        alpha_loss = torch.zeros(())
        if self.cfg.autotune:
            # J(alpha) = E[-alpha * (log pi + target_entropy)] (Haarnoja et al. 2018, eq. 18), optimized
            # over log alpha: the loss alpha * (H - target) is also its gradient in log alpha
            alpha_loss = self.log_alpha.exp() * (entropy - self.target_entropy)
            self.alpha_opt.step(alpha_loss)

        self._target_params.lerp_(self._critic_params, self.cfg.tau)
        metrics = torch.stack(
            [critic_loss.detach(), actor_loss.detach(), alpha_loss, self.alpha, entropy]
        ).tolist()
        return {
            "loss/critic": metrics[0],
            "loss/actor": metrics[1],
            "loss/alpha": metrics[2],
            "alpha": metrics[3],
            "entropy": metrics[4],
            "q_mean": q_mean,
        }

    # ---- the continuous update with hand-written gradients ------------------------------------
    def _critic_forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's input for the backward pass; the last entry is Q, (members, batch, 1)."""
        h = x.unsqueeze(0).expand(self.critics.members, -1, -1)
        saved = [h]
        last = len(self._critic_linears) - 1
        for i, layer in enumerate(self._critic_linears):
            h = layer(h)
            if i < last:
                h.relu_()
            saved.append(h)
        return saved

    def _critic_backward(
        self, saved: list[torch.Tensor], grad: torch.Tensor, weight_grads: bool, input_from: int = 0
    ) -> torch.Tensor | None:
        """Backpropagate dL/dQ through the critics: write their weight gradients (if asked) and
        return dL/d(input[..., input_from:]) per member when `weight_grads` is False."""
        for i in range(len(self._critic_linears) - 1, -1, -1):
            layer = self._critic_linears[i]
            single = layer.weight.shape[-1] == 1  # the Q head: products and sums, as in its forward
            if weight_grads:
                assert layer.weight.grad is not None
                if single:
                    torch.sum(saved[i] * grad, 1, out=layer.weight.grad.squeeze(-1))
                else:
                    torch.bmm(saved[i].transpose(1, 2), grad, out=layer.weight.grad)
                torch.sum(grad, 1, keepdim=True, out=layer.bias.grad)
            if i:
                back = (
                    grad * layer.weight.transpose(1, 2)
                    if single
                    else torch.bmm(grad, layer.weight.transpose(1, 2))
                )
                # ReLU's gradient, masked by its output as in torch's own relu backward
                grad = torch.ops.aten.threshold_backward(back, saved[i], 0.0)
            elif not weight_grads:
                return torch.bmm(grad, layer.weight[:, input_from:].transpose(1, 2))
        return None

    @torch.no_grad()
    def _hand_written_step(
        self,
        obs: torch.Tensor,
        acts: torch.Tensor,
        rews: torch.Tensor,
        next_obs: torch.Tensor,
        not_done: torch.Tensor,
        alpha: torch.Tensor,
    ) -> tuple[torch.Tensor, float, torch.Tensor, torch.Tensor]:
        """The critic step, then the actor step, with the losses of `_continuous_critic_loss` and
        `_actor_loss` and their gradients written out; returns (critic loss, mean Q, actor loss,
        entropy estimate). `tests/rl/test_sac.py` checks it against the autograd version."""
        size = obs.shape[0]
        next_act, next_logp = self._continuous(next_obs, deterministic=False)
        next_q = self._target_q(torch.cat([next_obs, next_act], -1))
        target = rews + self.cfg.gamma * not_done * (next_q - self._backup_alpha(alpha) * next_logp)
        saved = self._critic_forward(torch.cat([obs, acts], -1))
        q = saved[-1].squeeze(-1)
        q_mean = float(q.mean())
        diff = q - target
        critic_loss = diff.square().mean(1).sum()
        self._critic_backward(saved, diff.mul_(2.0 / size).unsqueeze(-1), weight_grads=True)
        self.critic_opt.step(self._critic_grad)

        # actor: a ReLU MLP to (mean, raw log-std), then the squashed Gaussian of `_continuous`
        hidden = [obs]
        h = obs
        last = len(self._actor_linears) - 1
        for i, layer in enumerate(self._actor_linears):
            h = torch.addmm(layer.bias, h, layer.weight.t())
            if i < last:
                h.relu_()
                hidden.append(h)
        mean, raw_log_std = h.chunk(2, dim=-1)
        log_std = raw_log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        std = log_std.exp()
        noise = torch.randn(mean.shape, generator=self.generator)
        squashed = torch.tanh(mean + std * noise)
        tanh_grad = 1 - squashed * squashed
        jacobian = self.act_scale * tanh_grad + 1e-6
        log_prob = (-0.5 * noise**2 - log_std - 0.5 * math.log(2 * math.pi)).sum(-1) - torch.log(
            jacobian
        ).sum(-1)
        critic_saved = self._critic_forward(torch.cat([obs, squashed * self.act_scale + self.act_bias], -1))
        q_min, argmin = critic_saved[-1].squeeze(-1).min(0)
        actor_loss = (alpha * log_prob - q_min).mean()

        # dL/dQ_m = -1/B on the member holding the minimum (the gradient of torch.min), 0 elsewhere
        d_q = torch.zeros(critic_saved[-1].shape[:2]).scatter_(0, argmin.unsqueeze(0), -1.0 / size)
        d_action = self._critic_backward(
            critic_saved, d_q.unsqueeze(-1), weight_grads=False, input_from=obs.shape[1]
        )
        assert d_action is not None
        d_log_prob = alpha / size
        # log_prob depends on the squashed action through -log(scale (1 - s^2) + 1e-6)
        d_squashed = d_action.sum(0) * self.act_scale + d_log_prob * 2 * self.act_scale * squashed / jacobian
        d_pre_tanh = d_squashed * tanh_grad
        # pre_tanh = mean + exp(log_std) noise, and log_prob has a -log_std term; clamp passes
        # gradients inside [min, max] only
        d_log_std = (d_pre_tanh * std * noise - d_log_prob) * (
            (raw_log_std >= LOG_STD_MIN) & (raw_log_std <= LOG_STD_MAX)
        )
        grad = torch.cat([d_pre_tanh, d_log_std], -1)
        for i in range(last, -1, -1):
            layer = self._actor_linears[i]
            torch.mm(grad.t(), hidden[i], out=layer.weight.grad)
            torch.sum(grad, 0, out=layer.bias.grad)
            if i:
                grad = torch.ops.aten.threshold_backward(grad @ layer.weight, hidden[i], 0.0)
        self.actor_opt.step(self._actor_grad)
        return critic_loss, q_mean, actor_loss, -log_prob.mean()

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
            next_q = self._target_q(torch.cat([next_obs, next_act], -1))
            target = rews + self.cfg.gamma * not_done * (next_q - self._backup_alpha(alpha) * next_logp)
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
            next_q = self._target_q(next_obs)
            # the soft value is an exact expectation over the discrete actions (Christodoulou 2019, eq. 10)
            next_v = (probs * (next_q - self._backup_alpha(alpha) * log_probs)).sum(-1)
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
                q = self._actor_q(self.critics(obs))
            loss = (probs * (alpha * log_probs - q)).sum(-1).mean()
            return loss, -(probs * log_probs).sum(-1).mean()
        act, logp = self._continuous(obs, deterministic=False)
        # gradients flow through the critics to the action only; their weights are not updated here,
        # so computing their weight gradients would waste a third of this backward pass
        self.critics.requires_grad_(False)
        try:
            q = self._actor_q(self.critics(torch.cat([obs, act], -1)).squeeze(-1))
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
