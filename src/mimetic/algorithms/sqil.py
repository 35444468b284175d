"""SQIL (Reddy et al. 2019, "SQIL: Imitation Learning via Reinforcement Learning with Sparse Rewards").

Soft Q-learning where demonstrations carry reward 1 and the agent's own transitions reward 0,
every minibatch drawn half from each (the paper's balanced sampling, lambda_samp = 1). The learner
is mimetic's SAC (`mimetic.rl.sac`, discrete or continuous actions): only what goes into its
batches changes, through `MixedReplay`. One Trainer step is one env step plus one update.
`mimetic train sqil --dataset PATH --env ID`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.adversarial import demo_arrays
from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.online import ExportingPolicy, replay_checkpoint
from mimetic.algorithms.sac import export_sac_policy, sac_modules, sac_optimizers, warmup_or_act
from mimetic.data.dataset import Dataset
from mimetic.rl.replay import MixedReplay, ReplayBuffer
from mimetic.rl.rollout import VecCollector
from mimetic.rl.sac import SAC as SACCore
from mimetic.rl.sac import SACConfig, sac_preset

DEMO_REWARD = 1.0
AGENT_REWARD = 0.0


@dataclass
class SQILConfig:
    """SQIL hyperparameters; the soft Q-learner's are in `sac`."""

    sac: SACConfig = field(default_factory=SACConfig)
    """The SAC learner (Reddy et al. 2019 use soft Q-learning; SAC is its actor-critic form, Appendix A.2)."""
    demo_fraction: float = 0.5
    """Share of each minibatch drawn from the demonstrations (the paper: half, lambda_samp = 1)."""


def sqil_preset(env_id: str) -> SQILConfig:
    """The env's SAC settings (`sac_preset`) with a short warm-up: the demonstrations already fill
    half of every batch, so learning can start after 1000 agent steps (rl-baselines3-zoo's SAC
    warm-up on the classic tasks).

    Discrete actions get a fixed temperature of 0.01 and 64x64 networks. Discrete SAC's autotuning
    aims at an entropy of 0.89 log|A|, nearly uniform with two actions, which the near-deterministic
    expert never shows: on CartPole-v1 alpha rose to 300 and Q diverged within 15k steps (measured);
    with alpha fixed the agent reached 500 after 6k steps, and 64x64 networks run 4x faster than
    256x256 on this machine. SQIL itself is soft Q-learning with a fixed temperature (Reddy et al. 2019).
    """
    base = sac_preset(env_id)
    sac = replace(base, learning_starts=1_000, buffer_size=200_000)
    env = gym.make(env_id)
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    env.close()
    if discrete:
        sac = replace(sac, autotune=False, init_alpha=0.01, hidden_sizes=(64, 64))
    return SQILConfig(sac=sac)


class SQILLearner:
    """SAC on 50/50 batches of (demonstrations, reward 1) and (own experience, reward 0)."""

    def __init__(self, dataset: Dataset, config: SQILConfig, env_id: str, seed: int) -> None:
        if not 0.0 < config.demo_fraction < 1.0:
            raise ValueError(f"demo_fraction must be in (0, 1), got {config.demo_fraction}")
        self.config = config
        self.collector = VecCollector(env_id, 1, seed)
        space = self.collector.single_observation_space
        if not isinstance(space, gym.spaces.Box):
            raise ValueError(f"SQIL needs Box observations, {env_id} has {space}")
        act_space = self.collector.single_action_space
        demos = demo_arrays(dataset, int(np.prod(space.shape)), act_space)
        self.core = SACCore(config.sac, space, act_space, seed)
        self.demo_buffer = ReplayBuffer(len(demos.acts))
        self.demo_buffer.add(
            demos.obs.reshape(len(demos.acts), *space.shape),
            demos.acts,
            np.full(len(demos.acts), DEMO_REWARD, dtype=np.float32),
            demos.next_obs.reshape(len(demos.acts), *space.shape),
            demos.terminals,
        )
        self.agent_buffer = ReplayBuffer(config.sac.buffer_size)
        self.replay = MixedReplay(
            [self.demo_buffer, self.agent_buffer], [config.demo_fraction, 1 - config.demo_fraction]
        )
        self.policy = ExportingPolicy(self.core.policy(), lambda: export_sac_policy(self.core, space))

    def sample(self, rng: np.random.Generator) -> dict[str, Any] | None:
        collector = self.collector
        action = warmup_or_act(self.core, collector, self.config.sac.learning_starts)
        obs, acts, _, next_obs, terminated, _ = collector.step(action)
        self.agent_buffer.add(
            obs, acts, np.full(len(acts), AGENT_REWARD, dtype=np.float32), next_obs, terminated
        )
        if collector.total_steps < self.config.sac.learning_starts:
            return None
        return self.replay.sample(self.config.sac.batch_size, rng)

    def update(self, batch: dict[str, Any] | None) -> dict[str, float]:
        metrics = {} if batch is None else self.core.update(batch)
        returns, _ = self.collector.pop_finished()
        if returns:
            metrics["env_return"] = float(np.mean(returns))
        return metrics

    def modules(self) -> dict[str, nn.Module]:
        return {
            **sac_modules(self.core),
            **replay_checkpoint(self.collector, {"agent": self.agent_buffer}, {"sac": self.core.generator}),
        }

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return sac_optimizers(self.core)

    def validation_loss(self) -> float | None:
        return None


@ALGORITHMS.register("sqil")
class SQIL:
    """Soft Q imitation learning, registered as "sqil"."""

    Config = SQILConfig

    @staticmethod
    def default_config(env_id: str) -> SQILConfig:
        return sqil_preset(env_id)

    @staticmethod
    def build(dataset: Dataset, config: SQILConfig, *, env_id: str, seed: int = 0, **_: Any) -> SQILLearner:
        return SQILLearner(dataset, config, env_id, seed)
