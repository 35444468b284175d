"""DAgger: dataset aggregation with a beta-mixture of expert and learner (Ross, Gordon and Bagnell
2011, "A Reduction of Imitation Learning and Structured Prediction to No-Regret Online Learning").

Round 1 rolls the expert out (beta_1 = 1), which is plain behaviour cloning data. Round i > 1
executes, step by step, the expert's action with probability beta_i and the learner's otherwise,
asks the expert to label every visited state, aggregates the labels into the dataset, and trains
on. beta_i = beta_decay ** (i - 1): the paper's general schedule p^(i-1); beta_decay = 0 is the
paper's practical choice (beta_1 = 1, then 0), and beta_decay = 1 never lets the learner act,
which is BC with the same label budget. Training is the BC learner's update, run by the shared
`Trainer`: a new round starts every `updates_per_round` gradient steps until `max_labels` expert
labels were spent, and training warm-starts from the current weights (as `imitation` does)
rather than from scratch.

Every expert query is a label and is counted (`labels` in metrics.jsonl). The aggregated data,
the counters and the episode seeds live in the checkpoint, so `--resume` is exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.batches import TransitionBatches
from mimetic.algorithms.bc import BCLearner
from mimetic.algorithms.bc import Config as BCConfig
from mimetic.data.dataset import Dataset, DatasetMetadata
from mimetic.data.errors import DatasetError
from mimetic.data.trajectory import Trajectory
from mimetic.interactive.experts import make_expert

COUNTERS = ("labels", "rounds", "episodes", "updates", "interventions", "expert_queries", "env_steps")
"""Integers a checkpoint keeps so that a resumed run continues the same schedule."""


@dataclass
class Config:
    """DAgger settings. The budget is counted in expert labels (queries), as in the anchors' runs."""

    expert: str = "zoo"
    """The labeller: "zoo" / "zoo:expert|medium|low" (the shipped policies), "scripted", or a policy folder."""
    expert_noise: float = 0.0
    """Make the expert suboptimal: Box, Gaussian std in half-range units; Discrete, random-action probability."""
    initial_labels: int = 500
    """Round 1: expert-only steps (beta_1 = 1, Ross et al. 2011), i.e. the BC dataset."""
    labels_per_round: int = 500
    """Expert labels per later round (imitation's DAgger rounds are >= 500 steps)."""
    max_labels: int = 8_000
    """Label budget: no round starts once it is spent (the anchors run `train(8_000)`)."""
    updates_per_round: int = 500
    """Gradient steps between rounds."""
    beta_decay: float = 0.0
    """beta_i = beta_decay ** (i - 1) (Ross et al. 2011, Sec. 3); 0: expert only in round 1; 1: BC."""
    num_envs: int = 1
    """Envs rolled out side by side, the learner and the expert acting on all of them in one batched
    call (`imitation`'s SimpleDAggerTrainer collects on 8). A round ends when its labels are spent and
    the next starts new episodes, so the envs share each round's labels: give rounds of at least
    `num_envs` x the episode length, or the late states of an episode are never visited."""
    policy: str = "auto"
    """BC policy family; "auto" picks "discrete" for Discrete actions and "mlp" otherwise."""
    bc: BCConfig = field(default_factory=BCConfig)
    """The BC learner that trains on the aggregated data (its `policy` field is set from `policy`)."""


class _Aggregate(nn.Module):
    """The aggregated (state, expert label) pairs and the counters, as checkpoint tensors."""

    def __init__(self, owner: RoundLearner) -> None:
        super().__init__()
        self.owner = owner

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        o = self.owner
        return {
            "obs": torch.as_tensor(np.concatenate(o.data_obs)),
            "acts": torch.as_tensor(np.concatenate(o.data_acts)),
            "counters": torch.tensor([o.counters[k] for k in COUNTERS], dtype=torch.int64),
            "last_return": torch.tensor([o.last_return], dtype=torch.float64),
        }

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        o = self.owner
        o.data_obs = [state_dict["obs"].numpy().copy()]
        o.data_acts = [state_dict["acts"].numpy().copy()]
        o.counters = dict(zip(COUNTERS, (int(v) for v in state_dict["counters"].tolist()), strict=True))
        o.last_return = float(state_dict["last_return"][0])
        o.refresh_batches()
        return None


@dataclass
class RoundResult:
    """What one round of interaction produced."""

    obs: np.ndarray
    acts: np.ndarray
    env_steps: int
    expert_queries: int
    episodes: int
    interventions: int
    returns: list[float]


