"""The adversarial imitation loop GAIL and AIRL share: collect, update the discriminator, relabel, PPO.

One Trainer step is one round (the structure of imitation's `AdversarialTrainer.train_gen` +
`train_disc`, written as single steps the Trainer can checkpoint and resume):
  1. collect `num_envs * rollout_steps` env steps with the current PPO policy;
  2. `disc_updates` logistic-regression steps on minibatches of demonstrations against this
     round's agent transitions;
  3. relabel the round's rewards with the updated discriminator;
  4. PPO's clipped-surrogate epochs on the relabelled rollout.
The PPO learner never knows its reward came from a discriminator (`mimetic.rl.ppo`).
The minibatch indices come from the Trainer's generator, so a resumed run draws the same ones.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.online import ExportingPolicy, RunningStatsState, ppo_progress
from mimetic.algorithms.ppo import export_ppo_policy
from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.nn.ensemble import FlatAdam, flatten_parameters
from mimetic.nn.heads import log_softmax_np
from mimetic.rewards.discriminator import (
    Batch,
    Discriminator,
    check_generator_reward,
    concat_batches,
    discriminator_loss,
    gradient_penalty,
    reward_from_logits,
)
from mimetic.rewards.learned import LearnedReward
from mimetic.rewards.nets import fit_obs_stats
from mimetic.rl.ppo import MUJOCO_PPO, PPOConfig, ppo_preset
from mimetic.rl.ppo import PPO as PPOCore
from mimetic.rl.rollout import Rollout, VecCollector


@dataclass
class AdversarialConfig:
    """What GAIL and AIRL share: the PPO generator and the discriminator's training."""

    ppo: PPOConfig = field(default_factory=PPOConfig)
    """The generator (see `mimetic.rl.ppo.PPOConfig`; `ppo.ent_coef` is the entropy bonus)."""
    disc_hidden_sizes: tuple[int, ...] = (32, 32)
    """Discriminator MLP widths (imitation's `BasicRewardNet` uses (32, 32))."""
    disc_learning_rate: float = 1e-3
    """Adam step size of the discriminator (imitation's default Adam lr is 1e-3)."""
    disc_updates: int | None = None
    """Discriminator minibatch steps per round; None: one pass over the round's agent transitions
    (round size / disc_batch_size, at least 1). That is 1 on CartPole-v1's 256-step rounds and 16
    on Pendulum-v1's 4096-step ones; more passes over-fit the discriminator and made GAIL on
    CartPole-v1 unstable (4 passes: 1 of 3 seeds at 500 after 80 rounds; 1 pass: 3 of 3)."""
    disc_batch_size: int = 256
    """Rows per class in each discriminator minibatch (demonstrations and agent, half and half)."""
    grad_penalty: float = 0.0
    """Weight of the gradient penalty (0: off; Kostrikov et al. 2019 use 10)."""
    spectral_norm: bool = False
    """Spectral normalization on every discriminator layer (Miyato et al. 2018)."""


