"""One error type for bad data, and one record for a validation problem.

Both name the file, the episode and the field, and say what was expected and what
was found, so a user can fix the data without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, as a validator reports it."""

    message: str
    file: str | None = None
    episode: int | None = None
    field: str | None = None
    expected: str | None = None
    found: str | None = None

    def __str__(self) -> str:
        return format_problem(self.message, self.file, self.episode, self.field, self.expected, self.found)


def format_problem(
    message: str,
    file: str | None,
    episode: int | None,
    field: str | None,
    expected: str | None,
    found: str | None,
) -> str:
    """Format the one-line message shared by `Problem` and `DatasetError`."""
    where = []
    if file is not None:
        where.append(str(file))
    if episode is not None:
        where.append(f"episode {episode}")
    if field is not None:
        where.append(f"field '{field}'")
    text = ", ".join(where)
    text = f"{text}: {message}" if text else message
    if expected is not None or found is not None:
        text += f" (expected {expected}, found {found})"
    return text


class DatasetError(Exception):
    """Raised by loaders, savers and `Trajectory` when data is malformed."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        episode: int | None = None,
        field: str | None = None,
        expected: object = None,
        found: object = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.episode = episode
        self.field = field
        self.expected = None if expected is None else str(expected)
        self.found = None if found is None else str(found)
        super().__init__(str(self))

    def __str__(self) -> str:
        return format_problem(self.message, self.file, self.episode, self.field, self.expected, self.found)

    def located(self, *, file: str | Path | None = None, episode: int | None = None) -> DatasetError:
        """Return a copy that also names the file and episode, keeping what is already set."""
        return DatasetError(
            self.message,
            file=self.file if self.file is not None else file,
            episode=self.episode if self.episode is not None else episode,
            field=self.field,
            expected=self.expected,
            found=self.found,
        )

    def as_problem(self) -> Problem:
        return Problem(self.message, self.file, self.episode, self.field, self.expected, self.found)


@contextmanager
def located(file: str | Path | None = None, episode: int | None = None) -> Iterator[None]:
    """Re-raise a `DatasetError` from the body with the file and episode filled in.

    Loaders wrap each episode in this, so errors raised deep inside (by `Trajectory`'s
    own checks, say) still tell the user where the bad data is.
    """
    try:
        yield
    except DatasetError as err:
        raise err.located(file=file, episode=episode) from None


def check_format_version(meta: dict[str, Any], file: str | Path, expected: int, what: str) -> None:
    """Raise a `DatasetError` naming `file` unless its JSON `meta` has `format_version` == `expected`."""
    if meta.get("format_version") != expected:
        raise DatasetError(
            f"unsupported {what} format",
            file=file,
            field="format_version",
            expected=expected,
            found=meta.get("format_version"),
        )
