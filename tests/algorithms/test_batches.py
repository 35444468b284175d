"""Sequence windows: start anywhere in an episode, padded past its end and masked out."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from mimetic.algorithms.batches import SequenceBatches, TransitionBatches, infer_action_space
from mimetic.data import Dataset, Trajectory
from mimetic.policies import ObsLayout


def _dataset() -> Dataset:
    # two episodes of 3 and 2 steps; obs = step index + 10 * episode, action = the same number
    eps = []
    for e, steps in enumerate((3, 2)):
        values = np.arange(steps + 1, dtype=np.float32) + 10 * e
        eps.append(Trajectory(obs=values[:, None], acts=values[:steps].astype(np.int64)))
    return Dataset(eps)


def test_windows_are_padded_with_the_last_step_and_masked() -> None:
    ds = _dataset()
    batches = SequenceBatches(ds, ObsLayout.of(ds.episodes[0].obs), discrete=True, seq_len=3)
    assert len(batches) == 5  # one window per step
    every = batches.all()
    assert every["obs"][:, :, 0].tolist() == [[0, 1, 2], [1, 2, 2], [2, 2, 2], [10, 11, 11], [11, 11, 11]]
    assert every["mask"].tolist() == [[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 0], [1, 0, 0]]
    sample = batches.sample(np.random.default_rng(0), 4)
    assert sample["obs"].shape == (4, 3, 1) and sample["acts"].shape == (4, 3)


def test_transitions_exclude_the_final_observation() -> None:
    ds = _dataset()
    batches = TransitionBatches(ds, ObsLayout.of(ds.episodes[0].obs), discrete=True)
    assert batches.all()["obs"][:, 0].tolist() == [0, 1, 2, 10, 11]


def test_action_space_is_inferred_when_the_dataset_has_none() -> None:
    assert infer_action_space(_dataset()) == spaces.Discrete(12)
