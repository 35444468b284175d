"""What every algorithm gives the `Trainer`: a learner that samples and updates, and its config."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import torch
from torch import nn

from mimetic.registry import Registry

ALGORITHMS: Registry[Any] = Registry("algorithm")
"""Algorithm name -> module-level class with `Config` and `build(dataset, config) -> Learner`."""


@runtime_checkable
class Learner(Protocol):
    """One method's update rule. The `Trainer` owns the loop; a learner only does single steps.

    `sample(rng)` draws a batch with the trainer's generator (whose state is checkpointed, so a
    resumed run draws the same batches), and `update(batch)` does one gradient step and returns
    its metrics. `modules()` and `optimizers()` name everything a checkpoint must hold.
    """

    policy: Any

    def sample(self, rng: np.random.Generator) -> Any: ...

    def update(self, batch: Any) -> dict[str, float]: ...

    def modules(self) -> dict[str, nn.Module]: ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def validation_loss(self) -> float | None: ...


C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """A (nested) config dataclass as JSON-ready values; tuples become lists."""

    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value

    return typing.cast(dict[str, Any], plain(config))


def config_from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """Rebuild `cls` from `config_to_dict` output; unknown keys are an error naming the valid ones."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}; valid: {sorted(names)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = config_from_dict(hint, value)  # type: ignore[arg-type]
        elif _is_tuple(hint) and isinstance(value, list):
            value = tuple(value)
        values[key] = value
    return cls(**values)


def _is_tuple(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is_tuple(arg) for arg in typing.get_args(hint))
    return hint is tuple or origin is tuple
