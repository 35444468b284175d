"""Simulated interveners: rules that decide, step by step, whether the expert takes over.

An `Intervener` sees the observation, the learner's proposed action and the expert's action
(all batched) and answers, per row, whether to intervene. Each rule first computes a
deterministic `triggered` mask, then draws the decision: probability `p_trigger` where it
triggered and `p_otherwise` elsewhere. RLIF's value-based rule (Luo et al. 2023) uses 0.95 and
0.05, which models an attentive but imperfect person; HG-DAgger's gate (Kelly et al. 2019) is a
person judging that the novice drifts, simulated here by the action-distance rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import gymnasium as gym
import numpy as np

QFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""Maps a batch of observations and actions to Q(s, a), shape (batch,)."""


@runtime_checkable
class Intervener(Protocol):
    """Decides where the expert takes over from the learner."""

    def triggered(self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray) -> np.ndarray:
        """The rule's deterministic verdict per row (bool, shape (batch,))."""
        ...

    def decide(
        self,
        obs: np.ndarray,
        learner_action: np.ndarray,
        expert_action: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Whether to intervene per row: the verdict passed through the intervention probabilities."""
        ...


def _draw(
    triggered: np.ndarray, p_trigger: float, p_otherwise: float, rng: np.random.Generator
) -> np.ndarray:
    # one uniform draw per row, always, so the random stream does not depend on the verdicts
    u = rng.random(len(triggered))
    return np.where(triggered, u < p_trigger, u < p_otherwise)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


class ValueIntervener:
    """RLIF's value-based rule: intervene when the expert's critic rates the learner's action
    clearly below its own, Q(s, a_learner) < threshold * Q(s, a_expert).

    Written as Q(s, a_expert) - Q(s, a_learner) > (1 - threshold) * |Q(s, a_expert)|, which is the
    same test for the non-negative values of RLIF's tasks and stays meaningful when Q is negative
    (Pendulum's rewards are all negative, where the ratio test would flip).

    With a `reference` policy the learner's action is compared with the reference's deterministic
    action rather than the intervening expert's: RLIF's `intervention_strategy=q`, where a fixed
    "ground truth" agent judges and a possibly weaker expert takes over.
    """

    def __init__(
        self,
        q_fn: QFunction,
        threshold: float = 0.9,
        p_trigger: float = 0.95,
        p_otherwise: float = 0.05,
        reference: Any = None,
    ) -> None:
        _check_probability("p_trigger", p_trigger)
        _check_probability("p_otherwise", p_otherwise)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"value threshold must be in [0, 1], got {threshold}")
        self.q_fn = q_fn
        self.threshold = threshold
        self.p_trigger = p_trigger
        self.p_otherwise = p_otherwise
        self.reference = reference

    def triggered(self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray) -> np.ndarray:
        if self.reference is not None:
            expert_action = np.asarray(self.reference.act(obs, deterministic=True)[0])
        q_learner = np.asarray(self.q_fn(obs, learner_action), dtype=np.float64)
        q_expert = np.asarray(self.q_fn(obs, expert_action), dtype=np.float64)
        return np.asarray(q_expert - q_learner > (1.0 - self.threshold) * np.abs(q_expert))

    def decide(
        self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return _draw(
            self.triggered(obs, learner_action, expert_action), self.p_trigger, self.p_otherwise, rng
        )


class ActionDistanceIntervener:
    """Intervene when the learner's action is far from the expert's.

    Box actions: the Euclidean distance in half-range units (|a - a*| / ((high - low) / 2)) exceeds
    `threshold`. Discrete actions: the actions differ (the threshold is not used).
    """

    def __init__(
        self,
        action_space: gym.Space[Any],
        threshold: float = 0.5,
        p_trigger: float = 1.0,
        p_otherwise: float = 0.0,
    ) -> None:
        _check_probability("p_trigger", p_trigger)
        _check_probability("p_otherwise", p_otherwise)
        if threshold < 0:
            raise ValueError(f"action-distance threshold must be >= 0, got {threshold}")
        self.action_space = action_space
        self.threshold = threshold
        self.p_trigger = p_trigger
        self.p_otherwise = p_otherwise

    def distance(self, learner_action: np.ndarray, expert_action: np.ndarray) -> np.ndarray:
        space = self.action_space
        if isinstance(space, gym.spaces.Discrete):
            return (np.asarray(learner_action).reshape(-1) != np.asarray(expert_action).reshape(-1)).astype(
                np.float64
            )
        assert isinstance(space, gym.spaces.Box)
        half = (np.asarray(space.high, np.float64) - np.asarray(space.low, np.float64)) / 2.0
        diff = (np.asarray(learner_action, np.float64) - np.asarray(expert_action, np.float64)) / half
        return np.asarray(np.linalg.norm(diff.reshape(len(diff), -1), axis=1))

    def triggered(self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray) -> np.ndarray:
        distance = self.distance(learner_action, expert_action)
        if isinstance(self.action_space, gym.spaces.Discrete):
            return distance > 0
        return distance > self.threshold

    def decide(
        self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return _draw(
            self.triggered(obs, learner_action, expert_action), self.p_trigger, self.p_otherwise, rng
        )


class RandomIntervener:
    """Intervene with a fixed probability per step, whatever the actions (RLIF's random-intervention
    ablation, `train_rlif_random` in the authors' code)."""

    def __init__(self, probability: float = 0.05) -> None:
        _check_probability("intervention probability", probability)
        self.probability = probability

    def triggered(self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray) -> np.ndarray:
        return np.ones(len(np.asarray(learner_action)), dtype=bool)

    def decide(
        self, obs: np.ndarray, learner_action: np.ndarray, expert_action: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        return _draw(self.triggered(obs, learner_action, expert_action), self.probability, 0.0, rng)


INTERVENER_RULES = ("value", "action-distance", "random")
SHIPPED_CRITIC_THRESHOLD = 0.99
"""The value rule's default with a shipped SAC critic: the authors' Walker2d value-based setting."""


@dataclass
class InterventionConfig:
    """Which simulated intervener decides, and how (shared by HG-DAgger and RLIF)."""

    rule: str = "value"
    """"value" (RLIF's rule), "action-distance" or "random"."""
    threshold: float | None = None
    """value: the ratio of RLIF's test (default 0.99 with a shipped critic, the authors' Walker2d setting
    (0.97 on Adroit pen); 0.9 with a fitted one, our choice on CartPole);
    action-distance: the distance in half-range units (default 0.5)."""
    p_trigger: float = 0.95
    """Probability of intervening where the rule triggers (RLIF: 0.95). The action-distance rule uses 1.0
    unless this is changed from the default."""
    p_otherwise: float = 0.05
    """Probability of intervening elsewhere (RLIF: 0.05); the action-distance rule uses 0 by default."""
    random_probability: float = 0.05
    """The random rule's per-step intervention probability."""
    takeover_steps: int = 4
    """Steps the expert controls after it intervenes (RLIF's `intervene_n_steps = 4`)."""
    q_reference: str = "zoo"
    """The "ground truth" agent whose Q the value rule uses (RLIF uses an oracle agent that can differ
    from the suboptimal intervener): "zoo" is the zoo's shipped SAC critic and actor where the env has
    one (MuJoCo), else the zoo expert's Q fitted by FQE; other specs are fitted by FQE
    (`mimetic.interactive.reference.reference_agent`)."""


def build_intervener(
    config: InterventionConfig, env_id: str, action_space: gym.Space[Any], seed: int
) -> Intervener:
    """The rule `config.rule`; the value rule fits its reference policy's Q first (seconds)."""
    if config.rule == "random":
        return RandomIntervener(config.random_probability)
    if config.rule == "action-distance":
        default_probabilities = (config.p_trigger, config.p_otherwise) == (0.95, 0.05)
        p_trigger, p_otherwise = (
            (1.0, 0.0) if default_probabilities else (config.p_trigger, config.p_otherwise)
        )
        threshold = 0.5 if config.threshold is None else config.threshold
        return ActionDistanceIntervener(action_space, threshold, p_trigger, p_otherwise)
    if config.rule == "value":
        from mimetic.interactive.reference import reference_agent

        agent = reference_agent(config.q_reference, env_id, seed)
        # the authors' threshold goes with a shipped RL critic; 0.9 was chosen for the fitted ones
        default = 0.9 if agent.policy is None else SHIPPED_CRITIC_THRESHOLD
        threshold = default if config.threshold is None else config.threshold
        return ValueIntervener(agent.q, threshold, config.p_trigger, config.p_otherwise, agent.policy)
    raise ValueError(f"unknown intervener rule '{config.rule}'; valid: {', '.join(INTERVENER_RULES)}")
