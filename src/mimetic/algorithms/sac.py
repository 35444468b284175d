"""SAC as a registered algorithm: `mimetic train sac --env ID` runs `mimetic.rl.SAC` in the Trainer.

One Trainer step is one env step plus, once `learning_starts` steps are collected, one gradient
update on a uniform replay minibatch (Haarnoja et al. 2018's one update per step). Checkpoints hold
the networks, Adam states, the replay buffer, the env-step count and the sampling generator; the env's
own state is not saved, so a resumed run starts a new episode (it continues, but not bitwise like an
offline run).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.online import ExportingPolicy, replay_checkpoint
from mimetic.policies.actor import policy_from_actor
from mimetic.policies.learned import TorchPolicy
from mimetic.rewards.learned import load_reward
from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.reward import RewardFn
from mimetic.rl.rollout import VecCollector
from mimetic.rl.sac import SAC as SACCore
from mimetic.rl.sac import SACConfig, sac_preset


def export_sac_policy(core: SACCore, observation_space: gym.spaces.Box) -> TorchPolicy:
    """The deterministic SAC actor (tanh of the mean, in the action bounds; or the argmax)."""
    layers = [
        (m.weight.detach().numpy(), m.bias.detach().numpy()) for m in core.actor if isinstance(m, nn.Linear)
    ]
    kind = "discrete" if core.discrete else "gaussian"
    return policy_from_actor(kind, layers, "relu", observation_space, core.action_space)


class _Alpha(nn.Module):
    def __init__(self, core: SACCore) -> None:
        super().__init__()
        self.core = core

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        return {"log_alpha": self.core.log_alpha.detach().clone().reshape(1)}

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        with torch.no_grad():
            self.core.log_alpha.copy_(state_dict["log_alpha"].reshape(self.core.log_alpha.shape))
        return None


def sac_modules(core: SACCore) -> dict[str, nn.Module]:
    """What a checkpoint of any SAC-based learner (SAC, SQIL, RLIF) holds of the SAC core."""
    return {
        "actor": core.actor,
        "critics": core.critics,
        "target_critics": core.target_critics,
        "alpha": _Alpha(core),
    }


def sac_optimizers(core: SACCore) -> dict[str, torch.optim.Optimizer]:
    opts = {"actor": core.actor_opt, "critics": core.critic_opt, "alpha": core.alpha_opt}
    return opts  # type: ignore[return-value]  # FlatAdam has torch.optim's state-dict API


def warmup_or_act(core: SACCore, collector: VecCollector, learning_starts: int) -> np.ndarray:
    """Uniform random actions for the first `learning_starts` env steps, then samples of the SAC actor:
    the one-env step of SAC, SQIL and DAC."""
    if collector.total_steps < learning_starts:
        return np.array([collector.single_action_space.sample()])
    return core.act(collector.obs)


class SACTrainerLearner:
    """Adapts `mimetic.rl.SAC` to the Trainer's learner protocol."""

    def __init__(self, config: SACConfig, env_id: str, seed: int, reward_fn: RewardFn | None = None) -> None:
        self.config = config
        self.reward_fn = reward_fn
        self.collector = VecCollector(env_id, 1, seed)
        space = self.collector.single_observation_space
        if not isinstance(space, gym.spaces.Box):
            raise ValueError(f"SAC needs Box observations, {env_id} has {space}")
        self.core = SACCore(config, space, self.collector.single_action_space, seed)
        self.replay = ReplayBuffer(config.buffer_size)
        self.policy = ExportingPolicy(self.core.policy(), lambda: export_sac_policy(self.core, space))

    def sample(self, rng: np.random.Generator) -> dict[str, Any] | None:
        collector = self.collector
        action = warmup_or_act(self.core, collector, self.config.learning_starts)
        obs, acts, rews, next_obs, terminated, _ = collector.step(action)
        if self.reward_fn is not None:  # a learned reward replaces the env's (`--reward DIR`)
            rews = self.reward_fn(obs, acts, next_obs, rews)
        self.replay.add(obs, acts, rews, next_obs, terminated)
        if collector.total_steps < self.config.learning_starts:
            return None
        return self.replay.sample(self.config.batch_size, rng)

    def update(self, batch: dict[str, Any] | None) -> dict[str, float]:
        return {} if batch is None else self.core.update(batch)

    def modules(self) -> dict[str, nn.Module]:
        return {
            **sac_modules(self.core),
            **replay_checkpoint(self.collector, {"replay": self.replay}, {"sac": self.core.generator}),
        }

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return sac_optimizers(self.core)

    def validation_loss(self) -> float | None:
        return None


@ALGORITHMS.register("sac")
class SAC:
    """Soft Actor-Critic, registered as "sac" (online: no dataset)."""

    Config = SACConfig
    needs_dataset = False
    accepts_reward = True

    @staticmethod
    def default_config(env_id: str) -> SACConfig:
        return sac_preset(env_id)

    @staticmethod
    def build(
        dataset: Any, config: SACConfig, *, env_id: str, seed: int = 0, reward: str | None = None, **_: Any
    ) -> SACTrainerLearner:
        return SACTrainerLearner(config, env_id, seed, load_reward(reward) if reward is not None else None)
