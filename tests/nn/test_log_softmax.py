from __future__ import annotations

import math

import numpy as np

from mimetic.nn.heads import log_softmax_np


def test_log_softmax_matches_hand_computed_rows() -> None:
    got = log_softmax_np(np.array([[0.0, math.log(3.0)], [1000.0, 1000.0]], dtype=np.float32))
    # row 1: probabilities 1/4 and 3/4; row 2: huge equal logits stay finite, 1/2 each
    np.testing.assert_allclose(got, np.log([[0.25, 0.75], [0.5, 0.5]]), rtol=1e-6, atol=1e-6)
    assert got.dtype == np.float64
