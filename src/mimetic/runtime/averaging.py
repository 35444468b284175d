"""Checkpoint averaging: a run's output policy as the mean of its last checkpoints' policy weights.

Late in training an adversarial learner's policy can swing from one evaluation to the next while its
average stays good. DAC on Hopper-v5 (`benchmarks/adversarial.py --dac`, 150k env steps): seeds 1 and 2
scored 0.92-1.00 normalized at every evaluation from 95k to 145k env steps, then 0.10 and 0.05 at the
last one; the mean of the policies saved at 120k, 130k, 140k and 150k scored 1.01 and 0.96. Averaging
weights along the end of a run is stochastic weight averaging (Izmailov et al. 2018, "Averaging Weights
Leads to Wider Optima and Better Generalization"; for RL, Nikishin et al. 2018, "Improving Stability in
Deep Reinforcement Learning with Weight Averaging"), here over the checkpoints a run already saves, as
Vaswani et al. 2017 averaged their last checkpoints. Training itself is untouched: only the exported
policy is the average.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from mimetic.data.io import replace_path
from mimetic.runtime.checkpoint import list_checkpoints

WEIGHTS = "policy.safetensors"
SPEC = "policy.json"


class AveragingError(ValueError):
    """Policies that cannot be averaged (missing, or of different shapes); the message names the file."""


def checkpoint_policies(run_dir: str | Path, last: int) -> list[tuple[int, Path]]:
    """(step, policy dir) of the run's last `last` checkpoints, oldest first."""
    if last < 1:
        raise AveragingError(f"the number of checkpoints to average must be at least 1, got {last}")
    found = [(step, path / "policy") for step, path in list_checkpoints(Path(run_dir) / "checkpoints")]
    if len(found) < last:
        raise AveragingError(
            f"{run_dir}: averaging the last {last} checkpoints needs {last} saved ones, found {len(found)} "
            "(save more often with --checkpoint-every, or average fewer)"
        )
    return found[-last:]


def average_policies(policy_dirs: Sequence[str | Path], out: str | Path) -> Path:
    """Write to `out` the policy whose floating tensors are the mean of those in `policy_dirs`.

    All must be the same policy (identical `policy.json`, the same tensor names and shapes); integer
    tensors and every other file come from the last one. `out` is replaced whole or not at all.
    """
    dirs = [Path(d) for d in policy_dirs]
    if not dirs:
        raise AveragingError("no policies to average")
    specs = [_read_spec(d) for d in dirs]
    tensors = [_read_weights(d) for d in dirs]
    reference = tensors[-1]
    for d, spec, weights in zip(dirs, specs, tensors, strict=True):
        if spec != specs[-1]:
            raise AveragingError(
                f"{d / SPEC}: a different policy from {dirs[-1] / SPEC}; only one policy's checkpoints "
                "can be averaged"
            )
        for name, value in reference.items():
            if name not in weights or weights[name].shape != value.shape:
                found = "missing" if name not in weights else f"shape {tuple(weights[name].shape)}"
                raise AveragingError(
                    f"{d / WEIGHTS}: tensor '{name}' expected shape {tuple(value.shape)}, found {found}"
                )
    mean = {}
    for name, value in reference.items():
        if value.is_floating_point():
            # float64 accumulation: the mean does not depend on the order beyond the last float32 bit
            total = torch.stack([w[name].to(torch.float64) for w in tensors]).sum(0)
            mean[name] = (total / len(tensors)).to(value.dtype).contiguous()
        else:
            mean[name] = value
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    shutil.copytree(dirs[-1], tmp, dirs_exist_ok=True)
    save_file(mean, str(tmp / WEIGHTS))
    replace_path(tmp, out)
    return out


def _read_spec(policy_dir: Path) -> object:
    path = policy_dir / SPEC
    if not path.is_file():
        raise AveragingError(f"{path}: not found; each checkpoint to average must hold its policy")
    return json.loads(path.read_text())


def _read_weights(policy_dir: Path) -> dict[str, torch.Tensor]:
    path = policy_dir / WEIGHTS
    if not path.is_file():
        raise AveragingError(f"{path}: not found; only policies saved as safetensors weights can be averaged")
    return load_file(str(path))
