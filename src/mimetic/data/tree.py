"""Observations are arrays or (nested) dicts of arrays; these helpers treat both alike.

Goal-conditioned and multi-sensor tasks have dict observations, and every format and
learner must handle them, so the dict case is never special-cased downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

Obs: TypeAlias = "np.ndarray | Mapping[str, Obs]"


def is_dict(x: object) -> bool:
    return isinstance(x, Mapping)


def tree_map(fn: Callable[[np.ndarray], np.ndarray], obs: Any) -> Any:
    """Apply `fn` to every array leaf, keeping the dict structure."""
    if is_dict(obs):
        return {k: tree_map(fn, v) for k, v in obs.items()}
    return fn(obs)


def tree_leaves(obs: Any, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
    """Yield `(path, array)` for every leaf; paths join dict keys with '/'."""
    if is_dict(obs):
        for k, v in obs.items():
            yield from tree_leaves(v, f"{prefix}/{k}" if prefix else str(k))
    else:
        yield prefix, obs


def tree_from_leaves(leaves: Mapping[str, np.ndarray]) -> Any:
    """Invert `tree_leaves`: build nested dicts from '/'-joined paths (a lone '' path is an array)."""
    if set(leaves) == {""}:
        return leaves[""]
    root: dict[str, Any] = {}
    for path, arr in leaves.items():
        node = root
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = arr
    return root


def tree_len(obs: Any) -> int:
    """Leading (time or batch) length; every leaf must agree, which `Trajectory` checks."""
    for _, leaf in tree_leaves(obs):
        return int(leaf.shape[0])
    raise ValueError("an observation dict with no arrays has no length")


def tree_concat(parts: Sequence[Any]) -> Any:
    """Concatenate along the leading axis, leaf by leaf."""
    first = parts[0]
    if is_dict(first):
        return {k: tree_concat([p[k] for p in parts]) for k in first}
    return np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


def tree_stack(items: Sequence[Any]) -> Any:
    """Stack per-step observations (arrays or dicts) into one with a new leading axis."""
    first = items[0]
    if is_dict(first):
        return {k: tree_stack([it[k] for it in items]) for k in first}
    return np.stack([np.asarray(it) for it in items])


def tree_equal(a: Any, b: Any) -> bool:
    """Bitwise equality: same structure, same dtypes, same shapes, same bytes (NaN equals NaN)."""
    if is_dict(a) or is_dict(b):
        if not (is_dict(a) and is_dict(b)) or set(a) != set(b):
            return False
        return all(tree_equal(a[k], b[k]) for k in a)
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
