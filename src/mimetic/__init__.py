"""mimetic: imitation learning on PyTorch and Gymnasium. Demonstrations in, behaviour out."""

import mimetic.envs  # noqa: F401  (registers mimetic/Trading-v0 through a string entry point)
from mimetic.data import Dataset, DatasetError, Trajectory, Transitions, load, save, validate

__version__ = "0.1.0"

__all__ = ["Dataset", "DatasetError", "Trajectory", "Transitions", "__version__", "load", "save", "validate"]
