"""Replay buffers for off-policy learners, and fixed-ratio mixing of two sources.

RLPD (Ball et al. 2023, "Efficient Online Reinforcement Learning with Offline Data") samples each
minibatch half from the demonstrations and half from online experience ("symmetric sampling");
SQIL (Reddy et al. 2019) and RLIF use the same 50/50 split. `MixedReplay` does that for any ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mimetic.data.trajectory import Transitions
from mimetic.data.tree import tree_concat, tree_from_leaves, tree_leaves, tree_map


class ReplayBuffer:
    """A ring buffer of transitions (s, a, r, s', terminal) with dict-observation support.

    Storage is allocated on the first `add`, from the shapes and dtypes it sees. `terminals`
    marks true terminations only, so TD targets still bootstrap across time-limit cuts.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"replay capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self.size = 0
        self.pos = 0
        self._store: dict[str, Any] | None = None

    def __len__(self) -> int:
        return self.size

    def add(self, obs: Any, acts: np.ndarray, rews: np.ndarray, next_obs: Any, terminals: np.ndarray) -> None:
        """Add a batch of transitions (leading axis = batch), e.g. one step of a vector env."""
        batch = {"obs": obs, "acts": acts, "rews": rews, "next_obs": next_obs, "terminals": terminals}
        n = int(np.asarray(acts).shape[0])
        if self._store is None:
            self._store = tree_map(
                lambda x: np.zeros((self.capacity, *np.asarray(x).shape[1:]), np.asarray(x).dtype), batch
            )
        idx = (self.pos + np.arange(n)) % self.capacity
        # matched by path, not position: a restored store's leaves come back in the checkpoint's order
        store = dict(tree_leaves(self._store))
        for path, src in tree_leaves(batch):
            store[path][idx] = src
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def add_transitions(self, tr: Transitions) -> None:
        """Add a demonstration dataset's transitions (their rewards, or zeros when absent)."""
        rews = tr.rews if tr.rews is not None else np.zeros(len(tr), dtype=np.float32)
        self.add(tr.obs, tr.acts, rews, tr.next_obs, tr.terminals)

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, Any]:
        """A uniform minibatch as a dict with keys obs, acts, rews, next_obs, terminals."""
        if self._store is None or self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        return tree_map(lambda x: x[idx], self._store)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays for a checkpoint (no pickle): the filled rows (slot order) and the ring position.

        Rows past `size` are never sampled, so a buffer 5k rows into a 1M capacity saves 5k rows."""
        out = {"meta/size": np.array(self.size), "meta/pos": np.array(self.pos)}
        if self._store is not None:
            out.update({f"data/{path}": arr[: self.size] for path, arr in tree_leaves(self._store)})
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        size, pos = int(state["meta/size"]), int(state["meta/pos"])
        if size > self.capacity:
            raise ValueError(
                f"the saved replay holds {size} rows, more than this buffer's capacity {self.capacity}"
            )
        if pos != size % self.capacity and size != self.capacity:
            # a ring that wrapped in a smaller buffer: its oldest row is not at slot 0 here
            raise ValueError(
                f"the saved replay wrapped at {size} rows; this buffer's capacity is {self.capacity}"
            )
        leaves = {}
        for key, rows in state.items():
            if key.startswith("data/"):
                full = np.zeros((self.capacity, *rows.shape[1:]), dtype=rows.dtype)
                full[:size] = rows[:size]
                leaves[key[len("data/") :]] = full
        self.size, self.pos = size, pos
        self._store = tree_from_leaves(leaves) if leaves else None


class MixedReplay:
    """Sample each minibatch from several buffers in fixed proportions (RLPD: 0.5 / 0.5).

    The batch is the concatenation, in source order, of round(fraction * batch_size) rows from
    each source (the last source takes the remainder), so the ratio is exact in every batch,
    not only on average.
    """

    def __init__(self, sources: Sequence[ReplayBuffer], fractions: Sequence[float]) -> None:
        if len(sources) != len(fractions) or not sources:
            raise ValueError("need one fraction per source")
        if any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
            raise ValueError(f"fractions must be non-negative and add up to 1, got {list(fractions)}")
        self.sources = list(sources)
        self.fractions = list(fractions)

    def counts(self, batch_size: int) -> list[int]:
        counts = [int(round(f * batch_size)) for f in self.fractions[:-1]]
        return [*counts, batch_size - sum(counts)]

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, Any]:
        parts = [
            src.sample(n, rng) for src, n in zip(self.sources, self.counts(batch_size), strict=True) if n > 0
        ]
        return {key: tree_concat([p[key] for p in parts]) for key in parts[0]}
