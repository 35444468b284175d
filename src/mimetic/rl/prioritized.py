"""Proportional prioritized sampling (Schaul et al. 2016, "Prioritized Experience Replay").

Item i (a transition, or a whole sequence) is drawn with probability P(i) = p_i^alpha / sum_k p_k^alpha,
and its loss is weighted by w_i = (1 / (N * P(i)))^beta, divided by the largest weight in the buffer
so that weights only ever scale updates down (Schaul et al. 2016, Section 3.4). DDPGfD (Vecerik et al.
2017) sets p_i = delta_i^2 + lambda3 * |grad_a Q|^2 + eps + eps_D; the caller computes p_i and passes
it to `update`, this class only keeps and samples them.

Buffers here hold thousands of items, so a plain array and one cumulative sum per draw is fast enough
and simpler than a sum tree.
"""

from __future__ import annotations

import numpy as np


class PrioritizedSampler:
    """Priorities of up to `capacity` items; `sample` returns indices and importance weights."""

    def __init__(self, capacity: int, alpha: float = 0.6, beta: float = 0.4) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        if alpha < 0 or beta < 0:
            raise ValueError(f"alpha and beta must be >= 0, got alpha={alpha}, beta={beta}")
        self.alpha = alpha
        self.beta = beta
        self.priorities = np.zeros(capacity, dtype=np.float64)
        self.max_priority = 1.0  # new items get the largest priority seen, so each is replayed soon

    def set(self, index: int | np.ndarray, priority: float | np.ndarray | None = None) -> None:
        """Give items a priority (default: the largest seen so far)."""
        value = self.max_priority if priority is None else priority
        self.priorities[index] = value

    def update(self, indices: np.ndarray, priorities: np.ndarray) -> None:
        priorities = np.asarray(priorities, dtype=np.float64)
        if np.any(priorities <= 0) or not np.all(np.isfinite(priorities)):
            raise ValueError("priorities must be finite and > 0")
        self.priorities[indices] = priorities
        self.max_priority = max(self.max_priority, float(priorities.max()))

    def probabilities(self, size: int) -> np.ndarray:
        """P(i) over the first `size` items."""
        scaled = self.priorities[:size] ** self.alpha
        return scaled / scaled.sum()

    def weights(self, indices: np.ndarray, size: int) -> np.ndarray:
        """(1 / (N P(i)))^beta for `indices`, divided by the largest weight among the `size` items."""
        probs = self.probabilities(size)
        raw = (size * probs[indices]) ** -self.beta
        return raw / (size * probs.min()) ** -self.beta

    def sample(self, batch_size: int, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw `batch_size` indices among the first `size` items (with replacement) and their weights."""
        if size < 1:
            raise ValueError("cannot sample from an empty buffer")
        cumulative = np.cumsum(self.probabilities(size))
        indices = np.searchsorted(cumulative, rng.random(batch_size) * cumulative[-1], side="right")
        indices = np.minimum(indices, size - 1)
        return indices, self.weights(indices, size)