class AdversarialLearner:
    """PPO in an env with a discriminator's reward; `shaped=True` makes it AIRL."""

    def __init__(
        self,
        dataset: Dataset,
        config: Any,
        env_id: str,
        seed: int,
        *,
        shaped: bool,
        state_only: bool = False,
        generator_reward: str = "softplus",
    ) -> None:
        check_generator_reward(generator_reward)
        self.config = config
        self.shaped = shaped
        self.generator_reward = generator_reward
        ppo = config.ppo
        self.collector = VecCollector(env_id, ppo.num_envs, seed)
        obs_space = self.collector.single_observation_space
        act_space = self.collector.single_action_space
        if not isinstance(obs_space, gym.spaces.Box):
            raise ValueError(f"{env_id}: adversarial imitation needs Box observations, got {obs_space}")
        self.discrete = isinstance(act_space, gym.spaces.Discrete)
        self.obs_dim = int(np.prod(obs_space.shape))
        act_dim = (
            int(act_space.n)
            if isinstance(act_space, gym.spaces.Discrete)
            else int(np.prod(act_space.shape or (1,)))
        )
        self.demos = demo_arrays(dataset, self.obs_dim, act_space)
        self.core = PPOCore(ppo, obs_space, act_space, seed)
        mean, std = fit_obs_stats(self.demos.obs)
        self.disc = Discriminator(
            self.obs_dim,
            act_dim,
            self.discrete,
            config.disc_hidden_sizes,
            mean,
            std,
            shaped=shaped,
            state_only=state_only,
            gamma=ppo.gamma,
            spectral_norm=config.spectral_norm,
        )
        self.fit = DiscriminatorFit(self.disc, config.disc_learning_rate, config.grad_penalty, seed)
        self.disc_opt = self.fit.opt
        self.policy = PolicyAndReward(
            self.core.policy(), lambda: export_ppo_policy(self.core, obs_space), self.exported_reward
        )
        self._stats = RunningStatsState({"obs_rms": self.core.obs_rms, "ret_rms": self.core.ret_rms})
        self._progress = ppo_progress(self.collector, self.core)
        self.meta = {"env_id": env_id}

    # ---- the Trainer protocol ----------------------------------------------------------------
    @property
    def counters(self) -> dict[str, int]:
        """Env steps so far, logged exactly on every metrics line (time-to-score reads them)."""
        return {"env_steps": self.collector.total_steps}

    def sample(self, rng: np.random.Generator) -> tuple[Rollout, np.ndarray, np.ndarray]:
        rollout = self.collector.rollout(self.core.act, self.config.ppo.rollout_steps)
        n_agent = rollout.acts.shape[0] * rollout.acts.shape[1]
        size = min(self.config.disc_batch_size, n_agent, len(self.demos.acts))
        updates = self.config.disc_updates
        if updates is None:
            updates = max(1, n_agent // size)
        # consecutive slices of shuffled passes over the round: each transition is used once per pass
        passes = -(-updates * size // n_agent)
        order = (
            np.concatenate([rng.permutation(n_agent) for _ in range(passes)]) if passes else np.zeros(0, int)
        )
        agent_idx = order[: updates * size].reshape(updates, size)
        expert_idx = rng.integers(0, len(self.demos.acts), size=(updates, size))
        return rollout, agent_idx, expert_idx

    def update(self, batch: tuple[Rollout, np.ndarray, np.ndarray]) -> dict[str, float]:
        rollout, agent_idx, expert_idx = batch
        agent = self._agent_batch(rollout)
        metrics: dict[str, float] = {}
        for rows_a, rows_e in zip(agent_idx, expert_idx, strict=True):
            metrics = self.discriminator_step(take_rows(agent, rows_a), take_rows(self.demos, rows_e))
        with torch.no_grad():
            logits = self.disc.logits(self._with_log_pi(agent))
            rews = reward_from_logits(logits, self.generator_reward)
        rollout.rews = rews.numpy().astype(np.float64).reshape(rollout.rews.shape)
        metrics.update(self.core.update(rollout))
        metrics["reward/mean"] = float(rollout.rews.mean())
        metrics["env_steps"] = float(self.collector.total_steps)
        returns, _ = self.collector.pop_finished()
        if returns:
            metrics["env_return"] = float(np.mean(returns))
        return metrics

    def discriminator_step(self, agent: Batch, expert: Batch) -> dict[str, float]:
        """One logistic-regression step: expert transitions labelled 1, the agent's 0."""
        return self.fit.step(self._with_log_pi(agent), self._with_log_pi(expert))

    def modules(self) -> dict[str, nn.Module]:
        return {
            "actor_critic": self.core.net,
            "normalizers": self._stats,
            "discriminator": self.disc,
            "progress": self._progress,
        }

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"actor_critic": self.core.optimizer, "discriminator": self.disc_opt}
        return opts  # type: ignore[return-value]  # FlatAdam has torch.optim's state-dict API

    def validation_loss(self) -> float | None:
        return None

    # ---- helpers -------------------------------------------------------------------------------
    def _agent_batch(self, rollout: Rollout) -> Batch:
        n = rollout.acts.shape[0] * rollout.acts.shape[1]
        acts = rollout.acts.reshape(n, *rollout.acts.shape[2:])
        return Batch(
            obs=np.asarray(rollout.obs, dtype=np.float32).reshape(n, -1),
            acts=acts,
            next_obs=np.asarray(rollout.next_obs, dtype=np.float32).reshape(n, -1),
            terminals=rollout.terminated.reshape(n),
        )

    def _with_log_pi(self, batch: Batch) -> Batch:
        if not self.shaped:
            return batch
        return Batch(
            batch.obs,
            batch.acts,
            batch.next_obs,
            batch.terminals,
            ppo_log_prob(self.core, batch.obs, batch.acts),
        )

    def exported_reward(self) -> LearnedReward:
        """The reward to keep: GAIL's softplus(logit), AIRL's g (see the algorithm modules)."""
        transform = "softplus" if not self.shaped else self.config.export_transform
        meta = {**self.meta, "algorithm": "airl" if self.shaped else "gail"}
        return g_reward(self.disc, transform, self.config.ppo.gamma, meta)


class DiscriminatorFit:
    """A discriminator with its optimizer and the logistic-regression step of GAIL, AIRL and DAC.

    The parameters live in one flat buffer stepped by a fused Adam (`mimetic.nn.ensemble`):
    torch.optim.Adam's per-step Python bookkeeping costs more than these small networks' arithmetic.
    """

    def __init__(self, disc: Discriminator, learning_rate: float, grad_penalty: float, seed: int) -> None:
        self.disc = disc
        self.grad_penalty = grad_penalty
        params, grad = flatten_parameters(disc)
        assert grad is not None
        self._grad = grad
        self.opt = FlatAdam(params, lr=learning_rate)
        self.generator = torch.Generator().manual_seed(seed)

    def step(self, agent: Batch, expert: Batch) -> dict[str, float]:
        """One step on expert transitions labelled 1 and the agent's labelled 0 (AIRL's batches carry
        log_pi already)."""
        self.disc.train()
        # one pass over both batches: these nets are small enough that per-layer overhead, not
        # arithmetic, is most of a pass (AIRL's step ran about 20% faster so, a scratch timing)
        both = concat_batches(expert, agent)
        features = self.disc.g_features(both)
        fe, fa = features[: len(expert.obs)], features[len(expert.obs) :]
        logits = self.disc.logits(both, features)
        le, la = logits[: len(expert.obs)], logits[len(expert.obs) :]
        loss = discriminator_loss(le, la)
        total = loss
        if self.grad_penalty > 0:
            total = total + self.grad_penalty * gradient_penalty(self.disc.g, fe, fa, self.generator)
        self._grad.zero_()
        total.backward()
        self.opt.step(self._grad)
        with torch.no_grad():
            return {
                "loss/discriminator": float(loss),
                "disc/expert_accuracy": float((le > 0).float().mean()),
                "disc/agent_accuracy": float((la < 0).float().mean()),
            }


def g_reward(disc: Discriminator, transform: str, gamma: float, meta: dict[str, Any]) -> LearnedReward:
    """A copy of the discriminator's g as a `LearnedReward` (the run's `reward/`)."""
    return LearnedReward("mlp", {"g": copy.deepcopy(disc.g)}, transform=transform, gamma=gamma, meta=meta)


GENERATOR_ANNEAL_STEPS: dict[str, int] = {"Pendulum-v1": 196_608}
"""Envs whose generator anneals its step size linearly to 0 over this many env steps (imitation's long
GAIL/AIRL budget, 48 PPO rounds of 4096 steps on Pendulum). The discriminator's reward moves under the
generator, and with a constant step size the Pendulum generator kept oscillating late: GAIL seeds 0/1/2
ended at 0.39/0.92/0.96 normalized after 196,608 steps (seed 0 had been at 0.96), annealed at
0.97/0.94/0.94; AIRL 0.94/0.94/0.96 constant, 0.97/0.97/0.98 annealed (benchmarks/adversarial.py)."""


DISC_GRAD_PENALTY: dict[str, float] = {env_id: 10.0 for env_id in MUJOCO_PPO}
"""Envs whose discriminator gets a gradient penalty by default, with its weight (Kostrikov et al. 2019 use
10 on MuJoCo). Without it, on HalfCheetah-v5 (10 zoo-expert demos, the tuned PPO generator, seed 0) the
discriminator told the two apart 99.9% of the time within 100k env steps, the generator's reward fell
to ~0.002 per step and its return stayed near 0 (-72 at 300k); with it, accuracy stayed ~98%, the
reward ~0.1 per step, and the return climbed 1390 / 2844 / 3558 at 100k / 200k / 300k (one-off runs; the
reproducible numbers are GAIL's MuJoCo rows of `python benchmarks/adversarial.py --mujoco`)."""


def generator_ppo(env_id: str) -> PPOConfig:
    """The generator's PPO: the env's tuned PPO (`ppo_preset`), annealed where `GENERATOR_ANNEAL_STEPS` says."""
    ppo = ppo_preset(env_id)
    if env_id in GENERATOR_ANNEAL_STEPS:
        ppo = dataclasses.replace(ppo, anneal_lr=True, total_steps=GENERATOR_ANNEAL_STEPS[env_id])
    return ppo


def ppo_log_prob(core: PPOCore, obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
    """log pi(a|s) of the PPO policy for given (env) actions, as float32 (no side effects)."""
    out, _ = core.net.forward_np(core._prep(np.asarray(obs, dtype=np.float32)))
    if core.net.discrete:
        log_probs = log_softmax_np(out)
        return log_probs[np.arange(len(out)), np.asarray(acts).reshape(-1).astype(np.int64)].astype(
            np.float32
        )
    assert core.net._log_std is not None
    log_std = core.net._log_std.numpy().astype(np.float64)
    z = (np.asarray(acts, dtype=np.float64).reshape(out.shape) - out) / np.exp(log_std)
    return ((-0.5 * z * z - log_std).sum(-1) - 0.5 * np.log(2 * np.pi) * out.shape[1]).astype(np.float32)


def demo_arrays(dataset: Dataset, obs_dim: int, action_space: gym.Space[Any]) -> Batch:
    """The demonstrations as flat arrays, checked against the env's spaces (one clear error if not)."""
    if dataset.num_steps == 0:
        raise DatasetError("dataset has no steps to imitate", file=dataset.path)
    tr = dataset.transitions()
    if not isinstance(tr.obs, np.ndarray):
        raise DatasetError(
            "adversarial imitation needs array observations", file=dataset.path, field="obs", found="a dict"
        )
    obs = np.asarray(tr.obs, dtype=np.float32).reshape(len(tr), -1)
    if obs.shape[1] != obs_dim:
        raise DatasetError(
            "observations do not match the env",
            file=dataset.path,
            field="obs",
            expected=obs_dim,
            found=obs.shape[1],
        )
    acts = np.asarray(tr.acts)
    if isinstance(action_space, gym.spaces.Discrete):
        if not np.issubdtype(acts.dtype, np.integer) and not np.all(acts == np.round(acts)):
            raise DatasetError(
                "the env has discrete actions",
                file=dataset.path,
                field="acts",
                expected="integers",
                found=acts.dtype,
            )
        acts = acts.reshape(-1).astype(np.int64)
        if acts.min() < 0 or acts.max() >= int(action_space.n):
            raise DatasetError(
                "actions out of range",
                file=dataset.path,
                field="acts",
                expected=f"0..{int(action_space.n) - 1}",
                found=f"{acts.min()}..{acts.max()}",
            )
    else:
        size = int(np.prod(action_space.shape or (1,)))
        if acts.reshape(len(acts), -1).shape[1] != size:
            raise DatasetError(
                "actions do not match the env",
                file=dataset.path,
                field="acts",
                expected=size,
                found=acts.shape[1:],
            )
        acts = acts.reshape(len(acts), size).astype(np.float32)
    next_obs = np.asarray(tr.next_obs, dtype=np.float32).reshape(len(tr), -1)
    return Batch(obs, acts, next_obs, np.asarray(tr.terminals, dtype=bool))


def take_rows(batch: Batch, rows: np.ndarray) -> Batch:
    """The transitions of `batch` at `rows`."""
    return Batch(batch.obs[rows], batch.acts[rows], batch.next_obs[rows], batch.terminals[rows])


class PolicyAndReward(ExportingPolicy):
    """Saves the policy into `dir` and the learned reward beside it, into `dir/../reward`: the run's
    final `policy/` gets `reward/` next to it, and every checkpoint holds both."""

    def __init__(self, policy: Any, export: Any, reward: Any) -> None:
        super().__init__(policy, export)
        self._reward = reward

    def save(self, directory: str | Path) -> Path:
        out = super().save(directory)
        self._reward().save(Path(directory).parent / "reward")
        return out
