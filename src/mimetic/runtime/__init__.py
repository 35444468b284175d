"""The training runtime: the `Trainer` loop, run directories, checkpoints, resume and seeding.

Exports are resolved on first use: `mimetic.runtime.cli` is imported by every `mimetic` command,
and only the verbs that train should pay for importing torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ResumeError": "mimetic.runtime.trainer",
    "Trainer": "mimetic.runtime.trainer",
    "TrainerConfig": "mimetic.runtime.trainer",
    "TrainResult": "mimetic.runtime.launch",
    "train": "mimetic.runtime.launch",
    "list_checkpoints": "mimetic.runtime.checkpoint",
    "load_checkpoint": "mimetic.runtime.checkpoint",
    "save_checkpoint": "mimetic.runtime.checkpoint",
    "seed_everything": "mimetic.runtime.seeding",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mimetic.runtime' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
