"""Behaviour cloning: supervised learning of the expert's action from the observation.

Pomerleau 1989 (ALVINN) and the BC baselines of every paper in the survey; the policy family
(MLP, Gaussian, GMM, discrete, BC-RNN, transformer) follows robomimic (Mandlekar et al. 2021).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.batches import SequenceBatches, TransitionBatches, infer_action_space
from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.policies.config import PolicyConfig
from mimetic.policies.learned import TorchPolicy, build_policy


@dataclass
class Config:
    """BC hyperparameters. Architecture sizes live in `net` (see `PolicyConfig`)."""

    policy: str = "mlp"
    """Registered policy name: mlp, gaussian, gmm, discrete, rnn or transformer."""
    batch_size: int = 100
    """Minibatch size: d3rlpy `BCConfig.batch_size = 100` (`d3rlpy/algos/qlearning/bc.py`)."""
    learning_rate: float = 1e-3
    """Adam step size: d3rlpy `BCConfig.learning_rate = 1e-3` (robomimic uses 1e-4 with (1024, 1024) nets)."""
    weight_decay: float = 0.0
    """Decoupled weight decay (AdamW): robomimic `algo.optim_params.policy.regularization.L2 = 0.00`."""
    grad_clip_norm: float | None = None
    """Clip the gradient norm; None disables (off by default, as in d3rlpy's BC)."""
    valid_fraction: float = 0.0
    """Share of episodes held out for the validation loss (robomimic's checkpoint selection, survey row #8).
    0 disables it; the e2e protocol uses 0.1, robomimic's `hdf5_filter_key="valid"` split."""
    max_episodes: int | None = None
    """Train on the dataset's first N episodes only (demonstration-count studies); None uses them all."""
    net: PolicyConfig = field(default_factory=PolicyConfig)
    """Network sizes, heads and sequence length."""


class BCLearner:
    """One BC gradient step per `update`: minimize the policy's negative log-likelihood (or MSE)."""

    def __init__(self, dataset: Dataset, config: Config, *, split_seed: int = 0) -> None:
        if len(dataset) == 0:
            raise DatasetError("dataset has no episodes", file=dataset.path)
        if config.max_episodes is not None:
            if not 1 <= config.max_episodes <= len(dataset):
                raise DatasetError(
                    "max_episodes is out of range for this dataset",
                    file=dataset.path,
                    field="max_episodes",
                    expected=f"1..{len(dataset)}",
                    found=config.max_episodes,
                )
            dataset = dataset.select(range(config.max_episodes))
        self.config = config
        train_set, valid_set = dataset, None
        if config.valid_fraction > 0.0 and len(dataset) >= 2:
            parts = dataset.split(
                {"train": 1.0 - config.valid_fraction, "valid": config.valid_fraction}, seed=split_seed
            )
            if len(parts["valid"]) and len(parts["train"]):
                train_set, valid_set = parts["train"], parts["valid"]
        action_space = infer_action_space(dataset)
        self.policy: TorchPolicy = build_policy(
            config.policy, train_set.episodes[0].obs, action_space, config.net
        )
        self.train_batches = self._batches(train_set)
        self.valid_batches = None if valid_set is None else self._batches(valid_set)
        self.policy.fit_normalizers(
            self.train_batches.obs.numpy().reshape(-1, self.policy.layout.dim), self._fit_acts()
        )
        # fused: one kernel per step instead of a Python loop over parameters (about 20% of a
        # 256x256 BC step on one CPU thread)
        self.optimizer = torch.optim.AdamW(
            self.policy.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay, fused=True
        )

    def _batches(self, dataset: Dataset) -> TransitionBatches | SequenceBatches:
        if self.policy.sequential:
            return SequenceBatches(dataset, self.policy.layout, self.policy.discrete, self.config.net.seq_len)
        return TransitionBatches(dataset, self.policy.layout, self.policy.discrete)

    def _fit_acts(self) -> np.ndarray:
        acts = self.train_batches.acts
        if isinstance(self.train_batches, SequenceBatches):
            acts = acts[self.train_batches.mask]  # padding rows repeat steps; keep the statistics exact
        return acts.numpy()

    def sample(self, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        return self.train_batches.sample(rng, self.config.batch_size)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        self.policy.train()
        loss = self.policy.loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        metrics = {"loss": float(loss.detach())}
        if self.config.grad_clip_norm is not None:
            norm = nn.utils.clip_grad_norm_(self.policy.parameters(), self.config.grad_clip_norm)
            metrics["grad_norm"] = float(norm)
        self.optimizer.step()
        return metrics

    @torch.no_grad()
    def validation_loss(self) -> float | None:
        """Mean loss on the held-out episodes (in eval mode), or None without a validation split."""
        if self.valid_batches is None:
            return None
        self.policy.eval()
        loss = float(self.policy.loss(self.valid_batches.all()))
        self.policy.train()
        return loss

    def modules(self) -> dict[str, nn.Module]:
        return {"policy": self.policy}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"policy": self.optimizer}


@ALGORITHMS.register("bc")
class BC:
    """Behaviour cloning, registered as "bc"."""

    Config = Config

    @staticmethod
    def build(dataset: Dataset, config: Any, **_: Any) -> BCLearner:
        return BCLearner(dataset, config)
