"""What the PPO and SAC algorithms share: a saveable view of the learner's current policy, and
normalizer state that checkpoints carry as tensors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

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
