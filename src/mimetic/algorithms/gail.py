"""GAIL (Ho & Ermon 2016, "Generative Adversarial Imitation Learning"): PPO against a discriminator.

The discriminator D(s, a) learns to tell demonstrations from the agent's transitions; the PPO
generator is rewarded with -log(1 - D(s, a)), which is positive, so on tasks that end early
(CartPole-v1) staying alive is never penalized. `mimetic train gail --dataset PATH --env ID`.
The run exports the learned reward next to the policy (`reward/`, a `LearnedReward`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mimetic.algorithms.adversarial import (
    DISC_GRAD_PENALTY,
    AdversarialConfig,
    AdversarialLearner,
    generator_ppo,
)
from mimetic.algorithms.base import ALGORITHMS
from mimetic.data.dataset import Dataset


@dataclass
class GAILConfig(AdversarialConfig):
    """GAIL hyperparameters: the generator (`ppo`) and the discriminator (see `AdversarialConfig`)."""


def gail_preset(env_id: str) -> GAILConfig:
    """The generator is the env's tuned PPO (`generator_ppo`: rl-baselines3-zoo's settings, annealed on
    Pendulum), as the GAIL paper took its generator's settings from RL (TRPO with the RL settings, Ho &
    Ermon 2016, Section 6). The MuJoCo tasks add a gradient penalty on the discriminator
    (`DISC_GRAD_PENALTY`, which says what it fixed)."""
    return GAILConfig(ppo=generator_ppo(env_id), grad_penalty=DISC_GRAD_PENALTY.get(env_id, 0.0))


@ALGORITHMS.register("gail")
class GAIL:
    """Generative adversarial imitation learning, registered as "gail"."""

    Config = GAILConfig

    @staticmethod
    def default_config(env_id: str) -> GAILConfig:
        return gail_preset(env_id)

    @staticmethod
    def build(
        dataset: Dataset, config: GAILConfig, *, env_id: str, seed: int = 0, **_: Any
    ) -> AdversarialLearner:
        return AdversarialLearner(dataset, config, env_id, seed, shaped=False)
