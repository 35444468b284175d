"""An ensemble of MLPs evaluated as one batched network.

Clipped double-Q (two critics) and RLPD's critic ensembles run every member on the same batch.
Stacking the members' weights and using one batched matmul per layer (`torch.baddbmm`) does the
same arithmetic as separate networks with a fraction of the kernel launches, which is what
bounds small-network updates on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class EnsembleLayerNorm(nn.Module):
    """LayerNorm over features with separate affine parameters per member."""

    def __init__(self, members: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(members, 1, dim))
        self.bias = nn.Parameter(torch.zeros(members, 1, dim))
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (self.dim,)) * self.weight + self.bias


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        return self.layers(x)