class RoundLearner:
    """A BC learner whose data grows in rounds of interaction; subclasses define a round."""

    def __init__(self, config: Any, env_id: str, seed: int) -> None:
        if config.initial_labels < 1 or config.labels_per_round < 1 or config.updates_per_round < 1:
            raise ValueError("initial_labels, labels_per_round and updates_per_round must be >= 1")
        self.config = config
        if self.num_envs < 1:
            raise ValueError(f"num_envs must be >= 1, found {self.num_envs}")
        self.env_id = env_id
        self.seed = seed
        self.env = gym.make(env_id)
        self.envs: list[gym.Env[Any, Any]] = [self.env]
        if not isinstance(self.env.observation_space, gym.spaces.Box):
            raise ValueError(
                f"{type(self).__name__} needs Box observations, {env_id} has {self.env.observation_space}"
            )
        self.action_space = self.env.action_space
        self.discrete = isinstance(self.action_space, gym.spaces.Discrete)
        self.expert = make_expert(config.expert, env_id, config.expert_noise, seed)
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.last_return = float("nan")  # mean return of the last round's finished episodes
        first = self._expert_round(config.initial_labels)
        self.data_obs, self.data_acts = [first.obs], [first.acts]
        self._count(first)
        kind = config.policy if config.policy != "auto" else ("discrete" if self.discrete else "mlp")
        bc_config = dataclasses.replace(config.bc, policy=kind)
        self.bc = BCLearner(self._as_dataset(first.obs, first.acts), bc_config)
        self.policy = self.bc.policy
        self.refresh_batches()

    # ---- the Learner protocol -------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        cfg = self.config
        updates = self.counters["updates"]
        if updates > 0 and updates % cfg.updates_per_round == 0 and self.counters["labels"] < cfg.max_labels:
            budget = min(cfg.labels_per_round, cfg.max_labels - self.counters["labels"])
            self.policy.eval()  # once per round, not once per step (acting never trains anyway)
            try:
                result = self.collect_round(budget)
            finally:
                self.policy.train()
            self.data_obs.append(result.obs)
            self.data_acts.append(result.acts)
            self._count(result)
            self.refresh_batches()
        self.counters["updates"] += 1
        return self.bc.sample(rng)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        metrics = self.bc.update(batch)
        metrics.update(
            {k: float(self.counters[k]) for k in ("labels", "rounds", "expert_queries", "env_steps")}
        )
        if self.counters["interventions"]:
            metrics["interventions"] = float(self.counters["interventions"])
        if not np.isnan(self.last_return):
            metrics["rollout/return_mean"] = self.last_return
        metrics.update(self.round_metrics())
        return metrics

    def round_metrics(self) -> dict[str, float]:
        """Per-method numbers about the current round (computed from the counters, so resumable)."""
        return {}

    def modules(self) -> dict[str, nn.Module]:
        return {"policy": self.bc.policy, "aggregate": _Aggregate(self)}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return self.bc.optimizers()

    def validation_loss(self) -> float | None:
        return None

    # ---- rounds ---------------------------------------------------------------------------------
    def collect_round(self, budget: int) -> RoundResult:
        """One round of interaction that spends at most `budget` labels."""
        raise NotImplementedError

    def refresh_batches(self) -> None:
        obs, acts = np.concatenate(self.data_obs), np.concatenate(self.data_acts)
        self.bc.train_batches = TransitionBatches.from_arrays(obs, acts, self.discrete)

    def _count(self, result: RoundResult) -> None:
        self.counters["labels"] += len(result.acts)
        self.counters["rounds"] += 1
        self.counters["episodes"] += result.episodes
        self.counters["interventions"] += result.interventions
        self.counters["expert_queries"] += result.expert_queries
        self.counters["env_steps"] += result.env_steps
        if result.returns:
            self.last_return = float(np.mean(result.returns))

    def _as_dataset(self, obs: np.ndarray, acts: np.ndarray) -> Dataset:
        # one pseudo-episode: the BC learner only needs (s, a) pairs to size and normalize itself
        final = obs[-1:]
        traj = Trajectory(obs=np.concatenate([obs, final]), acts=acts)
        meta = DatasetMetadata(
            observation_space=self.env.observation_space, action_space=self.action_space, env_id=self.env_id
        )
        return Dataset([traj], meta)

    def episode_seed(self) -> int:
        """Seed of the next episode: fixed by the run seed and the episode count, so a resumed run
        replays the same starts."""
        seed = 1_000_003 * (self.seed + 1) + self.counters["episodes"]
        return int(seed % (2**31))

    def round_rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.counters["rounds"]])

    def expert_action(self, obs: np.ndarray) -> np.ndarray:
        return self._act(self.expert, obs[None])[0]

    def learner_action(self, obs: np.ndarray) -> np.ndarray:
        return self._act(self.policy, obs[None])[0]

    def env_action(self, action: np.ndarray) -> Any:
        return int(action) if self.discrete else action

    def _expert_round(self, budget: int) -> RoundResult:
        return self._mixture_round(budget, beta=1.0)

    @property
    def num_envs(self) -> int:
        """Envs rolled out side by side in a mixture round (their acting is one batched call)."""
        return 1

    def _round_envs(self, n: int) -> list[gym.Env[Any, Any]]:
        while len(self.envs) < n:
            self.envs.append(gym.make(self.env_id))
        return self.envs[:n]

    def _mixture_round(self, budget: int, beta: float) -> RoundResult:
        """Roll out beta * expert + (1 - beta) * learner (chosen per step) on `num_envs` envs side by
        side; the expert labels every state. Episode i of the run is seeded `episode_seed() + i`
        whichever env plays it, so the round is a function of the run seed and the counters."""
        rng = self.round_rng()
        envs = self._round_envs(min(self.num_envs, budget))
        current: list[np.ndarray | None] = [None] * len(envs)
        totals = [0.0] * len(envs)
        obs_rows: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        returns: list[float] = []
        episodes = 0
        while len(obs_rows) < budget:
            active = range(min(len(envs), budget - len(obs_rows)))
            for i in active:
                if current[i] is None:  # reset lazily: an episode starts only if it gets a step
                    current[i] = np.asarray(envs[i].reset(seed=self.episode_seed() + episodes)[0])
                    episodes += 1
            states = np.stack([current[i] for i in active])  # type: ignore[misc]
            # a coin per step only where beta mixes; beta 1 or 0 decides alone (and draws nothing)
            mixing = 0.0 < beta < 1.0
            use_expert = rng.random(len(states)) < beta if mixing else np.full(len(states), beta >= 1.0)
            expert = self._act(self.expert, states) if beta > 0.0 else None
            learner = self._act(self.policy, states) if not use_expert.all() else None
            for j, i in enumerate(active):
                obs_rows.append(states[j])
                if expert is not None:
                    labels.append(expert[j])
                action = expert[j] if use_expert[j] else learner[j]  # type: ignore[index]
                obs, reward, terminated, truncated, _ = envs[i].step(self.env_action(action))
                totals[i] += float(reward)
                current[i] = np.asarray(obs)
                if terminated or truncated:
                    returns.append(totals[i])
                    current[i], totals[i] = None, 0.0
        states = np.stack(obs_rows)
        if beta <= 0.0:
            # the expert never acts, so its labels are not needed during the rollout: one batched query
            labels = list(self._act(self.expert, states))
        return RoundResult(
            obs=states,
            acts=np.stack(labels),
            env_steps=len(obs_rows),
            expert_queries=len(obs_rows),
            episodes=episodes,
            interventions=0,
            returns=returns,
        )

    @staticmethod
    def _act(policy: Any, states: np.ndarray) -> np.ndarray:
        return np.asarray(policy.act(states, deterministic=True)[0])


