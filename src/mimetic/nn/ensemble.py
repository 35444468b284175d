"""An ensemble of MLPs evaluated as one batched network.

Clipped double-Q (two critics) and RLPD's critic ensembles run every member on the same batch.
Stacking the members' weights and using one batched matmul per layer (`torch.baddbmm`) does the
same arithmetic as separate networks with a fraction of the kernel launches, which is what
bounds small-network updates on a CPU.

For the same reason `flatten_parameters` puts a module's parameters (and their gradients) into one
contiguous buffer, and `FlatAdam` steps such a buffer with one call of the fused Adam kernel, so
zeroing gradients, clipping them, an optimizer step and a target-network average each cost one
operation instead of one per parameter tensor plus torch.optim's Python bookkeeping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class EnsembleLinear(nn.Module):
    """`members` independent linear layers: (members, batch, in) -> (members, batch, out)."""

    def __init__(self, members: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, in_dim, out_dim))
        self.bias = nn.Parameter(torch.empty(members, 1, out_dim))
        # nn.Linear's default init, per member: U(-1/sqrt(in), 1/sqrt(in)) for weights and biases
        bound = 1.0 / math.sqrt(in_dim)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        """`members`: indices of the members to run (x then has len(members) rows); all by default."""
        weight = self.weight if members is None else self.weight[members]
        bias = self.bias if members is None else self.bias[members]
        if weight.shape[-1] == 1:
            # a single output column (a critic's Q head): MKL's batched matmul takes ~6x longer
            # here than the same dot products written as a multiply and a sum
            return (x * weight.transpose(1, 2)).sum(-1, keepdim=True) + bias
        return torch.baddbmm(bias, x, weight)


class EnsembleLayerNorm(nn.Module):
    """LayerNorm over features with separate affine parameters per member."""

    def __init__(self, members: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(members, 1, dim))
        self.bias = nn.Parameter(torch.zeros(members, 1, dim))
        self.dim = dim

    def forward(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        weight = self.weight if members is None else self.weight[members]
        bias = self.bias if members is None else self.bias[members]
        return F.layer_norm(x, (self.dim,)) * weight + bias


class EnsembleMLP(nn.Module):
    """`members` ReLU MLPs with the same shape; input (batch, in) or (members, batch, in)."""

    def __init__(
        self, members: int, in_dim: int, hidden_sizes: Sequence[int], out_dim: int, layer_norm: bool = False
    ) -> None:
        super().__init__()
        self.members = members
        layers: list[nn.Module] = []
        last = in_dim
        for size in hidden_sizes:
            layers.append(EnsembleLinear(members, last, size))
            if layer_norm:
                layers.append(EnsembleLayerNorm(members, size))
            layers.append(nn.ReLU())
            last = size
        layers.append(EnsembleLinear(members, last, out_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        """Every member's output, or only those at the indices `members` (a random subset, as
        REDQ's and RLPD's targets take), without computing the others."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members if members is None else len(members), -1, -1)
        for layer in self.layers:
            x = layer(x, members) if isinstance(layer, (EnsembleLinear, EnsembleLayerNorm)) else layer(x)
        return x


def flatten_parameters(module: nn.Module, with_grad: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Move `module`'s parameters into one flat buffer; each parameter becomes a view of it.

    Returns (flat parameters, flat gradients or None). With `with_grad`, every parameter's `.grad`
    is set to a view of the gradient buffer, so autograd accumulates into it in place: zero it with
    one `grad.zero_()` before each backward pass instead of `optimizer.zero_grad()`. The parameter
    objects, their names and their values are unchanged.
    """
    params = list(module.parameters())
    flat = torch.cat([p.detach().reshape(-1) for p in params]) if params else torch.zeros(0)
    grad = torch.zeros_like(flat) if with_grad else None
    offset = 0
    for p in params:
        size = p.numel()
        p.data = flat[offset : offset + size].view_as(p)
        if grad is not None:
            p.grad = grad[offset : offset + size].view_as(p)
        offset += size
    return flat, grad


class FlatAdam:
    """Adam on one flat parameter buffer: torch.optim.Adam's update (no weight decay, no amsgrad)
    computed by the same fused kernel that `torch.optim.Adam(fused=True)` calls.

    On small networks torch.optim.Adam spends most of its step in Python (grouping tensors by
    device, per-parameter state); here a step is one kernel call. `state_dict()` has
    torch.optim's layout (one parameter, index 0), so checkpoints store it the same way.
    """

    def __init__(
        self, params: torch.Tensor, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        self.params = params
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.exp_avg = torch.zeros_like(params)
        self.exp_avg_sq = torch.zeros_like(params)
        self.step_count = torch.zeros((), dtype=torch.float32)

    def step(self, grad: torch.Tensor) -> None:
        self.step_count.add_(1)
        torch._fused_adam_(
            [self.params],
            [grad],
            [self.exp_avg],
            [self.exp_avg_sq],
            [],
            [self.step_count],
            lr=self.lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=0.0,
            eps=self.eps,
            amsgrad=False,
            maximize=False,
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            "state": {
                0: {
                    "step": self.step_count.clone(),
                    "exp_avg": self.exp_avg.clone(),
                    "exp_avg_sq": self.exp_avg_sq.clone(),
                }
            },
            "param_groups": [{"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "params": [0]}],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        entry = state["state"][0] if 0 in state["state"] else state["state"]["0"]
        self.step_count.copy_(torch.as_tensor(entry["step"], dtype=torch.float32))
        self.exp_avg.copy_(entry["exp_avg"].reshape(self.exp_avg.shape))
        self.exp_avg_sq.copy_(entry["exp_avg_sq"].reshape(self.exp_avg_sq.shape))
        group = state["param_groups"][0]
        self.lr, self.betas, self.eps = (
            float(group["lr"]),
            (float(group["betas"][0]), float(group["betas"][1])),
            float(group["eps"]),
        )
