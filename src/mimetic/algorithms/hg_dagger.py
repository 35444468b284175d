"""HG-DAgger: human-gated DAgger (Kelly, Sidrane, Driggs-Campbell and Kochenderfer 2019, "HG-DAgger:
Interactive Imitation Learning with Human Experts").

The novice (the BC learner) drives; an intervener watches and takes over when it judges the
novice is drifting, and hands control back afterwards. Only the expert-controlled steps are
labelled and aggregated, so the label budget is the number of steps a person would have driven.
The person is simulated by an `Intervener` rule (by default the action-distance gate) with the
same takeover mechanics as RLIF (Luo et al. 2023), which uses HG-DAgger as its baseline; a real
person at the keyboard is `mimetic teleop ENV --novice POLICY`.

The intervener rule sees the expert's action at every step, so a simulated run also queries the
expert where it does not take over: `expert_queries` counts those, `labels` counts only what was
aggregated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mimetic.algorithms.base import ALGORITHMS
from mimetic.algorithms.bc import Config as BCConfig
from mimetic.algorithms.dagger import RoundLearner, RoundResult, check_env
from mimetic.interactive.interveners import Intervener, InterventionConfig, build_intervener
from mimetic.interactive.takeover import Takeover


@dataclass
class Config:
    """HG-DAgger settings; the label budget counts expert-controlled steps."""

    expert: str = "zoo"
    """The intervener's policy: "zoo" / "zoo:expert|medium|low", "scripted", or a policy folder."""
    expert_noise: float = 0.0
    """Make the expert suboptimal: Box, Gaussian std in half-range units; Discrete, random-action probability."""
    initial_labels: int = 500
    """Expert-only steps that train the first novice by BC (Kelly et al. 2019 start from a BC policy)."""
    labels_per_round: int = 500
    """Expert-controlled steps per round."""
    max_labels: int = 8_000
    """Label budget."""
    updates_per_round: int = 500
    """Gradient steps between rounds."""
    max_env_steps_per_round: int = 5_000
    """A round also ends after this many env steps, so a novice the intervener trusts still gets retrained."""
    intervention: InterventionConfig = field(
        default_factory=lambda: InterventionConfig(rule="action-distance")
    )
    """The simulated person: rule, threshold, probabilities and takeover length."""
    policy: str = "auto"
    """BC policy family; "auto" picks "discrete" for Discrete actions and "mlp" otherwise."""
    bc: BCConfig = field(default_factory=BCConfig)


class HGDAggerLearner(RoundLearner):
    """HG-DAgger's round: the novice acts, the intervener takes over, expert segments are aggregated."""

    def __init__(self, config: Config, env_id: str, seed: int, intervener: Intervener | None = None) -> None:
        super().__init__(config, env_id, seed)
        self.intervener = intervener or build_intervener(config.intervention, env_id, self.action_space, seed)
        self.takeover = Takeover(config.intervention.takeover_steps)

    def collect_round(self, budget: int) -> RoundResult:
        cfg = self.config
        rng = self.round_rng()
        obs_rows: list[np.ndarray] = []
        labels: list[np.ndarray] = []
        returns: list[float] = []
        episodes = env_steps = interventions = 0
        while len(labels) < budget and env_steps < cfg.max_env_steps_per_round:
            obs, _ = self.env.reset(seed=self.episode_seed() + episodes)
            episodes += 1
            self.takeover.reset()
            total, done, expert_before = 0.0, False, False
            while not done and len(labels) < budget and env_steps < cfg.max_env_steps_per_round:
                novice = self.learner_action(obs)
                expert = self.expert_action(obs)
                fires = bool(self.intervener.decide(obs[None], novice[None], expert[None], rng)[0])
                expert_controls = self.takeover.step(fires)
                if expert_controls:
                    obs_rows.append(np.asarray(obs))
                    labels.append(expert)
                    interventions += int(not expert_before)
                action = expert if expert_controls else novice
                expert_before = expert_controls
                obs, reward, terminated, truncated, _ = self.env.step(self.env_action(action))
                env_steps += 1
                total += float(reward)
                done = terminated or truncated
            if done:
                returns.append(total)
        empty_obs = np.zeros((0, *(self.env.observation_space.shape or ())), dtype=np.float32)
        empty_acts = np.zeros(
            (0, *(self.action_space.shape or ())), dtype=np.int64 if self.discrete else np.float32
        )
        return RoundResult(
            obs=np.stack(obs_rows) if obs_rows else empty_obs,
            acts=np.stack(labels) if labels else empty_acts,
            env_steps=env_steps,
            expert_queries=env_steps,
            episodes=episodes,
            interventions=interventions,
            returns=returns,
        )

    def round_metrics(self) -> dict[str, float]:
        steps = max(self.counters["env_steps"] - self.config.initial_labels, 1)
        return {"intervention_rate": self.counters["interventions"] / steps}


HGDAggerConfig = Config
"""The module's `Config` under a unique name (the registered class holds it as `Config`)."""


@ALGORITHMS.register("hg-dagger")
class HGDAgger:
    """HG-DAgger, registered as "hg-dagger" (online: it needs the env and an intervener)."""

    Config = Config
    needs_dataset = False

    @staticmethod
    def build(
        dataset: Any, config: HGDAggerConfig, *, env_id: str | None = None, seed: int = 0, **_: Any
    ) -> HGDAggerLearner:
        return HGDAggerLearner(config, check_env(env_id), seed)
