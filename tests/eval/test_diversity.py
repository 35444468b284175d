from __future__ import annotations

import math

import numpy as np
import pytest

from mimetic.eval.diversity import (
    behavior_entropy,
    conditional_behavior_entropy,
    kl_to_data,
    mode_distribution,
)


def test_entropy_is_one_for_uniform_and_zero_for_one_mode() -> None:
    ok = np.ones(8, dtype=bool)
    assert behavior_entropy(np.arange(8) % 4, ok, 4) == pytest.approx(1.0)
    assert behavior_entropy(np.full(8, 2), ok, 4) == 0.0


def test_entropy_hand_computed_and_failures_ignored() -> None:
    modes = np.array([0, 0, 0, 1, 3, 3])
    success = np.array([True, True, True, True, False, False])  # the two mode-3 rollouts failed
    # p = (3/4, 1/4, 0, 0) over |B| = 4: H = -(0.75 ln 0.75 + 0.25 ln 0.25) / ln 4
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25)) / math.log(4)
    assert behavior_entropy(modes, success, 4) == pytest.approx(expected)
    np.testing.assert_allclose(mode_distribution(modes, success, 4), [0.75, 0.25, 0, 0])


def test_conditional_entropy_averages_over_contexts_with_successes() -> None:
    modes = np.array([[0, 1], [2, 2], [0, 3]])
    success = np.array([[True, True], [True, True], [False, False]])
    # context 0: two modes equally -> ln2/ln4 = 0.5; context 1: one mode -> 0; context 2 dropped
    assert conditional_behavior_entropy(modes, success, 4) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="contexts, rollouts"):
        conditional_behavior_entropy(modes[0], success[0], 4)


def test_kl_to_data() -> None:
    data = np.array([0, 1, 0, 1])
    ok = np.ones(4, dtype=bool)
    assert kl_to_data(np.array([1, 0, 1, 0]), ok, data, 2) == pytest.approx(0.0, abs=1e-12)
    # always mode 0 against a 50/50 data split: KL = log2(1 / 0.5) = 1 in base |B| = 2
    assert kl_to_data(np.zeros(4, dtype=int), ok, data, 2) == pytest.approx(1.0)


def test_bad_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"mode labels in \[0, 4\)"):
        behavior_entropy(np.array([5]), np.array([True]), 4)
