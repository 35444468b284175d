"""Affine normalization whose statistics are buffers, so they save and load with the weights."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

# A feature whose spread is below this is constant in the data; dividing by its std would blow
# up any test-time deviation, so it is only centred (scale 1), as robomimic's normalization does.
MIN_SCALE = 1e-6


class Normalizer(nn.Module):
    """`normalize(x) = (x - loc) / scale`, `denormalize(z) = z * scale + loc`, per feature."""

    loc: torch.Tensor
    scale: torch.Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("loc", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    @torch.no_grad()
    def set(self, loc: np.ndarray, scale: np.ndarray) -> None:
        scale = np.where(np.abs(scale) < MIN_SCALE, 1.0, scale)
        self.loc.copy_(torch.as_tensor(loc, dtype=torch.float32))
        self.scale.copy_(torch.as_tensor(scale, dtype=torch.float32))

    @torch.no_grad()
    def fit(self, data: np.ndarray, min_scale: float = 0.0) -> None:
        """Standardize: mean and (population) standard deviation of `data` over its rows, the
        standard deviation raised to at least `min_scale`."""
        data = np.asarray(data, dtype=np.float64).reshape(len(data), -1)
        self.set(data.mean(axis=0), np.maximum(data.std(axis=0), min_scale))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.loc) / self.scale

    def denormalize(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.scale + self.loc
