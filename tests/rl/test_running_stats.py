from __future__ import annotations

import numpy as np

from mimetic.rl.running_stats import RunningMeanStd


def test_matches_full_data_statistics() -> None:
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(1000, 2))
    rms = RunningMeanStd((2,))
    for chunk in np.array_split(data, 7):
        rms.update(chunk)
    np.testing.assert_allclose(rms.mean, data.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(rms.var, data.var(axis=0), rtol=1e-5)


def test_hand_computed_two_batches() -> None:
    rms = RunningMeanStd()
    rms.count = 0.0  # drop the prior to compare with exact values
    rms.mean, rms.var = np.zeros(()), np.zeros(())
    rms.update(np.array([1.0, 3.0]))
    rms.update(np.array([5.0]))
    assert rms.mean == 3.0
    np.testing.assert_allclose(rms.var, 8.0 / 3.0)  # values 1, 3, 5
