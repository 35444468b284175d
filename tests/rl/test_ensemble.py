from __future__ import annotations

import torch
from torch import nn

from mimetic.nn.ensemble import EnsembleMLP, FlatAdam, flatten_parameters


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


def test_single_output_column_equals_batched_matmul() -> None:
    torch.manual_seed(0)
    ens = EnsembleMLP(members=2, in_dim=4, hidden_sizes=(8,), out_dim=1)
    x = torch.randn(5, 4, requires_grad=True)
    out = ens(x)
    head = ens.layers[-1]
    hidden = torch.relu(
        torch.baddbmm(ens.layers[0].bias, x.unsqueeze(0).expand(2, -1, -1), ens.layers[0].weight)
    )
    expected = torch.baddbmm(head.bias, hidden, head.weight)
    torch.testing.assert_close(out, expected)
    (grad_ours,) = torch.autograd.grad(out.sum(), head.weight)
    (grad_ref,) = torch.autograd.grad(expected.sum(), head.weight)
    torch.testing.assert_close(grad_ours, grad_ref)


def test_members_start_different_and_layer_norm_runs() -> None:
    ens = EnsembleMLP(members=2, in_dim=3, hidden_sizes=(4,), out_dim=1, layer_norm=True)
    out = ens(torch.randn(6, 3))
    assert out.shape == (2, 6, 1)
    assert not torch.equal(out[0], out[1])


def test_flat_adam_matches_torch_adam() -> None:
    torch.manual_seed(0)
    flat = torch.randn(50)
    reference = flat.clone().requires_grad_(True)
    ours = FlatAdam(flat, lr=1e-2, eps=1e-5)
    theirs = torch.optim.Adam([reference], lr=1e-2, eps=1e-5)
    for step in range(5):
        grad = torch.randn(50) * (step + 1)
        ours.step(grad)
        reference.grad = grad.clone()
        theirs.step()
    torch.testing.assert_close(flat, reference.detach(), rtol=1e-6, atol=1e-7)
    restored = FlatAdam(torch.zeros(50), lr=0.0)
    restored.load_state_dict(ours.state_dict())
    assert restored.lr == 1e-2 and float(restored.step_count) == 5.0
    assert torch.equal(restored.exp_avg_sq, ours.exp_avg_sq)


def test_flatten_parameters_keeps_values_and_accumulates_gradients_in_place() -> None:
    torch.manual_seed(0)
    ens = EnsembleMLP(members=2, in_dim=3, hidden_sizes=(4,), out_dim=1)
    before = [p.detach().clone() for p in ens.parameters()]
    x = torch.randn(5, 3)
    expected = ens(x)
    flat, grad = flatten_parameters(ens)
    assert grad is not None
    assert flat.numel() == sum(p.numel() for p in before)
    for p, old in zip(ens.parameters(), before, strict=True):
        assert torch.equal(p, old)
    torch.testing.assert_close(ens(x), expected)
    ens(x).sum().backward()
    assert float(grad.abs().sum()) > 0.0
    assert torch.equal(torch.cat([p.grad.reshape(-1) for p in ens.parameters()]), grad)  # type: ignore[union-attr]
    flat.add_(1.0)  # the parameters are views of the buffer
    for p, old in zip(ens.parameters(), before, strict=True):
        torch.testing.assert_close(p.detach(), old + 1.0)


def test_a_subset_of_members_equals_those_members_of_the_full_ensemble() -> None:
    torch.manual_seed(0)
    for layer_norm in (False, True):
        ens = EnsembleMLP(members=5, in_dim=4, hidden_sizes=(8, 8), out_dim=1, layer_norm=layer_norm)
        x = torch.randn(6, 4)
        chosen = torch.tensor([3, 0])
        torch.testing.assert_close(ens(x, chosen), ens(x)[chosen])
