"""mimetic: imitation learning on PyTorch and Gymnasium. Demonstrations in, behaviour out."""

from typing import Any

import mimetic.envs  # noqa: F401  (registers mimetic's envs through string entry points)
from mimetic.data import Dataset, DatasetError, Trajectory, Transitions, load, save, validate
from mimetic.eval import evaluate
from mimetic.experts import collect

__version__ = "0.1.0"

__all__ = [
    "Dataset",
    "DatasetError",
    "Trajectory",
    "Transitions",
    "__version__",
    "collect",
    "evaluate",
    "load",
    "save",
    "train",
    "validate",
]


def __getattr__(name: str) -> Any:
    # `train` imports torch; resolving it on first use keeps `import mimetic` and torch-free verbs fast.
    if name == "train":
        from mimetic.runtime.launch import train

        return train
    raise AttributeError(f"module 'mimetic' has no attribute {name!r}")
