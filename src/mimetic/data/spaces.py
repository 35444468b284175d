"""Gymnasium spaces to and from JSON.

The JSON layout is Minari's (`{"type": "Box", "dtype": ..., "shape": ..., "low": ..., "high": ...}`),
so the same text serves Minari metadata, robomimic `env_args`, and LeRobot `info.json`.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from gymnasium import spaces

from mimetic.data.errors import DatasetError


def space_to_dict(space: spaces.Space[Any]) -> dict[str, Any]:
    if isinstance(space, spaces.Box):
        return {
            "type": "Box",
            "dtype": str(space.dtype),
            "shape": list(space.shape),
            "low": space.low.tolist(),
            "high": space.high.tolist(),
        }
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "dtype": "int64", "start": int(space.start), "n": int(space.n)}
    if isinstance(space, spaces.MultiDiscrete):
        return {
            "type": "MultiDiscrete",
            "dtype": str(space.dtype),
            "nvec": space.nvec.tolist(),
            "start": space.start.tolist(),
        }
    if isinstance(space, spaces.MultiBinary):
        n = space.n
        return {"type": "MultiBinary", "n": n if isinstance(n, int) else list(n)}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "subspaces": {k: space_to_dict(s) for k, s in space.spaces.items()}}
    raise DatasetError(
        "unsupported space",
        field="space",
        expected="Box, Discrete, MultiDiscrete, MultiBinary or Dict",
        found=space,
    )


def space_from_dict(d: dict[str, Any]) -> spaces.Space[Any]:
    kind = d.get("type")
    try:
        if kind == "Box":
            dtype = np.dtype(d["dtype"])
            low = np.asarray(d["low"], dtype=dtype)
            high = np.asarray(d["high"], dtype=dtype)
            return spaces.Box(low=low, high=high, shape=tuple(d["shape"]), dtype=dtype)
        if kind == "Discrete":
            return spaces.Discrete(n=int(d["n"]), start=int(d.get("start", 0)))
        if kind == "MultiDiscrete":
            nvec = np.asarray(d["nvec"])
            return spaces.MultiDiscrete(nvec, dtype=d.get("dtype", "int64"), start=d.get("start"))
        if kind == "MultiBinary":
            return spaces.MultiBinary(d["n"])
        if kind == "Dict":
            return spaces.Dict({k: space_from_dict(v) for k, v in d["subspaces"].items()})
    except (KeyError, TypeError, ValueError) as err:
        raise DatasetError(f"malformed {kind} space: {err}", field="space") from None
    raise DatasetError(
        "unsupported space",
        field="space",
        expected="Box, Discrete, MultiDiscrete, MultiBinary or Dict",
        found=kind,
    )


def space_to_json(space: spaces.Space[Any] | None) -> str | None:
    return None if space is None else json.dumps(space_to_dict(space))


def space_from_json(text: str | bytes | None) -> spaces.Space[Any] | None:
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode()
    try:
        return space_from_dict(json.loads(text))
    except json.JSONDecodeError as err:
        raise DatasetError(f"space is not valid JSON: {err}", field="space") from None


def spaces_equal(a: spaces.Space[Any] | None, b: spaces.Space[Any] | None) -> bool:
    """Structural equality through the JSON form (gymnasium's `==` ignores some dtypes)."""
    if a is None or b is None:
        return a is b
    return space_to_dict(a) == space_to_dict(b)
