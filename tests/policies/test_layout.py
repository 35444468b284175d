"""Observation flattening: dict leaves in sorted path order."""

from __future__ import annotations

import numpy as np
import pytest

from mimetic.data.errors import DatasetError
from mimetic.policies.layout import ObsLayout


def test_dict_leaves_flatten_in_sorted_order_whatever_the_insertion_order() -> None:
    a = {"z": np.array([[1.0, 2.0]]), "a": {"y": np.array([[3.0]]), "b": np.zeros((1, 2, 2))}}
    b = {"a": {"b": np.zeros((1, 2, 2)), "y": np.array([[3.0]])}, "z": np.array([[1.0, 2.0]])}
    layout = ObsLayout.of(a)
    assert layout.paths() == ["a/b", "a/y", "z"]
    assert layout.dim == 7
    assert layout.flatten(a).tolist() == [[0, 0, 0, 0, 3, 1, 2]]
    assert np.array_equal(layout.flatten(a), layout.flatten(b))
    assert ObsLayout.from_json(layout.to_json()) == layout


def test_wrong_shape_names_the_key() -> None:
    layout = ObsLayout.of({"pos": np.zeros((1, 3))})
    with pytest.raises(DatasetError, match="obs/pos"):
        layout.flatten({"pos": np.zeros((1, 4))})
