"""Checkpoint folders: optimizer and RNG state round trips, atomic writes, no pickle."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mimetic.runtime.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from mimetic.runtime.seeding import (
    generator_from_state,
    generator_state,
    global_rng_state,
    seed_everything,
    set_global_rng_state,
)

torch.set_num_threads(1)


def _trained(seed: int) -> tuple[nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(seed)
    net = nn.Linear(3, 2)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(4, 3)).pow(2).sum().backward()
        opt.step()
    return net, opt


def test_modules_and_optimizer_round_trip(tmp_path: Path) -> None:
    net, opt = _trained(0)
    path = save_checkpoint(tmp_path, 3, {"net": net}, {"net": opt}, {"note": "x"})
    assert path == tmp_path / "step_3"
    assert sorted(p.name for p in path.iterdir()) == [
        "modules.safetensors",
        "optimizers.safetensors",
        "state.json",
    ]

    other, other_opt = _trained(1)
    ckpt = load_checkpoint(path, {"net": other}, {"net": other_opt})
    assert ckpt.step == 3 and ckpt.state["note"] == "x"
    assert all(
        torch.equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values(), strict=True)
    )
    # the next step of both optimizers is identical, so moments and step counts came back
    for model, optimizer in ((net, opt), (other, other_opt)):
        optimizer.zero_grad()
        model(torch.ones(1, 3)).sum().backward()
        optimizer.step()
    assert all(
        torch.equal(a, b) for a, b in zip(net.state_dict().values(), other.state_dict().values(), strict=True)
    )


def test_unfinished_temporary_folders_are_not_checkpoints(tmp_path: Path) -> None:
    net, opt = _trained(0)
    save_checkpoint(tmp_path, 10, {"net": net}, {"net": opt}, {})
    (tmp_path / ".tmp_step_20_123").mkdir()  # what a kill during a write leaves
    (tmp_path / "step_30").mkdir()  # no state.json: not complete
    assert [step for step, _ in list_checkpoints(tmp_path)] == [10]


def test_global_rng_state_round_trips_through_json() -> None:
    seed_everything(5)
    state = json.loads(json.dumps(global_rng_state()))
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    seed_everything(99)
    set_global_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_generator_state_round_trips_through_json() -> None:
    rng = np.random.default_rng(7)
    rng.integers(0, 10, 5)
    copy = generator_from_state(json.loads(json.dumps(generator_state(rng))))
    assert np.array_equal(rng.integers(0, 1000, 20), copy.integers(0, 1000, 20))
