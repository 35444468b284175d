"""Sequence encoders: a recurrent net (BC-RNN) and a causal transformer over a short context."""

from __future__ import annotations

import torch
from torch import nn


class RecurrentEncoder(nn.Module):
    """GRU or LSTM over time, batch first: (B, T, in) -> (B, T, hidden), carrying `state`.

    BC-RNN (Mandlekar et al. 2021, robomimic) uses an LSTM over sequences of 10 steps.
    """

    def __init__(self, in_dim: int, hidden_size: int, num_layers: int, cell: str = "lstm") -> None:
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f"unknown recurrent cell '{cell}'; valid choices: gru, lstm")
        rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
        self.cell = cell
        self.rnn = rnn_cls(in_dim, hidden_size, num_layers=num_layers, batch_first=True)

    def forward(self, x: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        out, state = self.rnn(x, state)
        return out, state


class CausalTransformerEncoder(nn.Module):
    """A GPT-style encoder: token embedding + learned positions, causal self-attention.

    Position i attends to positions <= i only, so one forward pass trains the action at every
    step of a window from its own past (as in Decision Transformer's BC baseline, Chen et al. 2021).
    """

    def __init__(
        self, in_dim: int, d_model: int, num_heads: int, num_layers: int, context: int, dropout: float
    ) -> None:
        super().__init__()
        self.context = context
        self.embed = nn.Linear(in_dim, d_model)
        self.position = nn.Parameter(torch.zeros(context, d_model))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model,
            num_heads,
            dim_feedforward=4 * d_model,
            dropout=dropout,
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps = x.shape[1]
        if steps > self.context:
            raise ValueError(f"sequence of {steps} steps is longer than the context of {self.context}")
        h = self.embed(x) + self.position[:steps]
        mask = nn.Transformer.generate_square_subsequent_mask(steps, dtype=h.dtype)
        return self.norm(self.blocks(h, mask=mask, is_causal=True))
