"""AIRL (Fu et al. 2018, "Learning Robust Rewards with Adversarial Inverse Reinforcement Learning").

The discriminator has the shaped form D = exp(f) / (exp(f) + pi(a|s)) with
f(s, a, s') = g(s, a) + gamma h(s') - h(s). At the optimum g recovers the expert's reward (up to a
constant, exactly when g is state-only, Section 5) and h the value, so g is the reward to export:
the run writes it to `reward/`, and `mimetic train ppo --reward RUN/reward` retrains a fresh agent on
it (the transfer check in `benchmarks/adversarial.py`).

The paper rewards the generator with log D - log(1 - D) = f - log pi, which is negative where the
agent looks unlike the expert. On tasks that end early (CartPole-v1) a negative reward teaches the
agent to end episodes as fast as it can, the failure the imitation anchor shows (AIRL stays at
0.01 normalized, `../shared/anchors/imitation/RESULTS.md`). `generator_reward="softplus"` uses
-log(1 - D) = softplus(f - log pi) instead, positive like GAIL's; `export_transform="softplus"` does
the same to the exported g. Both are the defaults on CartPole-v1 and Acrobot-v1 (`airl_preset`); on
other envs the preset makes g state-only, which is what made the exported reward transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mimetic.algorithms.adversarial import (
    DISC_GRAD_PENALTY,
    AdversarialConfig,
    AdversarialLearner,
    generator_ppo,
)
from mimetic.algorithms.base import ALGORITHMS
from mimetic.data.dataset import Dataset

EARLY_ENDING_ENVS = ("CartPole-v1", "Acrobot-v1", "Hopper-v5", "Walker2d-v5")
"""Envs whose episodes end on failure: a reward that can be negative makes ending them attractive."""
STATE_ACTION_ENVS = ("CartPole-v1", "Acrobot-v1")
"""Envs whose preset g reads (s, a), as measured on CartPole-v1 (AIRL at 1.00, transfer 1.00)."""


@dataclass
class AIRLRewardOptions:
    """AIRL's reward choices, the same for the PPO generator (`train airl`) and the SAC one (`train airl-sac`)."""

    state_only: bool = False
    """g reads the state only: the disentangled reward of Fu et al. 2018, Section 5."""
    generator_reward: str = "logit"
    """"logit": the discriminator's logit (`train airl`: f - log pi, the paper's eq. 3; `train airl-sac`: f,
    see `mimetic.algorithms.dac`); "softplus": softplus of it, -log(1 - D), positive (see the module doc)."""
    export_transform: str = "identity"
    """The exported reward: g ("identity", the paper) or softplus(g) (positive)."""


@dataclass
class AIRLConfig(AIRLRewardOptions, AdversarialConfig):
    """AIRL hyperparameters; the shared ones are in `AdversarialConfig`, the reward's in `AIRLRewardOptions`."""


def airl_preset(env_id: str) -> AIRLConfig:
    """The env's tuned PPO as the generator (as `gail_preset`); positive rewards where episodes end early.

    Elsewhere g is state-only, the paper's disentangled reward (Section 5): on Pendulum-v1 a fresh PPO
    agent trained on the exported g(s) reached 0.85 normalized, against -0.26 with g(s, a) (seed 0, both
    imitating at 0.93-0.97; PPO on the true reward reaches 0.96-0.98 with the same budget).
    The MuJoCo tasks add GAIL's gradient penalty on the discriminator (`DISC_GRAD_PENALTY`).
    """
    config = AIRLConfig(
        ppo=generator_ppo(env_id),
        state_only=env_id not in STATE_ACTION_ENVS,
        grad_penalty=DISC_GRAD_PENALTY.get(env_id, 0.0),
    )
    if env_id in EARLY_ENDING_ENVS:
        config = replace(config, generator_reward="softplus", export_transform="softplus")
    return config


@ALGORITHMS.register("airl")
class AIRL:
    """Adversarial inverse reinforcement learning, registered as "airl"."""

    Config = AIRLConfig

    @staticmethod
    def default_config(env_id: str) -> AIRLConfig:
        return airl_preset(env_id)

    @staticmethod
    def build(
        dataset: Dataset, config: AIRLConfig, *, env_id: str, seed: int = 0, **_: Any
    ) -> AdversarialLearner:
        return AdversarialLearner(
            dataset,
            config,
            env_id,
            seed,
            shaped=True,
            state_only=config.state_only,
            generator_reward=config.generator_reward,
        )
