"""Dataset formats. Each module provides one `Format`: how to recognise, read and write it.

A format's `write` writes to exactly the path it is given; `mimetic.data.io.save` hands it a
temporary path and renames it into place, so atomicity lives in one place, not in every format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError


@dataclass(frozen=True)
class Format:
    """A dataset format.

    Attributes:
        name: the name users pass as `format=` and `--format`.
        detect: True when `path` holds data of this format (cheap: looks at names and headers only).
        read: load the whole dataset; raises `DatasetError` naming file, episode and field.
        write: write `ds` to `path`, which does not exist yet (a file or a directory, as the format needs).
        is_dir: whether the format is a directory (Minari, LeRobot) rather than a single file.
    """

    name: str
    detect: Callable[[Path], bool]
    read: Callable[[Path], Dataset]
    write: Callable[[Dataset, Path], None]
    is_dir: bool


_FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    _FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str) -> Format:
    _load_builtin()
    if name not in _FORMATS:
        raise DatasetError("unknown dataset format", field="format", expected=sorted(_FORMATS), found=name)
    return _FORMATS[name]


def all_formats() -> dict[str, Format]:
    _load_builtin()
    return dict(_FORMATS)


def _load_builtin() -> None:
    # Imported lazily so `import mimetic` stays fast and a broken optional reader cannot break the rest.
    from mimetic.data.formats import lerobot, minari, npz, robomimic  # noqa: F401
