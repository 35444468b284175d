from __future__ import annotations

import pytest

from mimetic.data import Dataset, DatasetError
from tests.builders import make_array_dataset


def test_split_is_seeded_disjoint_and_complete() -> None:
    ds = make_array_dataset(episodes=10)
    parts = ds.split({"train": 0.8, "valid": 0.2}, seed=3)
    assert [len(parts["train"]), len(parts["valid"])] == [8, 2]
    masks = ds.split_masks({"train": 0.8, "valid": 0.2}, seed=3)
    assert sorted(masks["train"] + masks["valid"]) == list(range(10))
    assert masks == ds.split_masks({"train": 0.8, "valid": 0.2}, seed=3)
    assert masks != ds.split_masks({"train": 0.8, "valid": 0.2}, seed=4)
    assert parts["valid"][0].equals(ds[masks["valid"][0]])


def test_split_rejects_bad_fractions() -> None:
    with pytest.raises(DatasetError, match="add up to 1"):
        make_array_dataset().split({"train": 0.5, "valid": 0.2})


def test_masks_select_episodes() -> None:
    ds = make_array_dataset()
    assert len(ds.mask("train")) == 2
    assert ds.mask("valid")[0].equals(ds[2])
    with pytest.raises(DatasetError, match="no such mask"):
        ds.mask("test")
    with pytest.raises(DatasetError, match="masks/bad"):
        ds.with_masks({"bad": [7]})


def test_summary_hand_computed() -> None:
    ds = make_array_dataset(episodes=3)  # lengths 5, 6, 7 with reward 1 per step
    s = ds.summary()
    assert (s["episodes"], s["steps"]) == (3, 18)
    assert s["return_mean"] == pytest.approx(6.0)
    assert s["return_min"] == 5.0 and s["return_max"] == 7.0
    assert s["return_std"] == pytest.approx((2 / 3) ** 0.5)


def test_transitions_count() -> None:
    ds = make_array_dataset(episodes=3)
    assert len(ds.transitions()) == 18
    assert len(Dataset(ds.episodes[:1])) == 1
