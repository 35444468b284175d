"""What the PPO and SAC algorithms share: a saveable view of the learner's current policy, and the
state that checkpoints carry as tensors: counters, normalizers, replay buffers and sampling generators."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.running_stats import RunningMeanStd


class ExportingPolicy:
    """Acts with the learner's fast path; `save(dir)` writes it as an ordinary `TorchPolicy`."""

    def __init__(self, policy: Any, export: Callable[[], Any]) -> None:
        self._policy = policy
        self._export = export

    def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
        return self._policy.act(obs, state, deterministic=deterministic)

    def reset(self, batch_size: int) -> Any:
        return None

    def save(self, directory: str | Path) -> Path:
        return Path(self._export().save(directory))


class Progress(nn.Module):
    """Integer counters that live on plain objects (a collector's env steps, PPO's annealing clock) as
    state-dict tensors, so that a resumed run continues them instead of starting again from 0: its
    metrics' env steps and time-to-score curves stay right, and an annealed step size goes on from where
    it was. `fields` maps a name to (object, attribute). A checkpoint written before a counter was saved
    leaves that counter as it is."""

    def __init__(self, fields: dict[str, tuple[Any, str]]) -> None:
        super().__init__()
        self.fields = fields

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return {
            name: torch.tensor(int(getattr(obj, attr)), dtype=torch.int64)
            for name, (obj, attr) in self.fields.items()
        }

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        for name, (obj, attr) in self.fields.items():
            if name in state_dict:
                setattr(obj, attr, int(state_dict[name]))
        return None


def ppo_progress(collector: Any, core: Any) -> Progress:
    """The counters of an on-policy PPO loop: env steps taken and the steps PPO's annealing has seen."""
    return Progress({"env_steps": (collector, "total_steps"), "ppo_steps_done": (core, "steps_done")})


class ReplayState(nn.Module):
    """An off-policy learner's replay buffers and the torch generators it samples with (actions, noise,
    penalty interpolation), as state-dict tensors. Without them a resumed SAC, SQIL or DAC run started
    from an empty buffer: it trained on a few thousand fresh rows and was a different run. What is
    still not saved is the env's own state: the resumed run starts a new episode."""

    def __init__(self, replays: dict[str, ReplayBuffer], generators: dict[str, torch.Generator]) -> None:
        super().__init__()
        self.replays = replays
        self.generators = generators

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        out = {
            f"{name}.{key}": torch.as_tensor(value).contiguous()
            for name, replay in self.replays.items()
            for key, value in replay.state_dict().items()
        }
        out.update({f"generator.{name}": gen.get_state() for name, gen in self.generators.items()})
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        if not state_dict:
            warnings.warn(
                "the checkpoint holds no replay buffer (written before mimetic saved them): "
                "the run goes on from an empty one",
                stacklevel=2,
            )
            return None
        for name, replay in self.replays.items():
            prefix = f"{name}."
            replay.load_state_dict(
                {k[len(prefix) :]: v.numpy() for k, v in state_dict.items() if k.startswith(prefix)}
            )
        for name, gen in self.generators.items():
            gen.set_state(state_dict[f"generator.{name}"])
        return None


def replay_checkpoint(
    collector: Any, replays: dict[str, ReplayBuffer], generators: dict[str, torch.Generator]
) -> dict[str, nn.Module]:
    """The checkpoint entries of a one-env off-policy loop: its env-step count (so warm-up is not
    repeated on resume) and its replay buffers and generators."""
    return {
        "progress": Progress({"env_steps": (collector, "total_steps")}),
        "replay": ReplayState(replays, generators),
    }


class RunningStatsState(nn.Module):
    """Exposes `RunningMeanStd` objects to checkpoints: their arrays become state-dict tensors."""

    def __init__(self, stats: dict[str, RunningMeanStd | None]) -> None:
        super().__init__()
        self.stats = {k: v for k, v in stats.items() if v is not None}

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return {
            f"{name}.{key}": torch.as_tensor(np.asarray(value, dtype=np.float64))
            for name, rms in self.stats.items()
            for key, value in rms.state_dict().items()
        }

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        for name, rms in self.stats.items():
            rms.load_state_dict({k: state_dict[f"{name}.{k}"].numpy() for k in ("mean", "var", "count")})
        return None
