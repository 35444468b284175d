"""Behaviour-diversity metrics (Jia et al. 2024, "Towards Diverse Behaviors: A Benchmark for
Imitation Learning with Human Demonstrations", D3IL).

Each successful rollout carries a discrete behaviour label beta in B (for `mimetic/Avoiding-v0`,
the gap taken in each row of obstacles). Entropies use log base |B|, so they lie in [0, 1]:
1 when every behaviour is equally frequent, 0 when the policy always does the same thing.
Failed rollouts carry no behaviour and are left out, as in D3IL.
"""

from __future__ import annotations

import numpy as np


def mode_distribution(modes: np.ndarray, success: np.ndarray, num_modes: int) -> np.ndarray:
    """Empirical p(beta) over successful rollouts; all zeros when none succeeded."""
    modes, success = np.asarray(modes).ravel(), np.asarray(success, dtype=bool).ravel()
    labels = modes[success]
    if labels.size and (labels.min() < 0 or labels.max() >= num_modes):
        raise ValueError(f"successful rollouts need mode labels in [0, {num_modes}), got {np.unique(labels)}")
    counts = np.bincount(labels.astype(np.int64), minlength=num_modes).astype(np.float64)
    return counts / counts.sum() if counts.sum() > 0 else counts


def _entropy(p: np.ndarray, num_modes: int) -> float:
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / np.log(num_modes))


def behavior_entropy(modes: np.ndarray, success: np.ndarray, num_modes: int) -> float:
    """H(beta) = -sum_beta p(beta) log_|B| p(beta) over successful rollouts (0 when none succeed)."""
    return _entropy(mode_distribution(modes, success, num_modes), num_modes)


def conditional_behavior_entropy(modes: np.ndarray, success: np.ndarray, num_modes: int) -> float:
    """H(beta | c) ~ (1/|C|) sum_c H(p(beta | c)), for arrays of shape (contexts, rollouts per context).

    Contexts with no success are dropped before averaging (D3IL's Sorting task does the same);
    with none left the result is 0.
    """
    modes, success = np.asarray(modes), np.asarray(success, dtype=bool)
    if modes.ndim != 2 or modes.shape != success.shape:
        raise ValueError(
            f"need (contexts, rollouts) arrays of one shape, got {modes.shape} and {success.shape}"
        )
    values = [
        behavior_entropy(modes[c], success[c], num_modes) for c in range(modes.shape[0]) if success[c].any()
    ]
    return float(np.mean(values)) if values else 0.0


def kl_to_data(
    modes: np.ndarray, success: np.ndarray, data_modes: np.ndarray, num_modes: int, eps: float = 1e-6
) -> float:
    """KL(p_policy || p_data) = sum p log_|B| (p / p_data) = -H - sum p log_|B| p_data.

    `data_modes` are the demonstrations' labels (all successful). A behaviour the data never shows
    gets probability `eps` so that the divergence stays finite but large.
    """
    p = mode_distribution(modes, success, num_modes)
    q = mode_distribution(data_modes, np.ones(np.asarray(data_modes).size, dtype=bool), num_modes)
    q = np.maximum(q, eps)
    q = q / q.sum()
    nz = p > 0
    return float((p[nz] * np.log(p[nz] / q[nz])).sum() / np.log(num_modes))
