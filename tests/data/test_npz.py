from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import mimetic
from mimetic.data import Dataset, DatasetError


def test_round_trip_is_bitwise(tmp_path: Path, array_dataset: Dataset, dict_dataset: Dataset) -> None:
    for name, ds in (("a.npz", array_dataset), ("d.npz", dict_dataset)):
        mimetic.save(ds, tmp_path / name)
        back = mimetic.load(tmp_path / name)
        assert back.equals(ds)
        assert back.path == tmp_path / name


def test_plain_numpy_can_read_it(tmp_path: Path, array_dataset: Dataset) -> None:
    mimetic.save(array_dataset, tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz", allow_pickle=False) as data:
        assert data["acts"].shape == (18,)
        assert data["obs"].shape == (21, 4)
        np.testing.assert_array_equal(data["episode_lengths"], [5, 6, 7])


def test_truncated_file(tmp_path: Path, array_dataset: Dataset) -> None:
    path = tmp_path / "a.npz"
    mimetic.save(array_dataset, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DatasetError, match=r"a\.npz: corrupt or truncated"):
        mimetic.load(path)


def test_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, obs=np.zeros((3, 2)), acts=np.zeros(2))
    with pytest.raises(
        DatasetError, match=r"bad\.npz, field 'episode_lengths, terminated, truncated, metadata'"
    ):
        mimetic.load(path)


def test_lengths_that_do_not_add_up_name_the_column(tmp_path: Path, array_dataset: Dataset) -> None:
    path = tmp_path / "a.npz"
    mimetic.save(array_dataset, path)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["episode_lengths"] = np.array([5, 6, 8])  # 19 steps claimed, 18 stored
    np.savez(path, **arrays)
    with pytest.raises(DatasetError, match=r"a\.npz, field 'acts'.*expected 19 rows, found 18 rows"):
        mimetic.load(path)
