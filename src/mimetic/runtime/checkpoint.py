"""Checkpoint folders: module weights and optimizer tensors as safetensors, everything else as JSON.

`checkpoints/step_<n>/` holds `modules.safetensors`, `optimizers.safetensors`, `state.json`
(format version, step, optimizer hyperparameters, RNG states) and `policy/` (a loadable policy).
A checkpoint is written into a temporary folder beside its final place and renamed, so a
killed process leaves either a whole checkpoint or none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

CHECKPOINT_FORMAT_VERSION = 1
_STEP_DIR = re.compile(r"^step_(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    """What `load_checkpoint` returns besides restoring modules and optimizers in place."""

    step: int
    state: dict[str, Any]


def _flatten_optimizer(
    name: str, optimizer: torch.optim.Optimizer
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer's state dict into tensors (safetensors) and the rest (JSON)."""
    state_dict = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{name}/{index}/{key}"] = value.detach().contiguous()
            else:
                plain.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "plain_state": plain}


def _unflatten_optimizer(
    name: str, tensors: Mapping[str, torch.Tensor], meta: dict[str, Any]
) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    prefix = f"{name}/"
    for key, value in tensors.items():
        if key.startswith(prefix):
            index, field = key[len(prefix) :].split("/", 1)
            state.setdefault(int(index), {})[field] = value
    for index, entry in meta["plain_state"].items():
        state.setdefault(int(index), {}).update(entry)
    return {"state": state, "param_groups": meta["param_groups"]}


def save_checkpoint(
    directory: Path,
    step: int,
    modules: Mapping[str, nn.Module],
    optimizers: Mapping[str, torch.optim.Optimizer],
    state: dict[str, Any],
    policy: Any = None,
) -> Path:
    """Write `directory/step_<step>` atomically and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"step_{step}"
    tmp = directory / f".tmp_step_{step}_{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    weights = {
        f"{name}/{key}": value.detach().contiguous()
        for name, module in modules.items()
        for key, value in module.state_dict().items()
    }
    save_file(weights, str(tmp / "modules.safetensors"))
    opt_tensors: dict[str, torch.Tensor] = {}
    opt_meta: dict[str, Any] = {}
    for name, optimizer in optimizers.items():
        tensors, meta = _flatten_optimizer(name, optimizer)
        opt_tensors.update(tensors)
        opt_meta[name] = meta
    save_file(opt_tensors, str(tmp / "optimizers.safetensors"))
    record = {"format_version": CHECKPOINT_FORMAT_VERSION, "step": step, "optimizers": opt_meta, **state}
    (tmp / "state.json").write_text(json.dumps(record))
    if policy is not None and hasattr(policy, "save"):
        policy.save(tmp / "policy")
    _fsync_tree(tmp)
    if final.exists():  # a rerun of the same step after a resume: replace it whole
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync_dir(directory)
    return final


def load_checkpoint(
    path: Path, modules: Mapping[str, nn.Module], optimizers: Mapping[str, torch.optim.Optimizer]
) -> Checkpoint:
    """Restore modules and optimizers from `path` in place; return the step and the JSON state."""
    record = json.loads((path / "state.json").read_text())
    if record.get("format_version") != CHECKPOINT_FORMAT_VERSION:
        raise ValueError(
            f"{path}: unsupported checkpoint format {record.get('format_version')}, expected {CHECKPOINT_FORMAT_VERSION}"
        )
    weights = load_file(str(path / "modules.safetensors"))
    for name, module in modules.items():
        prefix = f"{name}/"
        module.load_state_dict({k[len(prefix) :]: v for k, v in weights.items() if k.startswith(prefix)})
    opt_tensors = load_file(str(path / "optimizers.safetensors"))
    for name, optimizer in optimizers.items():
        optimizer.load_state_dict(_unflatten_optimizer(name, opt_tensors, record["optimizers"][name]))
    return Checkpoint(step=int(record["step"]), state=record)


def list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under `directory`, oldest first (temporary folders are ignored)."""
    if not directory.is_dir():
        return []
    found = []
    for child in directory.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and (child / "state.json").is_file():
            found.append((int(match.group(1)), child))
    return sorted(found)


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
