"""Generalized advantage estimation (Schulman et al. 2016, "High-Dimensional Continuous Control
Using Generalized Advantage Estimation", eq. 16), with time limits handled correctly.

Truncation and termination differ: at a terminal state the future is worth 0, while at a
time-limit cut it is still worth V(s'). So the TD error bootstraps from the value of the true
next observation (the final observation, not the reset one) unless the step terminated, and the
advantage recursion stops at any episode end (terminated or truncated).
"""

from __future__ import annotations

import numpy as np


def compute_gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    terminated: np.ndarray,
    episode_end: np.ndarray,
    gamma: float,
    lam: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Advantages and returns for a (T, N) rollout of N parallel envs.

    Args:
        rewards: r_t, shape (T, N).
        values: V(s_t), shape (T, N).
        next_values: V(s'_t) of the true next observation of each step, shape (T, N).
        terminated: s'_t is terminal (no bootstrap), shape (T, N).
        episode_end: the episode ended at step t (terminated or truncated), shape (T, N).
        gamma: discount; lam: the GAE lambda.

    Returns:
        (advantages, returns) with returns = advantages + values, the value-function targets.
    """
    steps = rewards.shape[0]
    not_terminal = 1.0 - terminated.astype(np.float64)
    not_end = 1.0 - episode_end.astype(np.float64)
    deltas = rewards + gamma * next_values * not_terminal - values
    advantages = np.zeros_like(deltas, dtype=np.float64)
    running = np.zeros(deltas.shape[1:], dtype=np.float64)
    for t in range(steps - 1, -1, -1):
        running = deltas[t] + gamma * lam * not_end[t] * running
        advantages[t] = running
    return advantages, advantages + values
