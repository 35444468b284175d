"""DAC (Kostrikov et al. 2019, "Discriminator-Actor-Critic: Addressing Sample Inefficiency and Reward
Bias in Adversarial Imitation Learning"): GAIL's discriminator with an off-policy generator.

GAIL's PPO generator throws each rollout away after one update, so on MuJoCo it needs millions of env
steps (our GAIL with the tuned PPO: HalfCheetah-v5 0.79, Hopper-v5 0.25 normalized after 500k). DAC
keeps every transition in a replay buffer, trains the discriminator on replay samples against the
demonstrations (with the gradient penalty of 10 the paper uses), and an off-policy learner on the
same buffer with rewards recomputed from the current discriminator at every update. Kostrikov et al.
use TD3; here the generator is mimetic's SAC, as in later DAC implementations.

One Trainer step is one env step, one discriminator step, then one SAC update (once `learning_starts`
steps are in the buffer). The reward is GAIL's -log(1 - D) = softplus(logit), positive, so on tasks that
end on failure (Hopper-v5) living longer is never penalized. The paper's other fix, absorbing states for
the bias of rewards at episode ends, is left out: with a positive reward the bias favours survival,
which the expert shows. `mimetic train dac --dataset PATH --env ID --steps 200000`.

Off-policy AIRL (Arnob 2020, "Off-Policy Adversarial Inverse Reinforcement Learning"; registered as
"airl-sac") is the same loop with AIRL's shaped discriminator, f = g + gamma h(s') - h(s). The paper's
logit is l = f - log q(a|s) (here with `discriminator_log_q=True`; the default is f alone, see below),
where q is the density the sample was drawn from. For replay rows that is
the behaviour policy's, stored when the action was taken (uniform during warm-up); for demonstrations,
the current SAC policy's. Scoring the replay's old actions under the current policy instead, as the
paper does, made f track those log-densities on HalfCheetah-v5 (seed 0): as the policy sharpened, old
actions got log pi far below zero, and by 30k env steps f averaged -200 to -470 per step and the
critics' Q -18,700 (score -0.08; DAC's three seeds 0.03-0.08 at 30k).
The generator's reward is f, not the paper's f - log pi: SAC's own entropy bonus already plays the
part of -log pi, and with both (and current-policy scoring) the same run's entropy fell to -47, Q rose
to +3300 and the score was -0.20 at 40k (DAC: 0.30). `reward_log_pi=True` restores it. Where episodes
end early, `airl_preset`'s softplus keeps the reward positive; the exported g follows `airl_preset` too.

By default the discriminator's logit is f alone, without -log q (`discriminator_log_q=False`), as in
the off-policy AIRL of Ghasemipour et al. 2019 ("A Divergence Minimization Perspective on Imitation
Learning Methods", f-MAX), whose reward, the logit, is AIRL's reverse-KL one. With a sharp SAC policy
the log q term alone told replay (log q of the acting policy, high) from demonstrations (log pi of the
expert's actions, far below zero): on HalfCheetah-v5 and Hopper-v5 the discriminator's loss fell to
0.00 within 10k env steps and f stopped carrying a signal (HalfCheetah 0.02 at 25k). With f alone the
same seed-0 HalfCheetah-v5 run scored 0.28 / 0.32 / 0.43 at 20k / 30k / 40k (10 eval episodes; DAC
0.03 / 0.06 / 0.30), with the discriminator at 97% accuracy, not 100%. f keeps AIRL's shaping, so g
is still the disentangled reward that `exported_reward` saves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.adversarial import (
    DiscriminatorFit,
    PolicyAndReward,
    demo_arrays,
    g_reward,
    take_rows,
)
from mimetic.algorithms.airl import AIRLRewardOptions, airl_preset
from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.online import replay_checkpoint
from mimetic.algorithms.sac import export_sac_policy, sac_modules, sac_optimizers, warmup_or_act
from mimetic.data.dataset import Dataset
from mimetic.rewards.discriminator import Batch, Discriminator, check_generator_reward, reward_from_logits
from mimetic.rewards.learned import LearnedReward
from mimetic.rewards.nets import fit_obs_stats
from mimetic.rl.replay import ReplayBuffer
from mimetic.rl.rollout import VecCollector
from mimetic.rl.sac import SAC as SACCore
from mimetic.rl.sac import SACConfig, sac_preset


@dataclass
class DACConfig:
    """DAC hyperparameters: the SAC generator (`sac`) and the discriminator's training."""

    sac: SACConfig = field(default_factory=SACConfig)
    """The off-policy generator (`mimetic.rl.sac.SACConfig`); its rewards come from the discriminator."""
    disc_hidden_sizes: tuple[int, ...] = (100, 100)
    """Discriminator MLP widths."""
    disc_learning_rate: float = 1e-3
    """Adam step size of the discriminator (Kostrikov et al. 2019: 1e-3)."""
    disc_batch_size: int = 256
    """Rows per class in each discriminator minibatch (replay and demonstrations, half and half)."""
    disc_every: int = 1
    """Env steps between discriminator steps (1: one discriminator step per SAC update)."""
    grad_penalty: float = 10.0
    """Weight of the gradient penalty on the discriminator (Kostrikov et al. 2019: 10)."""


