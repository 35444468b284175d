from __future__ import annotations

import numpy as np

from mimetic.rl.gae import compute_gae


def test_gae_hand_computed_with_termination_and_truncation() -> None:
    # one env, 4 steps: episode A = steps 0-1 (terminated at 1), episode B = steps 2-3 (truncated at 3)
    r = np.array([[1.0], [2.0], [3.0], [4.0]])
    v = np.array([[0.5], [1.0], [1.5], [2.0]])
    v_next = np.array([[1.0], [9.0], [2.0], [10.0]])  # 9.0 must be ignored (terminal), 10.0 used (cut)
    term = np.array([[0], [1], [0], [0]], dtype=bool)
    end = np.array([[0], [1], [0], [1]], dtype=bool)
    gamma, lam = 0.9, 0.5
    adv, ret = compute_gae(r, v, v_next, term, end, gamma, lam)
    d3 = 4.0 + 0.9 * 10.0 - 2.0  # 11.0
    d2 = 3.0 + 0.9 * 2.0 - 1.5  # 3.3
    d1 = 2.0 - 1.0  # 1.0, no bootstrap past the terminal state
    d0 = 1.0 + 0.9 * 1.0 - 0.5  # 1.4
    expected = [d0 + 0.45 * d1, d1, d2 + 0.45 * d3, d3]
    np.testing.assert_allclose(adv[:, 0], expected)
    np.testing.assert_allclose(ret, adv + v)


def test_lambda_one_gives_discounted_monte_carlo_returns() -> None:
    r = np.ones((3, 2))
    v = np.zeros((3, 2))
    term = np.zeros((3, 2), dtype=bool)
    term[2] = True
    adv, _ = compute_gae(r, v, np.zeros((3, 2)), term, term, gamma=0.5, lam=1.0)
    np.testing.assert_allclose(adv[:, 0], [1.75, 1.5, 1.0])
    np.testing.assert_allclose(adv[:, 1], adv[:, 0])
