from __future__ import annotations

from pathlib import Path

import pytest

import mimetic
from mimetic.data import Dataset, DatasetError, formats
from mimetic.data.formats import Format
from mimetic.data.io import detect_format


def test_refuses_to_overwrite_without_flag(tmp_path: Path, array_dataset: Dataset) -> None:
    path = tmp_path / "a.npz"
    mimetic.save(array_dataset, path)
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        mimetic.save(array_dataset, path)
    mimetic.save(array_dataset.select([0]), path, overwrite=True)
    assert len(mimetic.load(path)) == 1


def test_failed_write_leaves_old_data_and_no_temp_files(
    tmp_path: Path, array_dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.npz"
    mimetic.save(array_dataset, path)
    before = path.read_bytes()

    def explode(ds: Dataset, p: Path) -> None:
        p.write_bytes(b"half written")
        raise RuntimeError("disk full")

    formats.all_formats()  # load the built-in formats first, so the patch is undone cleanly
    fmt = Format(
        name="exploding", detect=lambda p: False, read=lambda p: Dataset([]), write=explode, is_dir=False
    )
    monkeypatch.setitem(formats._FORMATS, "exploding", fmt)
    with pytest.raises(RuntimeError, match="disk full"):
        mimetic.save(array_dataset, path, format="exploding", overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]


def test_empty_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="empty dataset"):
        mimetic.save(Dataset([]), tmp_path / "e.npz")
    assert not (tmp_path / "e.npz").exists()


def test_unknown_format_lists_choices(tmp_path: Path, array_dataset: Dataset) -> None:
    with pytest.raises(DatasetError, match="unknown dataset format.*lerobot.*minari.*npz.*robomimic"):
        mimetic.save(array_dataset, tmp_path / "x", format="parquet-ish")


def test_detection_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        mimetic.load(tmp_path / "missing.npz")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DatasetError, match="cannot tell the dataset format"):
        detect_format(tmp_path / "notes.txt")
