"""BESO: behaviour generation with score-based diffusion policies (Reuss et al. 2023, survey row #51).

"Goal-Conditioned Imitation Learning using Score-based Diffusion Policies", RSS 2023. The learner
minimizes the EDM denoising loss of a `BesoPolicy` (see `mimetic.policies.diffusion` and
`mimetic.nn.diffusion`) on windows of past observations and chunks of next actions, and keeps an
exponential moving average of the weights; the averaged copy is the policy that is evaluated and saved.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.batches import infer_action_space
from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.policies.config import PolicyConfig
from mimetic.policies.diffusion import BesoPolicy, DiffusionConfig
from mimetic.policies.layout import ObsLayout


@dataclass
class Config:
    """BESO hyperparameters; the model and sampler settings live in `diffusion`, network sizes in `net`."""

    batch_size: int = 256
    """Minibatch size (our choice for the CPU budget; BESO's configs use larger GPU batches)."""
    learning_rate: float = 1e-4
    """AdamW step size: BESO `lr: 1e-4` (survey row #51)."""
    weight_decay: float = 0.0
    """Decoupled weight decay (AdamW). 0 here; BESO's transformer configs regularize with dropout instead."""
    ema_decay: float = 0.999
    """Decay of the exponential moving average of the weights: BESO `decay: 0.999`. It is warmed up as
    min(decay, (1 + t) / (10 + t)) at step t, so early averages are not dominated by the initial weights."""
    grad_clip_norm: float | None = None
    """Clip the gradient norm; None disables."""
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    """Denoiser kind, observation window, action chunk, goal dropout, guidance, sampler and noise levels."""
    net: PolicyConfig = field(default_factory=PolicyConfig)
    """Network sizes: `d_model`, `num_heads`, `num_layers`, `dropout` for the transformer denoiser,
    `hidden_sizes` and `activation` for the MLP one. BESO's block-push GPT (hidden 240, 4 layers, 12 heads)
    is sized for a GPU; the defaults (64, 2 layers, 4 heads) keep a denoising step under a millisecond."""


class WindowChunkBatches:
    """For each step t of each episode: the observations t-W+1..t (clamped at the episode's first step)
    and the actions t..t+K-1 (clamped at its last), gathered from flat tensors by index."""

    def __init__(self, dataset: Dataset, layout: ObsLayout, window: int, chunk: int) -> None:
        if dataset.num_steps == 0:
            raise DatasetError("dataset has no steps to learn from", file=dataset.path)
        obs_parts, act_parts, obs_index, act_index = [], [], [], []
        offset = 0
        for traj in dataset.episodes:
            steps = len(traj)
            if steps == 0:
                continue
            obs_parts.append(layout.flatten(traj.obs)[:steps])  # the final observation has no action
            act_parts.append(np.asarray(traj.acts, dtype=np.float32).reshape(steps, -1))
            t = np.arange(steps)[:, None]
            obs_index.append(offset + np.clip(t + np.arange(-window + 1, 1), 0, steps - 1))
            act_index.append(offset + np.clip(t + np.arange(chunk), 0, steps - 1))
            offset += steps
        self.obs = torch.from_numpy(np.concatenate(obs_parts))
        self.acts = torch.from_numpy(np.concatenate(act_parts))
        self.obs_index = torch.from_numpy(np.concatenate(obs_index))
        self.act_index = torch.from_numpy(np.concatenate(act_index))

    def __len__(self) -> int:
        return int(self.obs_index.shape[0])

    def sample(self, rng: np.random.Generator, batch_size: int) -> dict[str, torch.Tensor]:
        rows = torch.from_numpy(rng.integers(0, len(self), batch_size))
        return {"obs": self.obs[self.obs_index[rows]], "acts": self.acts[self.act_index[rows]]}


class BesoLearner:
    """One AdamW step on the denoising loss per `update`, then an EMA update of the acting copy."""

    def __init__(self, dataset: Dataset, config: Config) -> None:
        if len(dataset) == 0:
            raise DatasetError("dataset has no episodes", file=dataset.path)
        self.config = config
        d = config.diffusion
        layout = ObsLayout.of(dataset.episodes[0].obs)
        self.model = BesoPolicy(layout, infer_action_space(dataset), config.net, copy.deepcopy(d))
        self.batches = WindowChunkBatches(dataset, layout, d.obs_window, d.action_chunk)
        self.model.fit_normalizers(self.batches.obs.numpy(), self.batches.acts.numpy())
        self.policy: BesoPolicy = copy.deepcopy(self.model)
        self.policy.requires_grad_(False)
        self.policy.eval()
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
        )

    def sample(self, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        return self.batches.sample(rng, self.config.batch_size)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        self.model.train()
        loss = self.model.loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        metrics = {"loss": float(loss.detach())}
        if self.config.grad_clip_norm is not None:
            norm = nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip_norm)
            metrics["grad_norm"] = float(norm)
        self.optimizer.step()
        self._update_ema()
        return metrics

    @torch.no_grad()
    def _update_ema(self) -> None:
        # The step count is recovered from the optimizer state on resume (see `ema_step`).
        step = self.ema_step()
        decay = min(self.config.ema_decay, (1.0 + step) / (10.0 + step))
        for ema, online in zip(self.policy.parameters(), self.model.parameters(), strict=True):
            ema.lerp_(online, 1.0 - decay)
        for ema_buf, online_buf in zip(self.policy.buffers(), self.model.buffers(), strict=True):
            ema_buf.copy_(online_buf)

    def ema_step(self) -> int:
        """Updates done so far (Adam's step counter, which checkpoints carry), minus the current one."""
        for group in self.optimizer.param_groups:
            for param in group["params"]:
                state = self.optimizer.state.get(param)
                if state and "step" in state:
                    return int(state["step"]) - 1
        return 0

    def validation_loss(self) -> float | None:
        return None

    def modules(self) -> dict[str, nn.Module]:
        return {"model": self.model, "policy": self.policy}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"model": self.optimizer}


@ALGORITHMS.register("beso")
class Beso:
    """BESO, registered as "beso"."""

    Config = Config

    @staticmethod
    def build(dataset: Dataset, config: Any, **_: Any) -> BesoLearner:
        return BesoLearner(dataset, config)