@dataclass
class AIRLSACConfig(AIRLRewardOptions, DACConfig):
    """Off-policy AIRL: DAC's loop and settings with AIRL's reward choices (`AIRLRewardOptions`)."""

    h_hidden_sizes: tuple[int, ...] | None = None
    """Widths of the shaping network h; None: `disc_hidden_sizes`, as g."""
    reward_log_pi: bool = False
    """Subtract log pi(a|s) from f in the generator's reward (the paper's l = f - log pi); off by default,
    SAC's entropy bonus stands in for it (see the module doc)."""
    discriminator_log_q: bool = False
    """True: the discriminator's logit is f - log q(a|s) (Fu et al. 2018; Arnob 2020). False (the
    default): f alone, as in the off-policy AIRL of Ghasemipour et al. 2019 (f-MAX), keeping the shaped
    f, the reward f and the exported g. On MuJoCo the log q term saturated the discriminator (module doc)."""


def dac_preset(env_id: str) -> DACConfig:
    """The env's SAC settings (`sac_preset`) with a 200k-transition buffer, enough for the budgets
    DAC needs on the benchmark tasks (its point is to need few env steps)."""
    return DACConfig(sac=replace(sac_preset(env_id), buffer_size=200_000))


SMALL_H_SIZES = (32, 32)
"""The shaping network h's widths off MuJoCo: the default of imitation's potential network
(`BasicShapedRewardNet(potential_hid_sizes=(32, 32))`), and on-policy AIRL's h here. h only has to
carry a value-like potential, and with g's (100, 100) its four passes per discriminator step made
off-policy AIRL cost 1.58x SAC alone on Pendulum-v1 (3 seeds, 10k env steps). With (32, 32) a
discriminator step took 4.7 ms against 5.8 (3.9 against 5.0 since the closed-form gradient penalty;
`benchmarks/adversarial_step_cost.py`), and the same
3 runs scored 1.01 at 1.38x and 1.48x SAC alone (two timings; 100x100 timed 1.49x the same day), with
the exported g transferring at 0.94 +- 0.01 (100x100: 0.83 +- 0.17). docs/adversarial.md."""


HOPPER_LATE_ACTOR_LR = 3e-5
"""Off-policy AIRL's actor step size on Hopper-v5 from actor update `HOPPER_LATE_ACTOR_DECAY[1]` on."""
HOPPER_LATE_ACTOR_DECAY = (145_000, 165_000)
"""The actor updates over which Hopper-v5's actor step size falls linearly from 3e-4 to
`HOPPER_LATE_ACTOR_LR`: 150k-170k env steps of the benchmark's 250k (5k random steps come first).
With it, h at `SMALL_H_SIZES` and the mean of the last 4 checkpoints (220k-250k, `--average-last 4`),
three seeds scored 0.9499 / 0.9505 / 0.9497 (0.9500 +- 0.0004; their last weights 0.33 / 0.94 / 0.90).
The former preset (h 100x100, a constant 3e-4) scored 0.92 +- 0.08 averaged and 0.92 +- 0.06 at the
end: Hopper-v5's policy keeps falling and recovering, and the small late step keeps the checkpoints
that are averaged near each other (docs/adversarial.md)."""


G_WIDTH_H_TASKS = ("HalfCheetah-v5", "Walker2d-v5")
"""Tasks whose off-policy AIRL h keeps g's widths: HalfCheetah-v5's recorded 1.05 ran so, and a small h
is not measured on either."""


def airl_sac_preset(env_id: str) -> AIRLSACConfig:
    """`dac_preset`'s generator and discriminator training with `airl_preset`'s reward choices: g
    state-only except on CartPole-v1 and Acrobot-v1, and positive rewards where episodes end early.

    h is `SMALL_H_SIZES` except on `G_WIDTH_H_TASKS` (docs/adversarial.md). Hopper-v5 adds
    a late small actor step size (`HOPPER_LATE_ACTOR_DECAY`) for `--average-last 4`."""
    airl = airl_preset(env_id)
    options = {f.name: getattr(airl, f.name) for f in fields(AIRLRewardOptions)}
    sac = dac_preset(env_id).sac
    if env_id == "Hopper-v5":
        sac = replace(sac, actor_lr_final=HOPPER_LATE_ACTOR_LR, actor_lr_decay=HOPPER_LATE_ACTOR_DECAY)
    h_sizes = None if env_id in G_WIDTH_H_TASKS else SMALL_H_SIZES
    return AIRLSACConfig(sac=sac, h_hidden_sizes=h_sizes, **options)