class DAggerLearner(RoundLearner):
    """DAgger's round: the beta-mixture rollout, every visited state labelled by the expert."""

    @property
    def num_envs(self) -> int:
        return int(self.config.num_envs)

    def beta(self, round_index: int) -> float:
        """beta_i = beta_decay ** (i - 1) for round i >= 1 (0 ** 0 = 1: round 1 is the expert's)."""
        return float(self.config.beta_decay ** (round_index - 1))

    def collect_round(self, budget: int) -> RoundResult:
        return self._mixture_round(budget, self.beta(self.counters["rounds"] + 1))

    def round_metrics(self) -> dict[str, float]:
        return {"beta": self.beta(self.counters["rounds"])}


def check_env(env_id: str | None) -> str:
    if not env_id:
        raise DatasetError("interactive methods learn in an env; give env_id (--env)", field="env_id")
    return env_id


DAggerConfig = Config
"""The module's `Config` under a unique name (the registered class holds it as `Config`)."""


@ALGORITHMS.register("dagger")
class DAgger:
    """DAgger, registered as "dagger" (online: it queries an expert in the env, no dataset)."""

    Config = Config
    needs_dataset = False

    @staticmethod
    def build(
        dataset: Any, config: DAggerConfig, *, env_id: str | None = None, seed: int = 0, **_: Any
    ) -> DAggerLearner:
        return DAggerLearner(config, check_env(env_id), seed)
