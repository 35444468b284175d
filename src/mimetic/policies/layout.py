"""Flatten observations (arrays or dicts of arrays) into one float vector per row, in a fixed order.

Dict leaves are concatenated in sorted path order, so the same observation always gives the same
vector whatever order the dict was built in, and the order is saved with the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mimetic.data.errors import DatasetError
from mimetic.data.tree import tree_leaves


@dataclass(frozen=True)
class ObsLayout:
    """The leaves of an observation: `(path, shape)` per leaf, without the batch axis; path "" is a plain array."""

    leaves: tuple[tuple[str, tuple[int, ...]], ...]

    @classmethod
    def of(cls, batch: Any) -> ObsLayout:
        """The layout of a batched observation (every leaf has a leading batch or time axis)."""
        leaves = sorted(
            (path, tuple(int(s) for s in np.shape(leaf)[1:])) for path, leaf in tree_leaves(batch)
        )
        return cls(tuple(leaves))

    @property
    def dim(self) -> int:
        return int(sum(np.prod(shape, dtype=np.int64) for _, shape in self.leaves))

    def flatten(self, batch: Any) -> np.ndarray:
        """(B, dim) float32, a new writable array, from a batched observation with this layout."""
        found = dict(tree_leaves(batch))
        parts = []
        for path, shape in self.leaves:
            if path not in found:
                raise DatasetError(
                    "observation is missing a key",
                    field=f"obs/{path}",
                    expected=self.paths(),
                    found=sorted(found),
                )
            leaf = np.asarray(found[path])
            if tuple(leaf.shape[1:]) != shape:
                raise DatasetError(
                    "observation has the wrong shape",
                    field=f"obs/{path}" if path else "obs",
                    expected=shape,
                    found=leaf.shape[1:],
                )
            parts.append(leaf.reshape(leaf.shape[0], -1).astype(np.float32, copy=False))
        # Always a fresh array: inputs are often read-only views of a Trajectory, and torch wants writable memory.
        return np.array(parts[0]) if len(parts) == 1 else np.concatenate(parts, axis=1)

    def paths(self) -> list[str]:
        return [path for path, _ in self.leaves]

    def to_json(self) -> list[list[Any]]:
        return [[path, list(shape)] for path, shape in self.leaves]

    @classmethod
    def from_json(cls, data: list[list[Any]]) -> ObsLayout:
        return cls(tuple((str(path), tuple(int(s) for s in shape)) for path, shape in data))