class DACLearner:
    """SAC on its own replay, rewarded by a discriminator that tells that replay from demonstrations."""

    def __init__(self, dataset: Dataset, config: DACConfig, env_id: str, seed: int) -> None:
        if config.disc_every < 1:
            raise ValueError(f"disc_every must be at least 1, got {config.disc_every}")
        self.airl = config if isinstance(config, AIRLSACConfig) else None
        # DAC's reward is GAIL's softplus; off-policy AIRL's is its chosen one
        self.generator_reward = "softplus" if self.airl is None else self.airl.generator_reward
        check_generator_reward(self.generator_reward)
        self.config = config
        self.collector = VecCollector(env_id, 1, seed)
        obs_space = self.collector.single_observation_space
        act_space = self.collector.single_action_space
        if not isinstance(obs_space, gym.spaces.Box):
            raise ValueError(f"{env_id}: DAC needs Box observations, got {obs_space}")
        self.discrete = isinstance(act_space, gym.spaces.Discrete)
        obs_dim = int(np.prod(obs_space.shape))
        act_dim = (
            int(act_space.n)
            if isinstance(act_space, gym.spaces.Discrete)
            else int(np.prod(act_space.shape or (1,)))
        )
        self.demos = demo_arrays(dataset, obs_dim, act_space)
        self.core = SACCore(config.sac, obs_space, act_space, seed)
        self.replay = ReplayBuffer(config.sac.buffer_size)
        mean, std = fit_obs_stats(self.demos.obs)
        self.disc = Discriminator(
            obs_dim,
            act_dim,
            self.discrete,
            config.disc_hidden_sizes,
            mean,
            std,
            shaped=self.airl is not None,
            state_only=self.airl is not None and self.airl.state_only,
            gamma=config.sac.gamma,
            h_hidden_sizes=self.airl.h_hidden_sizes if self.airl is not None else None,
        )
        self.fit = DiscriminatorFit(self.disc, config.disc_learning_rate, config.grad_penalty, seed)
        self.policy = PolicyAndReward(
            self.core.policy(), lambda: export_sac_policy(self.core, obs_space), self.exported_reward
        )
        self.meta = {"env_id": env_id, "algorithm": "airl-sac" if self.airl else "dac"}
        # the log-density of warm-up's uniform actions, the same for every one of them
        if isinstance(act_space, gym.spaces.Discrete):
            self._uniform_log_q = -float(np.log(float(act_space.n)))
        else:
            assert isinstance(act_space, gym.spaces.Box)  # DAC's spaces are Discrete or Box
            self._uniform_log_q = -float(
                np.sum(np.log(np.asarray(act_space.high, np.float64) - act_space.low))
            )

    @property
    def counters(self) -> dict[str, int]:
        """Env steps so far, logged exactly on every metrics line (time-to-score reads them)."""
        return {"env_steps": self.collector.total_steps}

    def sample(self, rng: np.random.Generator) -> dict[str, Any] | None:
        collector = self.collector
        warmup = collector.total_steps < self.config.sac.learning_starts
        action = warmup_or_act(self.core, collector, self.config.sac.learning_starts)
        log_q = self._behaviour_log_q(collector.obs, action, warmup)
        obs, acts, _, next_obs, terminated, _ = collector.step(action)
        # the env's reward is never stored (the discriminator relabels every batch), so its column
        # holds what AIRL's discriminator needs of each replay row: the log-density it was drawn from
        self.replay.add(obs, acts, log_q, next_obs, terminated)
        if collector.total_steps < self.config.sac.learning_starts:
            return None
        batch: dict[str, Any] = {"sac": self.replay.sample(self.config.sac.batch_size, rng)}
        if collector.total_steps % self.config.disc_every == 0:
            size = min(self.config.disc_batch_size, len(self.demos.acts))
            batch["agent"] = self.replay.sample(size, rng)
            batch["expert"] = rng.integers(0, len(self.demos.acts), size=size)
        return batch

    def update(self, batch: dict[str, Any] | None) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if batch is not None:
            if "agent" in batch:
                expert = self._with_log_pi(take_rows(self.demos, batch["expert"]), self._disc_log_q)
                agent = _as_disc_batch(batch["agent"])
                if self.airl is not None:  # the replay's log q column (zeros without discriminator_log_q)
                    agent = replace(agent, log_pi=np.asarray(batch["agent"]["rews"], dtype=np.float32))
                metrics.update(self.fit.step(agent, expert))
            sac = batch["sac"]
            with torch.no_grad():
                logits = self.disc.logits(self._with_log_pi(_as_disc_batch(sac), self._reward_log_pi))
            sac["rews"] = reward_from_logits(logits, self.generator_reward).numpy().astype(np.float32)
            metrics.update(self.core.update(sac))
            metrics["reward/mean"] = float(sac["rews"].mean())
        returns, _ = self.collector.pop_finished()
        if returns:
            metrics["env_return"] = float(np.mean(returns))
        return metrics

    def modules(self) -> dict[str, nn.Module]:
        generators = {"sac": self.core.generator, "discriminator": self.fit.generator}
        return {
            **sac_modules(self.core),
            "discriminator": self.disc,
            **replay_checkpoint(self.collector, {"replay": self.replay}, generators),
        }

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts: dict[str, Any] = {**sac_optimizers(self.core), "discriminator": self.fit.opt}
        return opts  # FlatAdam has torch.optim's state-dict API

    def validation_loss(self) -> float | None:
        return None

    def _behaviour_log_q(self, obs: np.ndarray, action: np.ndarray, warmup: bool) -> np.ndarray:
        """log q(a|s) of the action about to be taken: uniform during warm-up, else the SAC policy's
        (zeros for DAC and for AIRL without `discriminator_log_q`, whose discriminators need none)."""
        if not self._disc_log_q:
            return np.zeros(len(action), dtype=np.float32)
        if not warmup:
            return self.core.log_prob(obs, action)
        return np.full(len(action), self._uniform_log_q, dtype=np.float32)

    @property
    def _disc_log_q(self) -> bool:
        return self.airl is not None and self.airl.discriminator_log_q

    @property
    def _reward_log_pi(self) -> bool:
        return self.airl is not None and self.airl.reward_log_pi

    def _with_log_pi(self, batch: Batch, log_pi: bool = True) -> Batch:
        """AIRL's demonstration batches carry the current policy's log pi(a|s), and so do replay batches
        relabelled with `reward_log_pi`; zeros where the logit is to be f alone (`log_pi=False`). GAIL's
        need none."""
        if self.airl is None:
            return batch
        if not log_pi:
            return replace(batch, log_pi=np.zeros(len(batch.obs), dtype=np.float32))
        return replace(batch, log_pi=self.core.log_prob(batch.obs, batch.acts))

    def exported_reward(self) -> LearnedReward:
        """DAC: GAIL's reward softplus(g(s, a)), as `train gail` exports it; off-policy AIRL: its g
        (softplus(g) where `export_transform` says so), as `train airl` exports it."""
        transform = "softplus" if self.airl is None else self.airl.export_transform
        return g_reward(self.disc, transform, self.config.sac.gamma, self.meta)


