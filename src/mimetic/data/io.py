"""`load` and `save`: format detection and atomic writes, shared by every format."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.data.formats import Format, all_formats, get_format


def detect_format(path: str | Path) -> Format:
    """The format of the data at `path`, or a `DatasetError` listing what was tried."""
    p = Path(path)
    if not p.exists():
        raise DatasetError("no such file or directory", file=p)
    for fmt in all_formats().values():
        try:
            if fmt.detect(p):
                return fmt
        except OSError:
            continue
    raise DatasetError(
        "cannot tell the dataset format",
        file=p,
        expected="a Minari dataset dir, robomimic .hdf5, LeRobot v3 dir or .npz",
        found="none of these",
    )


def resolve_path(path: str | Path) -> Path:
    """Accept a path, or a Minari dataset id ("namespace/name-v0") under `MINARI_DATASETS_PATH`."""
    p = Path(path)
    if p.exists():
        return p
    root = Path(os.environ.get("MINARI_DATASETS_PATH", Path.home() / ".minari" / "datasets"))
    candidate = root / str(path)
    if candidate.exists():
        return candidate
    return p


def load(path: str | Path, format: str | None = None) -> Dataset:
    """Load a dataset, detecting its format unless `format` is given."""
    p = resolve_path(path)
    fmt = get_format(format) if format else detect_format(p)
    if not p.exists():
        raise DatasetError("no such file or directory", file=p)
    return fmt.read(p)


def save(ds: Dataset, path: str | Path, format: str | None = None, *, overwrite: bool = False) -> Path:
    """Write `ds` to `path` atomically: the data appears whole at `path`, or not at all.

    The format is `format`, or guessed from the suffix (.npz, .hdf5/.h5 for robomimic), else Minari.
    An existing `path` is replaced only with `overwrite=True`, and only after the new data is
    complete, so a failed write never destroys what was there.
    """
    p = Path(path)
    fmt = get_format(format or _format_from_suffix(p))
    if p.exists() and not overwrite:
        raise DatasetError("refusing to overwrite existing data (pass overwrite=True)", file=p)
    if len(ds) == 0:
        raise DatasetError("cannot save an empty dataset", file=p, field="episodes", expected=">= 1", found=0)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        fmt.write(ds, tmp)
        replace_path(tmp, p)
    except BaseException:
        _remove(tmp)
        raise
    return p


def _format_from_suffix(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix == ".npz":
        return "npz"
    if suffix in (".hdf5", ".h5"):
        return "robomimic"
    return "minari"


def replace_path(tmp: Path, dst: Path) -> None:
    """Move `tmp` (a file or folder) to `dst`; an existing `dst` is moved aside first and removed only
    after success, so one of them is always whole."""
    if not dst.exists():
        os.replace(tmp, dst)
        return
    if tmp.is_file() and dst.is_file():
        os.replace(tmp, dst)  # atomic for files on one filesystem
        return
    aside = dst.with_name(f".{dst.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(dst, aside)
    try:
        os.replace(tmp, dst)
    except BaseException:
        os.replace(aside, dst)
        raise
    _remove(aside)


def _remove(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists():
        p.unlink()
