"""Neural building blocks: MLP trunks, sequence encoders, action heads, normalizers."""

from mimetic.nn.heads import CategoricalHead, DeterministicHead, GaussianHead, GMMHead, Head
from mimetic.nn.mlp import mlp
from mimetic.nn.normalize import Normalizer

__all__ = ["CategoricalHead", "DeterministicHead", "GMMHead", "GaussianHead", "Head", "Normalizer", "mlp"]
