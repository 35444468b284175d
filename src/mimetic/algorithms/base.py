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


class SettingError(ValueError):
    """A `FIELD=VALUE` setting that names no config field or whose value does not fit the field's type."""


def apply_settings(config: C, settings: typing.Sequence[str]) -> C:
    """`config` with each `FIELD=VALUE` of `settings` applied in order (`mimetic train ... --set`).

    A dotted field reaches into a nested config (`sac.actor_lr=3e-4`). The value is read for the
    field's declared type: int, float, bool (true/false), str, None (`none`) where the field allows it,
    and tuples of numbers as comma-separated items (`disc_hidden_sizes=64,64`). The config's own checks
    (run when its learner is built) still apply to the result. A single string is one setting.
    """
    for setting in [settings] if isinstance(settings, str) else settings:
        name, sep, text = setting.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"--set {setting}: expected FIELD=VALUE, such as disc_every=2")
        config = _set_field(config, name.strip().split("."), text.strip(), setting)
    return config


def _set_field(config: Any, path: list[str], text: str, setting: str) -> Any:
    cls = type(config)
    names = [f.name for f in dataclasses.fields(cls)]
    if path[0] not in names:
        raise SettingError(
            f"--set {setting}: {cls.__name__} has no field '{path[0]}'; fields: {', '.join(names)}"
        )
    current = getattr(config, path[0])
    if len(path) > 1:
        if not dataclasses.is_dataclass(current):
            raise SettingError(f"--set {setting}: {cls.__name__}.{path[0]} is not a nested config")
        value = _set_field(current, path[1:], text, setting)
    else:
        if dataclasses.is_dataclass(current):
            raise SettingError(
                f"--set {setting}: {cls.__name__}.{path[0]} is a nested config; set one of its fields "
                f"({path[0]}.FIELD=VALUE)"
            )
        value = _parse_value(typing.get_type_hints(cls)[path[0]], text, setting)
    return dataclasses.replace(config, **{path[0]: value})


def _parse_value(hint: Any, text: str, setting: str) -> Any:
    """`text` as a value of the type `hint` (a field's annotation), or a `SettingError` naming both."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _parse_value(arg, text, setting)
            except SettingError as err:
                errors.append(str(err))
        raise SettingError(errors[0] if errors else f"--set {setting}: cannot read '{text}'")
    if typing.get_origin(hint) is typing.Literal:
        for option in args:
            if str(option) == text:
                return option
        raise SettingError(f"--set {setting}: expected one of {', '.join(map(str, args))}, found '{text}'")
    if _is_tuple(hint):
        item = args[0] if args else str
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return tuple(_parse_value(item, part, setting) for part in parts)
    if hint is bool:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise SettingError(f"--set {setting}: expected true or false, found '{text}'")
    if hint in (int, float):
        try:
            number = float(text)
        except ValueError:
            raise SettingError(f"--set {setting}: expected {hint.__name__}, found '{text}'") from None
        if hint is float:
            return number
        if not number.is_integer():
            raise SettingError(f"--set {setting}: expected int, found '{text}'")
        return int(number)  # 1e5 reads as 100000
    if hint is str:
        return text
    raise SettingError(f"--set {setting}: fields of type {hint} cannot be set from the command line")
