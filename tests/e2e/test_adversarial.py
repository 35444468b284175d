"""Imitation with env interaction learns real things in seconds: IQ-Learn offline from one
demonstration, GAIL from ten, both on CartPole-v1 (random policy: 22.6); DAC from ten on Pendulum-v1."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from mimetic.algorithms.dac import dac_preset
from mimetic.algorithms.gail import gail_preset
from mimetic.algorithms.iq_learn import IQLearnConfig
from mimetic.experts import collect
from mimetic.runtime import TrainerConfig, train
from mimetic.zoo import load as zoo_load

torch.set_num_threads(1)


def _trainer(steps: int) -> TrainerConfig:
    return TrainerConfig(
        steps=steps,
        seed=0,
        eval_every=steps,
        eval_episodes=20,
        checkpoint_every=steps,
        progress=False,
        tensorboard=False,
        report=False,
    )


@pytest.mark.slow
def test_iq_learn_offline_from_one_demonstration_solves_cartpole(tmp_path: Path) -> None:
    # Garg et al. 2021 (authors' README): CartPole-v1 from 1 demonstration, fully offline, reaches 500
    demo = collect(zoo_load("CartPole-v1"), "CartPole-v1", episodes=1, seed=12_345)
    assert demo.num_steps == 500
    result = train(
        "iq-learn",
        demo,
        env_id="CartPole-v1",
        run_dir=tmp_path / "run",
        config=IQLearnConfig(offline=True),
        trainer=_trainer(1500),
    )
    assert result.summary["last"]["return_mean"] >= 450.0


@pytest.mark.slow
def test_gail_beats_random_clearly_on_cartpole(tmp_path: Path) -> None:
    demos = collect(zoo_load("CartPole-v1"), "CartPole-v1", episodes=10, seed=12_345)
    config = replace(gail_preset("CartPole-v1"))
    result = train(
        "gail", demos, env_id="CartPole-v1", run_dir=tmp_path / "run", config=config, trainer=_trainer(40)
    )
    # 40 rounds = 10,240 env steps; a random policy returns 22.6 on average
    assert result.summary["last"]["return_mean"] >= 200.0


@pytest.mark.slow
def test_dac_imitates_pendulum_in_a_few_thousand_env_steps(tmp_path: Path) -> None:
    # GAIL's PPO generator needs ~200k env steps here (docs/benchmarks.md); the off-policy one a few
    # thousand (seed 0 with 128x128 networks, which keep the test short: -1108 at 4000, -170 at 6000,
    # -145 at 7000; 64x64 reached -221 at 7000).
    demos = collect(zoo_load("Pendulum-v1"), "Pendulum-v1", episodes=10, seed=12_345)
    preset = dac_preset("Pendulum-v1")
    config = replace(preset, sac=replace(preset.sac, hidden_sizes=(128, 128)))
    result = train(
        "dac", demos, env_id="Pendulum-v1", run_dir=tmp_path / "run", config=config, trainer=_trainer(7000)
    )
    # random actions return about -1200, the zoo expert about -150 on the same seeds
    assert result.summary["last"]["return_mean"] >= -250.0
