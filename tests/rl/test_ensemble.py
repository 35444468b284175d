from __future__ import annotations

import torch
from torch import nn

from mimetic.nn.ensemble import EnsembleMLP


def test_ensemble_equals_separate_networks() -> None:
    torch.manual_seed(0)
    ens = EnsembleMLP(members=3, in_dim=4, hidden_sizes=(8, 8), out_dim=2)
    x = torch.randn(5, 4)
    out = ens(x)
    assert out.shape == (3, 5, 2)
    lin = [m for m in ens.layers if not isinstance(m, nn.ReLU)]
    for k in range(3):
        h = x
        for i, layer in enumerate(lin):
            h = h @ layer.weight[k] + layer.bias[k, 0]
            if i < len(lin) - 1:
                h = torch.relu(h)
        torch.testing.assert_close(out[k], h)


def test_members_start_different_and_layer_norm_runs() -> None:
    ens = EnsembleMLP(members=2, in_dim=3, hidden_sizes=(4,), out_dim=1, layer_norm=True)
    out = ens(torch.randn(6, 3))
    assert out.shape == (2, 6, 1)
    assert not torch.equal(out[0], out[1])
