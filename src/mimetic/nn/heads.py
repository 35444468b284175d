"""Action heads: map a feature vector to an action distribution, its training loss and its actions.

Every head works in normalized action space (the policy owns the normalizers), so a head never
sees environment units. `nll(features, target)` is the per-sample training loss, and
`act(features, deterministic)` gives actions.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Log-std bounds of the Gaussian head, as in cleanrl's `sac_continuous_action.py`
# (LOG_STD_MIN=-5, LOG_STD_MAX=2): wide enough for any normalized action, narrow enough that
# the NLL cannot run off to -inf on a near-deterministic expert.
LOG_STD_MIN = -5.0
LOG_STD_MAX = 2.0
# Targets of a tanh-squashed head are clipped this far inside (-1, 1) so atanh stays finite.
TANH_EPS = 1e-6
_LOG_2PI = math.log(2.0 * math.pi)


class Head(nn.Module):
    """Base class: a linear layer from features to distribution parameters."""

    def nll(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def act(self, features: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        raise NotImplementedError


class DeterministicHead(Head):
    """A point prediction trained with mean squared error (the plain BC regressor, Pomerleau 1989)."""

    def __init__(self, in_dim: int, act_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, act_dim)

    def nll(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # MSE per sample, averaged over action dims; the name keeps one interface for every head.
        return (self.linear(features) - target).pow(2).mean(dim=-1)

    def act(self, features: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        return self.linear(features)


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Log density of a diagonal Gaussian, summed over the last axis."""
    z = (x - mean) * torch.exp(-log_std)
    return (-0.5 * z.pow(2) - log_std - 0.5 * _LOG_2PI).sum(dim=-1)


def tanh_log_det_jacobian(u: torch.Tensor) -> torch.Tensor:
    """log |d tanh(u) / du| = log(1 - tanh(u)^2), summed over the last axis.

    Written as 2 (log 2 - u - softplus(-2u)), the numerically stable form used by SAC
    implementations (Haarnoja et al. 2018, appendix C), because 1 - tanh(u)^2 underflows to 0.
    """
    return (2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))).sum(dim=-1)


class GaussianHead(Head):
    """A diagonal Gaussian with state-dependent std; optionally tanh-squashed into (-1, 1).

    With `squash=True` the action is `tanh(u)`, `u ~ N(mean, std)`, and the density includes the
    change-of-variables term (Haarnoja et al. 2018, eq. 21), so bounded actions get a proper NLL.
    The deterministic action is `tanh(mean)` (or `mean` unsquashed).
    """

    def __init__(self, in_dim: int, act_dim: int, squash: bool = False) -> None:
        super().__init__()
        self.squash = squash
        self.linear = nn.Linear(in_dim, 2 * act_dim)

    def params(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.linear(features).chunk(2, dim=-1)
        return mean, log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def nll(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mean, log_std = self.params(features)
        if not self.squash:
            return -gaussian_log_prob(target, mean, log_std)
        u = torch.atanh(target.clamp(-1.0 + TANH_EPS, 1.0 - TANH_EPS))
        return -(gaussian_log_prob(u, mean, log_std) - tanh_log_det_jacobian(u))

    def act(self, features: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        mean, log_std = self.params(features)
        u = mean if deterministic else mean + torch.exp(log_std) * torch.randn_like(mean)
        return torch.tanh(u) if self.squash else u


class GMMHead(Head):
    """A mixture of diagonal Gaussians, as robomimic's `GMMActorNetwork` (Mandlekar et al. 2021).

    Scales are `softplus(.) + min_std` (robomimic's default activation and floor). Unlike robomimic
    the means are not tanh-squashed: our actions are standardized, not scaled into [-1, 1].
    The deterministic action is the mean of the most probable component (robomimic's
    "low-noise evaluation" in the limit of zero noise), so it picks a mode instead of averaging them.
    """

    def __init__(self, in_dim: int, act_dim: int, num_modes: int = 5, min_std: float = 1e-4) -> None:
        super().__init__()
        self.num_modes = num_modes
        self.act_dim = act_dim
        self.min_std = min_std
        self.linear = nn.Linear(in_dim, num_modes * (2 * act_dim + 1))

    def params(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits [..., K], means [..., K, D], stds [..., K, D])."""
        out = self.linear(features)
        k, d = self.num_modes, self.act_dim
        logits = out[..., :k]
        means = out[..., k : k + k * d].unflatten(-1, (k, d))
        stds = F.softplus(out[..., k + k * d :].unflatten(-1, (k, d))) + self.min_std
        return logits, means, stds

    def log_prob(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logits, means, stds = self.params(features)
        component = gaussian_log_prob(target.unsqueeze(-2), means, torch.log(stds))
        return torch.logsumexp(F.log_softmax(logits, dim=-1) + component, dim=-1)

    def nll(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return -self.log_prob(features, target)

    def act(self, features: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        logits, means, stds = self.params(features)
        if deterministic:
            mode = logits.argmax(dim=-1)
        else:
            mode = torch.distributions.Categorical(logits=logits).sample()
        index = mode[..., None, None].expand(*mode.shape, 1, self.act_dim)
        mean = means.gather(-2, index).squeeze(-2)
        if deterministic:
            return mean
        std = stds.gather(-2, index).squeeze(-2)
        return mean + std * torch.randn_like(mean)


class CategoricalHead(Head):
    """Logits over `n` discrete actions, trained with cross-entropy."""

    def __init__(self, in_dim: int, num_actions: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, num_actions)

    def nll(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        logits = self.linear(features)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1).long(), reduction="none"
        ).reshape(target.shape)

    def act(self, features: torch.Tensor, deterministic: bool = True) -> torch.Tensor:
        logits = self.linear(features)
        if deterministic:
            return logits.argmax(dim=-1)
        return torch.distributions.Categorical(logits=logits).sample()


def log_softmax_np(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of a (batch, n) array in float64, shifted by the row max for stability: the
    categorical log-probabilities PPO and SAC compute in NumPy when acting or scoring given actions."""
    shifted = np.asarray(logits, dtype=np.float64) - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
