"""Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms").

The learner is split from collection: `act` serves the `VecCollector`, and `update(rollout)` runs
the clipped-surrogate epochs on one rollout. The implementation choices follow Huang et al. 2022,
"The 37 Implementation Details of Proximal Policy Optimization": separate actor and critic MLPs
with tanh and orthogonal init, advantage normalization per minibatch, clipped value loss, global
gradient clipping, a state-independent log-std for continuous actions.

Speed. The networks are small (64x64 on the classic tasks), so a step is bound by per-operation
overhead, not arithmetic. The actor and critic hidden layers therefore run as one two-member
ensemble (one batched matmul per layer, member 0 the actor, member 1 the critic), the gradients of
the PPO loss are written out by hand (no autograd graph, no torch.distributions), all parameters
live in one flat buffer so that gradient clipping and Adam are a handful of whole-buffer
operations, and collection-time inference runs in NumPy on views of the same memory. The
arithmetic is the same as the textbook version: `tests/rl/test_ppo.py` checks the hand-written
gradients against autograd on unfused networks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.nn.ensemble import FlatAdam
from mimetic.nn.heads import log_softmax_np
from mimetic.nn.mlp import ACTIVATIONS
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
    (4 envs x 1024 steps, 10 epochs, gamma 0.9, lr 1e-3, normalization on); HalfCheetah-v5, Hopper-v5
    and Walker2d-v5 follow its MuJoCo entries (`MUJOCO_PPO`). Everything else gets the paper's defaults.
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
    if env_id in MUJOCO_PPO:
        return PPOConfig(**MUJOCO_PPO[env_id])
    return PPOConfig()


# rl-baselines3-zoo's tuned PPO for the MuJoCo locomotion tasks (hyperparams/ppo.yml, its -v3 entries, not
# retuned for -v5): one env x 512 steps, observation and reward normalization (VecNormalize), log-std
# starting at -2, ReLU and 256x256 networks. On HalfCheetah-v5 this reached 4888 by 200k env steps and
# 5542 by 400k (seed 0, a one-off run; the paper's default settings with 4 envs and normalization reached
# 4231 at 1M); the reproducible number is the "PPO alone" score of
# `python benchmarks/adversarial.py --mujoco`: 0.89 normalized at 500k. On Hopper-v5 it stands still
# (0.30 at 500k, 0.31 at 1M), below what rl-baselines3-zoo reports for Hopper-v3.
_MUJOCO_COMMON: dict[str, Any] = {
    "num_envs": 1,
    "rollout_steps": 512,
    "normalize_obs": True,
    "normalize_reward": True,
    "init_log_std": -2.0,
    "activation": "relu",
    "hidden_sizes": (256, 256),
}
MUJOCO_PPO: dict[str, dict[str, Any]] = {
    "HalfCheetah-v5": {
        **_MUJOCO_COMMON,
        "minibatch_size": 64,
        "update_epochs": 20,
        "learning_rate": 2.0633e-5,
        "gamma": 0.98,
        "gae_lambda": 0.92,
        "clip_coef": 0.1,
        "ent_coef": 4.01762e-4,
        "vf_coef": 0.58096,
        "max_grad_norm": 0.8,
    },
    "Hopper-v5": {
        **_MUJOCO_COMMON,
        "minibatch_size": 32,
        "update_epochs": 5,
        "learning_rate": 9.80828e-5,
        "gamma": 0.999,
        "gae_lambda": 0.99,
        "clip_coef": 0.2,
        "ent_coef": 2.29519e-3,
        "vf_coef": 0.835671,
        "max_grad_norm": 0.7,
    },
    "Walker2d-v5": {
        **_MUJOCO_COMMON,
        "minibatch_size": 32,
        "update_epochs": 20,
        "learning_rate": 5.05041e-5,
        "gamma": 0.99,
        "gae_lambda": 0.95,
        "clip_coef": 0.1,
        "ent_coef": 5.85045e-4,
        "vf_coef": 0.871923,
        "max_grad_norm": 1.0,
    },
}


_LOG_2PI = math.log(2 * math.pi)


def _activate_np(name: str, z: np.ndarray) -> np.ndarray:
    """The activation, in place on a float32 NumPy array (NumPy's tanh is several times faster than
    torch's on CPU; silu and gelu borrow torch's kernels on the same memory)."""
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "relu":
        return np.maximum(z, 0.0, out=z)
    t = torch.from_numpy(z)
    t.copy_(torch.nn.functional.silu(t) if name == "silu" else torch.nn.functional.gelu(t))
    return z


def _activate(name: str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(activation of z, what its derivative needs): the output for tanh and relu, z otherwise."""
    if name == "tanh":
        y = torch.from_numpy(np.tanh(z.numpy(), out=z.numpy()))
        return y, y
    if name == "relu":
        y = z.clamp_(min=0.0)
        return y, y
    if name == "silu":
        return torch.nn.functional.silu(z), z
    return torch.nn.functional.gelu(z), z