def _as_disc_batch(rows: dict[str, Any]) -> Batch:
    n = len(rows["acts"])
    acts = np.asarray(rows["acts"])
    return Batch(
        np.asarray(rows["obs"], dtype=np.float32).reshape(n, -1),
        acts.reshape(n) if acts.ndim == 1 else acts.reshape(n, -1),
        np.asarray(rows["next_obs"], dtype=np.float32).reshape(n, -1),
        np.asarray(rows["terminals"], dtype=bool).reshape(n),
    )


@ALGORITHMS.register("dac")
class DAC:
    """Discriminator-Actor-Critic (GAIL with an off-policy SAC generator), registered as "dac"."""

    Config = DACConfig

    @staticmethod
    def default_config(env_id: str) -> DACConfig:
        return dac_preset(env_id)

    @staticmethod
    def build(dataset: Dataset, config: DACConfig, *, env_id: str, seed: int = 0, **_: Any) -> DACLearner:
        return DACLearner(dataset, config, env_id, seed)


@ALGORITHMS.register("airl-sac")
class AIRLSAC:
    """Off-policy AIRL (AIRL's shaped discriminator with DAC's SAC generator), registered as "airl-sac"."""

    Config = AIRLSACConfig

    @staticmethod
    def default_config(env_id: str) -> AIRLSACConfig:
        return airl_sac_preset(env_id)

    @staticmethod
    def build(dataset: Dataset, config: AIRLSACConfig, *, env_id: str, seed: int = 0, **_: Any) -> DACLearner:
        return DACLearner(dataset, config, env_id, seed)
