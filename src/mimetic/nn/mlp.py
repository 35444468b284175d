"""The multilayer perceptron every feed-forward policy and critic is built on."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU}


def mlp(
    in_dim: int, hidden_sizes: Sequence[int], out_dim: int | None = None, activation: str = "relu"
) -> nn.Sequential:
    """Linear layers with `activation` between them; with `out_dim=None` the last hidden layer is the output.

    The output layer has no activation, so the result can feed a head or be a regression output.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation '{activation}'; valid choices: {', '.join(sorted(ACTIVATIONS))}"
        )
    # a zero width builds without complaint and a negative one fails deep in torch, so both are
    # caught here, where `--set disc_hidden_sizes=0` and the like end up
    if any(int(size) < 1 for size in hidden_sizes):
        raise ValueError(f"hidden layer widths must be positive integers, got {tuple(hidden_sizes)}")
    layers: list[nn.Module] = []
    last = in_dim
    for size in hidden_sizes:
        layers += [nn.Linear(last, size), ACTIVATIONS[activation]()]
        last = size
    if out_dim is not None:
        layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)