def _activation_backward(name: str, grad: torch.Tensor, saved: torch.Tensor) -> torch.Tensor:
    """dL/dz from dL/dy, overwriting `grad`."""
    if name == "tanh":  # d tanh = 1 - y^2
        return grad.sub_(grad * saved * saved)
    if name == "relu":  # as torch's threshold_backward: zero where the output is zero
        return grad.masked_fill_(saved <= 0, 0.0)
    if name == "silu":  # d silu = s (1 + z (1 - s)), s = sigmoid(z)
        s = torch.sigmoid(saved)
        return grad.mul_(s * (1 + saved * (1 - s)))
    # exact (erf) gelu: d gelu = Phi(z) + z phi(z)
    cdf = 0.5 * (1 + torch.erf(saved * (1 / math.sqrt(2))))
    pdf = torch.exp(-0.5 * saved * saved) * (1 / math.sqrt(2 * math.pi))
    return grad.mul_(cdf + saved * pdf)


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs, run as one two-member ensemble; a categorical or
    diagonal-Gaussian policy.

    Hidden layer i is `hidden_weight_i` (2, in, out) and `hidden_bias_i` (2, 1, out), member 0 the
    actor and member 1 the critic, so each layer of both networks is one batched matmul. Then come
    the actor head (hidden, act_dim), the critic head (hidden, 1) and, for continuous actions, a
    state-independent `log_std`. Every parameter is a view into one flat buffer (`flat`), and
    `flat_grad` holds the hand-computed gradients in the same layout.
    """

    def __init__(self, obs_dim: int, action_space: gym.Space[Any], cfg: PPOConfig) -> None:
        super().__init__()
        if cfg.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation '{cfg.activation}'; valid choices: {', '.join(sorted(ACTIVATIONS))}"
            )
        self.activation = cfg.activation
        self.discrete = isinstance(action_space, gym.spaces.Discrete)
        if isinstance(action_space, gym.spaces.Discrete):
            self.act_dim = int(action_space.n)
        else:
            self.act_dim = int(np.prod(action_space.shape or (1,)))
        sizes = [obs_dim, *cfg.hidden_sizes]
        layout: list[tuple[str, tuple[int, ...]]] = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layout += [(f"hidden_weight_{i}", (2, fan_in, fan_out)), (f"hidden_bias_{i}", (2, 1, fan_out))]
        layout += [
            ("actor_weight", (sizes[-1], self.act_dim)),
            ("actor_bias", (self.act_dim,)),
            ("critic_weight", (sizes[-1], 1)),
            ("critic_bias", (1,)),
        ]
        if not self.discrete:
            layout.append(("log_std", (self.act_dim,)))
        total = sum(math.prod(shape) for _, shape in layout)
        self.flat = torch.zeros(total)
        self.flat_grad = torch.zeros(total)
        views: list[torch.Tensor] = []
        grads: list[torch.Tensor] = []
        offset = 0
        for name, shape in layout:
            size = math.prod(shape)
            views.append(self.flat[offset : offset + size].view(shape))
            grads.append(self.flat_grad[offset : offset + size].view(shape))
            # the same memory as a named parameter, in layout order, for parameters() and state_dict
            self.register_parameter(name, nn.Parameter(views[-1], requires_grad=False))
            offset += size
        depth = len(cfg.hidden_sizes)
        self.depth = depth
        self._w, self._b = views[0 : 2 * depth : 2], views[1 : 2 * depth : 2]
        self._gw, self._gb = grads[0 : 2 * depth : 2], grads[1 : 2 * depth : 2]
        self._head = views[2 * depth : 2 * depth + 4]
        self._ghead = grads[2 * depth : 2 * depth + 4]
        self._log_std = views[-1] if not self.discrete else None
        self._glog_std = grads[-1] if not self.discrete else None

        # Huang et al. 2022, detail 2: orthogonal init, sqrt(2) hidden gain, 0.01 policy output,
        # 1.0 value output, zero biases. Weights are stored (in, out), so init (out, in) and transpose.
        def orthogonal(view: torch.Tensor, gain: float) -> None:
            view.copy_(nn.init.orthogonal_(torch.empty(view.shape[1], view.shape[0]), gain).T)

        for w in self._w:
            for member in range(2):
                orthogonal(w[member], math.sqrt(2))
        orthogonal(self._head[0], 0.01)
        orthogonal(self._head[2], 1.0)
        if self._log_std is not None:
            self._log_std.fill_(cfg.init_log_std)

        # NumPy views of the same memory, for inference at collection time
        self._np_w = [w.numpy() for w in self._w]
        self._np_b = [b.numpy() for b in self._b]
        self._np_head = [h.numpy() for h in self._head]

    def forward_np(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(logits or action means, values) for a float32 batch (B, obs_dim), in NumPy, no autograd."""
        h = x
        if self.depth:
            h = np.matmul(x, self._np_w[0])  # broadcasts to (2, B, hidden)
            h += self._np_b[0]
            _activate_np(self.activation, h)
            for w, b in zip(self._np_w[1:], self._np_b[1:], strict=True):
                h = np.matmul(h, w)
                h += b
                _activate_np(self.activation, h)
            actor_h, critic_h = h[0], h[1]
        else:
            actor_h = critic_h = x
        aw, ab, cw, cb = self._np_head
        out = actor_h @ aw
        out += ab
        values = critic_h @ cw
        values += cb
        return out, values[:, 0]

    def forward_train(
        self, x: torch.Tensor
    ) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Forward pass keeping what `backward` needs: (layer inputs, activation saves, out, values)."""
        h = x.unsqueeze(0).expand(2, -1, -1)
        inputs, saves = [], []
        for w, b in zip(self._w, self._b, strict=True):
            inputs.append(h)
            h, saved = _activate(self.activation, torch.baddbmm(b, h, w))
            saves.append(saved)
        inputs.append(h)
        aw, ab, cw, cb = self._head
        return inputs, saves, torch.addmm(ab, h[0], aw), torch.addmm(cb, h[1], cw).squeeze(1)

    def backward(
        self,
        inputs: list[torch.Tensor],
        saves: list[torch.Tensor],
        d_out: torch.Tensor,
        d_values: torch.Tensor,
    ) -> None:
        """Write the weight gradients into `flat_grad` from dL/d(out) (B, act_dim) and dL/d(values) (B,).

        `log_std`'s gradient is not touched here (the loss writes it)."""
        top = inputs[-1]
        aw, _, cw, _ = self._head
        gaw, gab, gcw, gcb = self._ghead
        d_v = d_values.unsqueeze(1)
        torch.mm(top[0].T, d_out, out=gaw)
        torch.sum(d_out, 0, out=gab)
        torch.mm(top[1].T, d_v, out=gcw)
        torch.sum(d_v, 0, out=gcb)
        if not self.depth:
            return
        grad = torch.empty_like(top)
        torch.mm(d_out, aw.T, out=grad[0])
        torch.mm(d_v, cw.T, out=grad[1])
        for i in range(self.depth - 1, -1, -1):
            dz = _activation_backward(self.activation, grad, saves[i])
            torch.bmm(inputs[i].transpose(1, 2), dz, out=self._gw[i])
            torch.sum(dz, 1, keepdim=True, out=self._gb[i])
            if i:
                grad = torch.bmm(dz, self._w[i].transpose(1, 2))


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
        self.optimizer = FlatAdam(self.net.flat, lr=cfg.learning_rate, eps=1e-5)
        self.rng = np.random.default_rng(seed)
        self.sample_rng = np.random.default_rng([seed, 1])
        """Draws the actions of `act`; apart from `rng` (minibatch order) so each stream is fixed."""
        self.obs_rms = RunningMeanStd((self.obs_dim,)) if cfg.normalize_obs else None
        self.ret_rms = RunningMeanStd() if cfg.normalize_reward else None
        self._running_ret = np.zeros(cfg.num_envs)
        self.steps_done = 0
        if isinstance(action_space, gym.spaces.Box):
            self._low, self._high = action_space.low, action_space.high

    def _prep(self, obs: np.ndarray) -> np.ndarray:
        flat = np.asarray(obs).reshape(len(obs), -1)
        if self.obs_rms is not None:
            return self.obs_rms.normalize(flat.astype(np.float64)).astype(np.float32)
        return flat.astype(np.float32, copy=False)

    def act(self, obs: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Sample actions for collection; the extras keep what `update` needs."""
        if self.obs_rms is not None:
            self.obs_rms.update(np.asarray(obs, dtype=np.float64).reshape(len(obs), -1))
        out, values = self.net.forward_np(self._prep(obs))
        if self.net.discrete:
            log_probs = log_softmax_np(out)
            cdf = np.cumsum(np.exp(log_probs), axis=1)
            # inverse-CDF sampling of the categorical
            u = self.sample_rng.random(len(cdf)) * cdf[:, -1]
            raw = (u[:, None] >= cdf).sum(1)
            logp = log_probs[np.arange(len(raw)), raw].astype(np.float32)
            return raw, {"raw_action": raw, "log_prob": logp, "value": values}
        assert self.net._log_std is not None
        log_std = self.net._log_std.numpy()
        noise = self.sample_rng.standard_normal(out.shape, dtype=np.float32)
        raw = out + np.exp(log_std) * noise
        logp = (-0.5 * noise * noise - log_std).sum(-1) - np.float32(0.5 * _LOG_2PI * out.shape[1])
        space = self.action_space
        assert isinstance(space, gym.spaces.Box)
        env_action = np.clip(raw, self._low, self._high).astype(space.dtype)
        return env_action, {"raw_action": raw, "log_prob": logp.astype(np.float32), "value": values}

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
        next_values = self.net.forward_np(self._prep(rollout.next_obs.reshape(n, -1)))[1].reshape(steps, envs)
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
        raw = rollout.extras["raw_action"].reshape(n, -1)
        # the per-sample columns, packed so that a minibatch is one row gather:
        # obs | action (one-hot when discrete) | old log-prob | old value | advantage | return
        acts = np.eye(self.net.act_dim, dtype=np.float32)[raw[:, 0]] if self.net.discrete else raw
        columns = [rollout.extras["log_prob"], values, adv, ret]
        data = torch.from_numpy(
            np.concatenate([obs, acts, *(np.reshape(c, (n, 1)) for c in columns)], axis=1, dtype=np.float32)
        )

        if cfg.anneal_lr:
            frac = max(0.0, 1.0 - self.steps_done / cfg.total_steps)
            self.optimizer.lr = frac * cfg.learning_rate
        self.steps_done += n

        mb = min(cfg.minibatch_size, n)
        stats: dict[str, float] = {}
        for epoch in range(cfg.update_epochs):
            order = torch.from_numpy(self.rng.permutation(n))
            # metrics cost a sync per minibatch, so read them only when they are used
            keep = cfg.target_kl is not None or epoch == cfg.update_epochs - 1
            records = []
            for start in range(0, n - mb + 1, mb):
                record = self._compute_gradients(data.index_select(0, order[start : start + mb]), keep)
                self._apply_gradients()
                if keep:
                    records.append(record)
            if keep:
                rows = torch.stack(records).tolist()
                approx_kl = float(np.mean([row[3] for row in rows]))
                stats = {
                    "loss/policy": rows[-1][0],
                    "loss/value": rows[-1][1],
                    "entropy": rows[-1][2],
                    "approx_kl": approx_kl,
                    "clip_fraction": rows[-1][4],
                }
                if cfg.target_kl is not None and approx_kl > cfg.target_kl:
                    break
        var_y = float(np.var(ret))
        stats["explained_variance"] = (
            float("nan") if var_y == 0 else 1.0 - float(np.var(ret - values)) / var_y
        )
        return stats

    def _compute_gradients(self, batch: torch.Tensor, keep_metrics: bool = True) -> torch.Tensor:
        """The PPO loss's gradients on one packed minibatch, written into `net.flat_grad`.

        loss = clipped surrogate - ent_coef * entropy + vf_coef * (clipped) value loss, with the
        advantages normalized per minibatch (Huang et al. 2022, detail 7). Returns the metrics
        (policy loss, value loss, entropy, approx KL, clip fraction) as one tensor when asked.
        """
        cfg, net = self.cfg, self.net
        size, d, k = batch.shape[0], self.obs_dim, net.act_dim
        x, acts = batch[:, :d], batch[:, d : d + k]
        old_logp, old_values, adv, ret = batch[:, d + k :].unbind(1)
        inputs, saves, out, values = net.forward_train(x)
        if net.discrete:
            log_probs = torch.log_softmax(out, -1)
            probs = log_probs.exp()
            logp = (log_probs * acts).sum(-1)
        else:
            assert net._log_std is not None
            log_std = net._log_std
            inv_std = torch.exp(-log_std)
            z = (acts - out) * inv_std
            logp = (-0.5 * z * z - log_std).sum(-1) - 0.5 * _LOG_2PI * k
        log_ratio = logp - old_logp
        ratio = log_ratio.exp()
        a = (adv - adv.mean()) / (adv.std() + 1e-8)
        surrogate = -a * ratio
        clipped = -a * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
        # d max(surrogate, clipped) / d logp: the surrogate's own derivative (-a * ratio) where it is
        # the larger; zero where the clipped term wins (it is then flat in the ratio)
        d_logp = surrogate.masked_fill(surrogate < clipped, 0.0).mul_(1.0 / size)
        diff = values - ret
        if cfg.clip_value_loss:
            clipped_diff = old_values + (values - old_values).clamp(-cfg.clip_coef, cfg.clip_coef) - ret
            sq, sq_clipped = diff * diff, clipped_diff * clipped_diff
            d_values = diff.masked_fill(sq < sq_clipped, 0.0).mul_(cfg.vf_coef / size)
        else:
            d_values = diff * (cfg.vf_coef / size)
        if net.discrete:
            # d log pi(a) / d logits = onehot(a) - p; d H / d logits = -p (log p + H)
            d_out = (acts - probs).mul_(d_logp.unsqueeze(1))
            if cfg.ent_coef or keep_metrics:
                entropy = -(probs * log_probs).sum(-1)
            if cfg.ent_coef:
                d_out.add_(probs * (log_probs + entropy.unsqueeze(1)), alpha=cfg.ent_coef / size)
        else:
            # d log N(a; mu, sigma) / d mu = z / sigma, / d log sigma = z^2 - 1; d H / d log sigma = 1
            d_out = z * inv_std * d_logp.unsqueeze(1)
            assert net._glog_std is not None
            torch.sum(d_logp.unsqueeze(1) * (z * z - 1), 0, out=net._glog_std)
            net._glog_std.sub_(cfg.ent_coef)
        net.backward(inputs, saves, d_out, d_values)
        if not keep_metrics:
            return torch.empty(0)
        policy_loss = torch.maximum(surrogate, clipped).mean()
        if cfg.clip_value_loss:
            value_loss = 0.5 * torch.maximum(sq, sq_clipped).mean()
        else:
            value_loss = 0.5 * (diff * diff).mean()
        mean_entropy = entropy.mean() if net.discrete else (0.5 + 0.5 * _LOG_2PI + log_std).sum()
        # Schulman's unbiased low-variance KL estimator: E[(r - 1) - log r]
        approx_kl = ((ratio - 1) - log_ratio).mean()
        clip_fraction = ((ratio - 1).abs() > cfg.clip_coef).float().mean()
        return torch.stack([policy_loss, value_loss, mean_entropy, approx_kl, clip_fraction])

    def _apply_gradients(self) -> None:
        """Global gradient-norm clipping (as torch.nn.utils.clip_grad_norm_), then one Adam step."""
        grad = self.net.flat_grad
        norm = torch.linalg.vector_norm(grad)
        grad.mul_((self.cfg.max_grad_norm / (norm + 1e-6)).clamp_(max=1.0))
        self.optimizer.step(grad)

    def policy(self) -> PPOPolicy:
        return PPOPolicy(self)

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.cfg)


@dataclass
class PPOPolicy:
    """The learner's current policy as a `Policy` (deterministic: mean or argmax)."""

    learner: PPO
    _unused: Any = field(default=None, repr=False)

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        learner = self.learner
        if not deterministic:
            return learner.act(np.asarray(obs))[0], state
        out, _ = learner.net.forward_np(learner._prep(np.asarray(obs)))
        if learner.net.discrete:
            return out.argmax(-1).astype(np.int64), state
        space = learner.action_space
        assert isinstance(space, gym.spaces.Box)
        return np.clip(out, space.low, space.high).astype(space.dtype), state

    def reset(self, batch_size: int) -> Any:
        return None
