"""Minibatches from a dataset, drawn with a caller's generator so that runs can resume exactly.

The data are flattened into torch tensors once; a batch is then a gather by sampled indices.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces

from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.policies.layout import ObsLayout


def infer_action_space(dataset: Dataset) -> spaces.Space[Any]:
    """The dataset's action space, or one inferred from the actions (integers: Discrete; floats: unbounded Box)."""
    if dataset.metadata.action_space is not None:
        return dataset.metadata.action_space
    acts = np.concatenate([np.asarray(t.acts) for t in dataset.episodes])
    if np.issubdtype(acts.dtype, np.integer) and acts.ndim == 1:
        return spaces.Discrete(int(acts.max()) + 1)
    return spaces.Box(-np.inf, np.inf, acts.shape[1:], np.float32)


def _acts_tensor(acts: np.ndarray, discrete: bool) -> torch.Tensor:
    if discrete:
        return torch.from_numpy(np.asarray(acts).reshape(len(acts)).astype(np.int64))
    return torch.from_numpy(np.array(acts, dtype=np.float32).reshape(len(acts), -1))


class TransitionBatches:
    """Uniform minibatches of single steps (with replacement, as d3rlpy and robomimic sample)."""

    def __init__(self, dataset: Dataset, layout: ObsLayout, discrete: bool) -> None:
        if dataset.num_steps == 0:
            raise DatasetError("dataset has no steps to learn from", file=dataset.path)
        steps = dataset.transitions()
        self._set(layout.flatten(steps.obs), steps.acts, discrete)

    @classmethod
    def from_arrays(cls, obs: np.ndarray, acts: np.ndarray, discrete: bool) -> TransitionBatches:
        """Batches over flat (obs, acts) arrays, e.g. DAgger's aggregate, rebuilt after every round."""
        batches = cls.__new__(cls)
        batches._set(obs, acts, discrete)
        return batches

    def _set(self, obs: np.ndarray, acts: np.ndarray, discrete: bool) -> None:
        self.obs = torch.from_numpy(np.asarray(obs, dtype=np.float32).reshape(len(obs), -1))
        self.acts = _acts_tensor(acts, discrete)

    def __len__(self) -> int:
        return int(self.acts.shape[0])

    def sample(self, rng: np.random.Generator, batch_size: int) -> dict[str, torch.Tensor]:
        index = torch.from_numpy(rng.integers(0, len(self), batch_size))
        return {"obs": self.obs[index], "acts": self.acts[index]}

    def all(self) -> dict[str, torch.Tensor]:
        return {"obs": self.obs, "acts": self.acts}


class SequenceBatches:
    """Windows of `seq_len` consecutive steps of one episode, starting at any step.

    Windows that run past the end of an episode are padded by repeating its last step and
    masked out of the loss (robomimic's `SequenceDataset` with `pad_seq_length=True`).
    """

    def __init__(self, dataset: Dataset, layout: ObsLayout, discrete: bool, seq_len: int) -> None:
        if dataset.num_steps == 0:
            raise DatasetError("dataset has no steps to learn from", file=dataset.path)
        self.seq_len = seq_len
        obs_parts, act_parts, mask_parts, starts = [], [], [], []
        offset = 0
        for traj in dataset.episodes:
            steps = len(traj)
            if steps == 0:
                continue
            obs = layout.flatten(traj.obs)[:steps]  # drop the final observation: it has no action
            acts = np.asarray(traj.acts)
            pad = seq_len - 1
            obs_parts.append(np.concatenate([obs, np.repeat(obs[-1:], pad, axis=0)]))
            act_parts.append(np.concatenate([acts, np.repeat(acts[-1:], pad, axis=0)]))
            mask_parts.append(np.concatenate([np.ones(steps, bool), np.zeros(pad, bool)]))
            starts.append(offset + np.arange(steps))
            offset += steps + pad
        self.obs = torch.from_numpy(np.concatenate(obs_parts))
        self.acts = _acts_tensor(np.concatenate(act_parts), discrete)
        self.mask = torch.from_numpy(np.concatenate(mask_parts))
        self.starts = np.concatenate(starts)
        self.offsets = torch.arange(seq_len)

    def __len__(self) -> int:
        return len(self.starts)

    def sample(self, rng: np.random.Generator, batch_size: int) -> dict[str, torch.Tensor]:
        start = torch.from_numpy(self.starts[rng.integers(0, len(self), batch_size)])
        index = start[:, None] + self.offsets
        return {"obs": self.obs[index], "acts": self.acts[index], "mask": self.mask[index]}

    def all(self) -> dict[str, torch.Tensor]:
        index = torch.from_numpy(self.starts)[:, None] + self.offsets
        return {"obs": self.obs[index], "acts": self.acts[index], "mask": self.mask[index]}
