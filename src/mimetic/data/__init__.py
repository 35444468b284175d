"""The trajectory data model, dataset formats and validation."""

from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError, Problem
from mimetic.data.io import detect_format, load, save
from mimetic.data.trajectory import Trajectory, Transitions
from mimetic.data.validate import validate

__all__ = [
    "Dataset",
    "DatasetError",
    "DatasetMetadata",
    "Problem",
    "Trajectory",
    "Transitions",
    "detect_format",
    "load",
    "save",
    "validate",
]
