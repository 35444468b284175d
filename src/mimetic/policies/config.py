"""Architecture hyperparameters shared by every learned policy (saved in the policy's JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class PolicyConfig:
    """Network sizes; a policy uses the fields that apply to it and ignores the rest."""

    hidden_sizes: tuple[int, ...] = field(default=(256, 256))
    """MLP trunk widths: d3rlpy's default vector encoder (`VectorEncoderFactory`, hidden_units [256, 256]),
    which its BC uses. robomimic's `algo.actor_layer_dims = (1024, 1024)` is 16x the multiply-adds per layer."""
    activation: str = "relu"
    """Trunk nonlinearity (robomimic and d3rlpy both use ReLU)."""
    obs_min_scale: float = 0.1
    """Floor on the observation normalizer's per-feature scale (its std in the data). From few
    demonstrations some features barely vary (one CartPole episode: the cart position's std is 0.03,
    the pole angle's 0.01); dividing by such a spread turns the small drift a cloned policy makes at
    test time into inputs of 10 to 100 std, and BC fails (CartPole, 1 demo, 3 seeds: 0.24 normalized
    without the floor, 0.9 with it; benchmarks/bc.py). Gymnasium's state features are O(1) physical
    quantities, so 0.1 leaves the ordinary ones standardized. Set 0 for plain standardization, or
    lower it for data in small units."""
    num_modes: int = 5
    """GMM components: robomimic `algo.gmm.num_modes = 5` (Mandlekar et al. 2021)."""
    min_std: float = 1e-4
    """GMM std floor: robomimic `algo.gmm.min_std = 0.0001`."""
    squash: bool | None = None
    """Tanh-squash the Gaussian head. None: squash exactly when the action space is a bounded Box."""
    rnn_cell: str = "lstm"
    """Recurrent cell, "lstm" or "gru": robomimic BC-RNN `algo.rnn.rnn_type = "LSTM"`."""
    rnn_hidden_size: int = 400
    """Recurrent width: robomimic BC-RNN `algo.rnn.hidden_dim = 400`."""
    rnn_layers: int = 2
    """Stacked recurrent layers: robomimic BC-RNN `algo.rnn.num_layers = 2`."""
    seq_len: int = 10
    """Training window of sequence policies and the recurrent reset horizon at rollout:
    robomimic `algo.rnn.horizon = 10` and `algo.transformer.context_length = 10`."""
    d_model: int = 64
    """Transformer width. robomimic's `algo.transformer.embed_dim = 512` is sized for images; state
    observations need far less, and 64 keeps a CPU step in milliseconds (our choice)."""
    num_heads: int = 4
    """Attention heads, 16 dims each (robomimic: 8 heads of 64)."""
    num_layers: int = 2
    """Transformer blocks (robomimic: 6; our choice for the CPU budget)."""
    dropout: float = 0.1
    """Transformer dropout: robomimic `algo.transformer.{emb,attn,block_output}_dropout = 0.1`.
    Unlike robomimic's default (`supervise_all_steps = False`) every step of a window is supervised,
    as in Decision Transformer (Chen et al. 2021): ten targets per window instead of one."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicyConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown policy config fields {unknown}; valid: {sorted(known)}")
        values = dict(data)
        if "hidden_sizes" in values:
            values["hidden_sizes"] = tuple(values["hidden_sizes"])
        return cls(**values)
