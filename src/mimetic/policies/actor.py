"""Export an RL actor (an MLP from observations to action parameters) as a saved `TorchPolicy`.

PPO and SAC train their own fused networks for speed; what users keep, evaluate and ship in the
zoo is the deterministic actor as an ordinary policy (`mlp`, `gaussian` or `discrete`), saved as
safetensors + JSON and reloaded by `mimetic.policies.load` like any behaviour-cloning policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from mimetic.policies.config import PolicyConfig
from mimetic.policies.learned import TorchPolicy, build_policy

Layer = tuple[np.ndarray, np.ndarray]
"""(weight of shape (out, in), bias of shape (out,)), as in `torch.nn.Linear`."""


def policy_from_actor(
    kind: str,
    layers: Sequence[Layer],
    activation: str,
    observation_space: spaces.Box,
    action_space: spaces.Space[Any],
    obs_mean: np.ndarray | None = None,
    obs_std: np.ndarray | None = None,
) -> TorchPolicy:
    """Build a `kind` policy ("discrete", "mlp" or "gaussian") whose forward pass is the actor's.

    `layers` are the actor's linear layers in order, with `activation` between them; the last one
    outputs logits ("discrete"), the action mean ("mlp": acted on directly, clipped to bounds), or
    [mean, log_std] with a tanh squash into the action bounds ("gaussian", SAC's actor).
    `obs_mean` / `obs_std` are the actor's input normalization, if it had one.
    """
    config = PolicyConfig(
        hidden_sizes=tuple(int(w.shape[0]) for w, _ in layers[:-1]),
        activation=activation,
        squash=True if kind == "gaussian" else None,
    )
    example = np.zeros((1, *(observation_space.shape or ())), dtype=np.float32)
    policy = build_policy(kind, example, action_space, config)
    trunk = cast(nn.Sequential, policy.trunk)
    head_linear = cast(nn.Linear, policy.head.linear)  # type: ignore[union-attr]
    linears: list[nn.Linear] = [m for m in trunk if isinstance(m, nn.Linear)] + [head_linear]
    if len(linears) != len(layers):
        raise ValueError(f"actor has {len(layers)} layers, the {kind} policy {len(linears)}")
    with torch.no_grad():
        for module, (weight, bias) in zip(linears, layers, strict=True):
            module.weight.copy_(torch.as_tensor(np.asarray(weight, dtype=np.float32)))
            module.bias.copy_(torch.as_tensor(np.asarray(bias, dtype=np.float32)))
    dim = policy.layout.dim
    mean = np.zeros(dim) if obs_mean is None else np.asarray(obs_mean, dtype=np.float64)
    std = np.ones(dim) if obs_std is None else np.asarray(obs_std, dtype=np.float64)
    policy.obs_norm.set(mean, std)
    if isinstance(action_space, spaces.Box):
        if kind == "gaussian":
            low, high = np.asarray(action_space.low, np.float64), np.asarray(action_space.high, np.float64)
            policy.act_norm.set((high + low) / 2.0, (high - low) / 2.0)
        else:
            policy.act_norm.set(np.zeros(policy.act_dim), np.ones(policy.act_dim))
    policy.eval()
    return policy
