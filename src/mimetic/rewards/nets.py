"""The networks learned rewards are made of: an MLP over chosen parts of a transition (s, a, s').

A reward network sees the observation (normalized with fixed statistics of the demonstrations, so
that the same reward gives the same number in every process) and, depending on `inputs`, the
action (one-hot when discrete) and the next observation. Its description is plain JSON, so a saved
reward is rebuilt from safetensors + JSON without pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mimetic.nn.mlp import mlp

INPUTS = ("s", "sa", "ss")
"""What a network reads: the state; the state and action; the state and the next state."""


@dataclass(frozen=True)
class NetSpec:
    """Shape of one reward network; `to_json`/`from_json` round-trip it."""

    obs_dim: int
    act_dim: int
    """Action width: the number of actions when `discrete`, else the action vector's size."""
    discrete: bool
    inputs: str
    hidden_sizes: tuple[int, ...]
    out_dim: int = 1
    activation: str = "relu"
    spectral_norm: bool = False

    def __post_init__(self) -> None:
        if self.inputs not in INPUTS:
            raise ValueError(f"reward net inputs must be one of {INPUTS}, got '{self.inputs}'")

    @property
    def in_dim(self) -> int:
        return self.obs_dim + {"s": 0, "sa": self.act_dim, "ss": self.obs_dim}[self.inputs]

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["hidden_sizes"] = list(self.hidden_sizes)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NetSpec:
        return cls(**{**data, "hidden_sizes": tuple(data["hidden_sizes"])})


class RewardNet(nn.Module):
    """An MLP over the features `spec.inputs` names, with fixed observation normalization."""

    obs_mean: torch.Tensor
    obs_std: torch.Tensor

    def __init__(self, spec: NetSpec, obs_mean: np.ndarray | None = None, obs_std: np.ndarray | None = None):
        super().__init__()
        self.spec = spec
        self.body = mlp(spec.in_dim, spec.hidden_sizes, spec.out_dim, spec.activation)
        if spec.spectral_norm:
            # Miyato et al. 2018: bound each layer's Lipschitz constant, a common GAIL stabilizer
            for i, layer in enumerate(self.body):
                if isinstance(layer, nn.Linear):
                    self.body[i] = nn.utils.parametrizations.spectral_norm(layer)
        mean = np.zeros(spec.obs_dim) if obs_mean is None else np.asarray(obs_mean, dtype=np.float64)
        std = np.ones(spec.obs_dim) if obs_std is None else np.asarray(obs_std, dtype=np.float64)
        self.register_buffer("obs_mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("obs_std", torch.as_tensor(np.maximum(std, 1e-6), dtype=torch.float32))

    def obs_tensor(self, obs: Any) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32)).reshape(-1, self.spec.obs_dim)
        return (x - self.obs_mean) / self.obs_std

    def act_tensor(self, acts: Any) -> torch.Tensor:
        if self.spec.discrete:
            index = torch.as_tensor(np.asarray(acts).reshape(-1).astype(np.int64))
            return nn.functional.one_hot(index, self.spec.act_dim).float()
        return torch.as_tensor(np.asarray(acts, dtype=np.float32)).reshape(-1, self.spec.act_dim)

    def features(self, obs: Any, acts: Any = None, next_obs: Any = None) -> torch.Tensor:
        """The network's input for a batch, from raw (unnormalized) arrays."""
        parts = [self.obs_tensor(obs)]
        if self.spec.inputs == "sa":
            parts.append(self.act_tensor(acts))
        elif self.spec.inputs == "ss":
            parts.append(self.obs_tensor(next_obs))
        return torch.cat(parts, -1) if len(parts) > 1 else parts[0]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, out_dim) outputs; with out_dim 1 the last axis is squeezed away."""
        out = self.body(features)
        return out.squeeze(-1) if self.spec.out_dim == 1 else out

    def score(self, obs: Any, acts: Any = None, next_obs: Any = None) -> torch.Tensor:
        return self(self.features(obs, acts, next_obs))


def fit_obs_stats(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the demonstrations' observations (std floored: constant features stay finite)."""
    flat = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
    return flat.mean(0), np.maximum(flat.std(0), 1e-3)


def plain_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """A state dict with spectral-norm parametrizations folded into plain weights (for export)."""
    out = {}
    for name, value in module.state_dict().items():
        if ".parametrizations." in name:
            continue
        out[name] = value.detach().clone().contiguous()
    for name, sub in module.named_modules():
        if isinstance(sub, nn.Linear) and hasattr(sub, "parametrizations"):
            with torch.no_grad():
                out[f"{name}.weight" if name else "weight"] = sub.weight.detach().clone().contiguous()
                out[f"{name}.bias" if name else "bias"] = sub.bias.detach().clone().contiguous()
    return out
