"""`Dataset`: episodes plus what is known about where they came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from mimetic.data.errors import DatasetError
from mimetic.data.spaces import spaces_equal
from mimetic.data.trajectory import Trajectory, Transitions


@dataclass(frozen=True)
class DatasetMetadata:
    """What a dataset says about itself. Every format stores all of it.

    Attributes:
        observation_space / action_space: the env's spaces, or None when unknown.
        env_id: the gymnasium id the data was recorded in (e.g. "CartPole-v1").
        env_spec: the env's spec as JSON text (gymnasium's `EnvSpec.to_json()`), when known.
        dataset_id: a Minari-style id, "namespace/name-vN".
        source: who or what produced the demonstrations ("scripted:CartPole-v1", "zoo:...", a person).
        license: the data's license, carried through conversions.
        masks: named episode subsets (robomimic's `mask/<split>`), as episode indices.
        extra: anything else, JSON-serializable.
    """

    observation_space: spaces.Space[Any] | None = None
    action_space: spaces.Space[Any] | None = None
    env_id: str | None = None
    env_spec: str | None = None
    dataset_id: str | None = None
    source: str | None = None
    license: str | None = None
    masks: Mapping[str, Sequence[int]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def equals(self, other: DatasetMetadata) -> bool:
        return (
            spaces_equal(self.observation_space, other.observation_space)
            and spaces_equal(self.action_space, other.action_space)
            and self.env_id == other.env_id
            and self.env_spec == other.env_spec
            and self.dataset_id == other.dataset_id
            and self.source == other.source
            and self.license == other.license
            and {k: list(v) for k, v in self.masks.items()} == {k: list(v) for k, v in other.masks.items()}
            and dict(self.extra) == dict(other.extra)
        )


@dataclass(frozen=True, eq=False)
class Dataset:
    """A list of episodes and their metadata. `path` is the file it was loaded from, for messages."""

    episodes: Sequence[Trajectory]
    metadata: DatasetMetadata = field(default_factory=DatasetMetadata)
    path: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "episodes", tuple(self.episodes))
        for name, indices in self.metadata.masks.items():
            bad = [i for i in indices if not 0 <= int(i) < len(self.episodes)]
            if bad:
                raise DatasetError(
                    f"mask '{name}' names episodes that do not exist",
                    file=self.path,
                    field=f"masks/{name}",
                    expected=f"indices in [0, {len(self.episodes)})",
                    found=bad[:5],
                )

    def __len__(self) -> int:
        return len(self.episodes)

    def __iter__(self) -> Iterator[Trajectory]:
        return iter(self.episodes)

    def __getitem__(self, index: int) -> Trajectory:
        return self.episodes[index]

    @property
    def num_steps(self) -> int:
        return sum(len(t) for t in self.episodes)

    def returns(self) -> np.ndarray:
        return np.array([t.ret for t in self.episodes], dtype=np.float64)

    def transitions(self) -> Transitions:
        return Transitions.from_trajectories(self.episodes)

    def equals(self, other: Dataset) -> bool:
        """Bitwise equality of every episode and of the metadata."""
        return (
            len(self) == len(other)
            and self.metadata.equals(other.metadata)
            and all(a.equals(b) for a, b in zip(self.episodes, other.episodes, strict=True))
        )

    def select(self, indices: Sequence[int]) -> Dataset:
        """The episodes at `indices`, in that order; masks are dropped (their indices would shift)."""
        episodes = [self.episodes[int(i)] for i in indices]
        return Dataset(episodes, replace(self.metadata, masks={}), self.path)

    def split(self, fractions: Mapping[str, float], seed: int = 0) -> dict[str, Dataset]:
        """Split by episode into named parts, e.g. `ds.split({"train": 0.9, "valid": 0.1}, seed=0)`.

        Episodes are shuffled with `seed`; part sizes are the fractions rounded so that they add
        up to the number of episodes, and the last part takes the remainder.
        """
        masks = self.split_masks(fractions, seed)
        return {name: self.select(idx) for name, idx in masks.items()}

    def split_masks(self, fractions: Mapping[str, float], seed: int = 0) -> dict[str, list[int]]:
        """The episode indices of each part of `split`, sorted (robomimic keeps masks like this)."""
        if not fractions:
            raise DatasetError("split needs at least one named part", field="fractions")
        values = np.array(list(fractions.values()), dtype=np.float64)
        if np.any(values < 0) or not np.isclose(values.sum(), 1.0):
            raise DatasetError(
                "split fractions must be non-negative and add up to 1",
                field="fractions",
                expected="sum 1.0",
                found=dict(fractions),
            )
        order = np.random.default_rng(seed).permutation(len(self.episodes))
        bounds = np.round(np.cumsum(values) * len(self.episodes)).astype(int)
        bounds[-1] = len(self.episodes)
        parts, start = {}, 0
        for name, stop in zip(fractions, bounds, strict=True):
            parts[name] = sorted(int(i) for i in order[start:stop])
            start = stop
        return parts

    def with_masks(self, masks: Mapping[str, Sequence[int]]) -> Dataset:
        """The same episodes with named masks attached (saved as robomimic `mask/<name>`)."""
        return Dataset(
            self.episodes, replace(self.metadata, masks={k: list(v) for k, v in masks.items()}), self.path
        )

    def mask(self, name: str) -> Dataset:
        """The episodes in the named mask (e.g. robomimic's "train" / "valid")."""
        if name not in self.metadata.masks:
            raise DatasetError(
                "no such mask",
                file=self.path,
                field="masks",
                expected=sorted(self.metadata.masks) or "a dataset with masks",
                found=name,
            )
        return self.select(self.metadata.masks[name])

    def summary(self) -> dict[str, Any]:
        """Numbers for `mimetic data info` and the demo: episodes, steps, return statistics."""
        rets = self.returns()
        lengths = np.array([len(t) for t in self.episodes])
        out: dict[str, Any] = {
            "episodes": len(self),
            "steps": int(lengths.sum()) if len(lengths) else 0,
            "episode_length_mean": float(lengths.mean()) if len(lengths) else 0.0,
            "env_id": self.metadata.env_id,
            "dataset_id": self.metadata.dataset_id,
            "source": self.metadata.source,
            "observation_space": str(self.metadata.observation_space),
            "action_space": str(self.metadata.action_space),
            "masks": {k: len(v) for k, v in self.metadata.masks.items()},
        }
        if len(rets) and not np.isnan(rets).any():
            out.update(
                return_mean=float(rets.mean()),
                return_std=float(rets.std()),
                return_min=float(rets.min()),
                return_max=float(rets.max()),
            )
        return out
