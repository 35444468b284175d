"""Shared fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

from mimetic.data import Dataset  # noqa: E402
from tests.builders import make_array_dataset, make_dict_dataset  # noqa: E402


@pytest.fixture
def array_dataset() -> Dataset:
    return make_array_dataset()


@pytest.fixture
def dict_dataset() -> Dataset:
    return make_dict_dataset()
