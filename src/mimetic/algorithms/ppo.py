"""PPO as a registered algorithm: `mimetic train ppo --env ID` runs `mimetic.rl.PPO` in the Trainer.

One Trainer step is one PPO iteration: collect `num_envs * rollout_steps` env steps with the current
policy, then run the clipped-surrogate epochs on them (Schulman et al. 2017). Defaults per env come
from `ppo_preset`. Checkpoints hold the networks, Adam's state and the normalizers; the envs' own
state is not saved, so a resumed PPO run continues from fresh episodes (close to, but not bitwise
equal to, an uninterrupted run).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.online import ExportingPolicy, RunningStatsState, ppo_progress
from mimetic.policies.actor import policy_from_actor
from mimetic.policies.learned import TorchPolicy
from mimetic.rewards.learned import load_reward
from mimetic.rl.ppo import PPO as PPOLearnerCore
from mimetic.rl.ppo import PPOConfig, ppo_preset
from mimetic.rl.reward import RewardFn
from mimetic.rl.rollout import Rollout, VecCollector


def export_ppo_policy(core: PPOLearnerCore, observation_space: gym.spaces.Box) -> TorchPolicy:
    """The deterministic PPO actor (argmax or mean) as a `discrete` or `mlp` policy."""
    net = core.net
    params = dict(net.named_parameters())
    layers = []
    for i in range(net.depth):
        weight, bias = params[f"hidden_weight_{i}"], params[f"hidden_bias_{i}"]
        layers.append((weight[0].detach().numpy().T, bias[0, 0].detach().numpy()))
    layers.append((params["actor_weight"].detach().numpy().T, params["actor_bias"].detach().numpy()))
    mean = std = None
    if core.obs_rms is not None:
        mean, std = core.obs_rms.mean, np.sqrt(core.obs_rms.var + 1e-8)
    kind = "discrete" if net.discrete else "mlp"
    return policy_from_actor(
        kind, layers, core.cfg.activation, observation_space, core.action_space, mean, std
    )


class PPOTrainerLearner:
    """Adapts `mimetic.rl.PPO` to the Trainer's learner protocol."""

    def __init__(self, config: PPOConfig, env_id: str, seed: int, reward_fn: RewardFn | None = None) -> None:
        self.config = config
        self.collector = VecCollector(env_id, config.num_envs, seed, reward_fn=reward_fn)
        space = self.collector.single_observation_space
        if not isinstance(space, gym.spaces.Box):
            raise ValueError(f"PPO needs Box observations, {env_id} has {space}")
        self.observation_space = space
        self.core = PPOLearnerCore(config, space, self.collector.single_action_space, seed)
        self.policy = ExportingPolicy(self.core.policy(), lambda: export_ppo_policy(self.core, space))
        self._stats = RunningStatsState({"obs_rms": self.core.obs_rms, "ret_rms": self.core.ret_rms})
        self._progress = ppo_progress(self.collector, self.core)

    @property
    def counters(self) -> dict[str, int]:
        """Env steps so far, logged exactly on every metrics line (time-to-score reads them)."""
        return {"env_steps": self.collector.total_steps}

    def sample(self, rng: np.random.Generator) -> Rollout:
        return self.collector.rollout(self.core.act, self.config.rollout_steps)

    def update(self, batch: Rollout) -> dict[str, float]:
        metrics = self.core.update(batch)
        metrics["env_steps"] = float(self.collector.total_steps)
        return metrics

    def modules(self) -> dict[str, nn.Module]:
        return {"actor_critic": self.core.net, "normalizers": self._stats, "progress": self._progress}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"actor_critic": self.core.optimizer}  # type: ignore[dict-item]  # FlatAdam has the same API

    def validation_loss(self) -> float | None:
        return None


@ALGORITHMS.register("ppo")
class PPO:
    """Proximal Policy Optimization, registered as "ppo" (online: no dataset)."""

    Config = PPOConfig
    needs_dataset = False
    accepts_reward = True

    @staticmethod
    def default_config(env_id: str) -> PPOConfig:
        return ppo_preset(env_id)

    @staticmethod
    def build(
        dataset: Any, config: PPOConfig, *, env_id: str, seed: int = 0, reward: str | None = None, **_: Any
    ) -> PPOTrainerLearner:
        # a saved learned reward (`mimetic train ppo --reward DIR`) replaces the env's in every rollout
        return PPOTrainerLearner(config, env_id, seed, load_reward(reward) if reward is not None else None)
