"""Who controls the env, step by step, and RLIF's reward from that record.

`Takeover` is the control state machine of RLIF (Luo et al. 2023): once an intervener fires,
the expert acts for `n_steps` steps (the authors' `intervene_n_steps = 4`), after which the
learner's action is checked again. `intervention_rewards` is RLIF's only reward: -1 on the
transition that led to an intervention, 0 on every other one.
"""

from __future__ import annotations

import numpy as np


class Takeover:
    """Tracks whether the expert controls one env.

    `step(fires)` is called once per env step with the intervener's decision for the learner's
    proposed action and returns whether the expert acts at this step. While a takeover runs, the
    decision is ignored. With `learner_turn` off, a decision that fires on the first step after a
    takeover extends the expert's control (a new takeover, but no new learner transition in
    between: a person who keeps the controls). With it on, control returns to the learner for
    one step whatever the decision, as in RLIF's code (`train_rlif_main.py` skips the check on the
    step a takeover ends): an intervener that would always fire still lets the learner act once
    every `n_steps + 1` steps, and that step is the transition RLIF labels -1.
    """

    def __init__(self, n_steps: int = 4, learner_turn: bool = False) -> None:
        if n_steps < 1:
            raise ValueError(f"takeover steps must be >= 1, got {n_steps}")
        self.n_steps = n_steps
        self.learner_turn = learner_turn
        self.remaining = 0
        self._turn_due = False

    @property
    def active(self) -> bool:
        """Whether the next step's control is fixed whatever the intervener decides."""
        return self.remaining > 0 or self._turn_due

    def step(self, fires: bool) -> bool:
        if self.remaining > 0:
            self.remaining -= 1
        elif self._turn_due:
            self._turn_due = False
            return False
        elif fires:
            self.remaining = self.n_steps - 1
        else:
            return False
        # the expert acts at this step; if it is the takeover's last, the learner's turn comes next
        self._turn_due = self.learner_turn and self.remaining == 0
        return True

    def reset(self) -> None:
        """An episode ended: control returns to the learner."""
        self.remaining = 0
        self._turn_due = False


def intervention_starts(expert_control: np.ndarray) -> np.ndarray:
    """Steps where control passes from the learner to the expert (an episode's first step counts
    when the expert takes it)."""
    control = np.asarray(expert_control, dtype=bool)
    before = np.concatenate([[False], control[:-1]])
    return control & ~before


def intervention_rewards(expert_control: np.ndarray, penalty: float = -1.0) -> np.ndarray:
    """RLIF's reward for one episode's T transitions, from the per-step control flags.

    r_t = `penalty` when the learner acted at step t and the expert takes over at step t+1
    (the transition (s_t, a_t, s_{t+1}) led to the intervention), else 0. An intervention at an
    episode's first step has no learner transition before it, so it labels nothing.
    """
    control = np.asarray(expert_control, dtype=bool)
    rewards = np.zeros(len(control), dtype=np.float64)
    if len(control) > 1:
        rewards[:-1][~control[:-1] & control[1:]] = penalty
    return rewards


def expert_segments(expert_control: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) step ranges where the expert controlled (HG-DAgger aggregates only these)."""
    control = np.asarray(expert_control, dtype=bool)
    edges = np.diff(np.concatenate([[0], control.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
