from __future__ import annotations

import pytest
import torch

from mimetic.nn.mlp import mlp


def test_mlp_layers_follow_the_widths() -> None:
    net = mlp(3, (5, 4), 2)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(3, 5), (5, 4), (4, 2)]
    assert net(torch.zeros(7, 3)).shape == (7, 2)


@pytest.mark.parametrize("widths", [(0,), (32, -1)])
def test_a_width_below_one_is_refused_with_the_widths_named(widths: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"hidden layer widths must be positive integers, got \("):
        mlp(3, widths, 1)
