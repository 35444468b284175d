"""RLIF's control record and reward on hand-worked sequences."""

from __future__ import annotations

import numpy as np
import pytest

from mimetic.interactive import Takeover, expert_segments, intervention_rewards, intervention_starts


def test_takeover_gives_the_expert_four_steps_and_ignores_the_rule_meanwhile() -> None:
    takeover = Takeover(4)
    fires = [False, True, False, True, False, False, True, False, False, False, False, False]
    control = [takeover.step(f) for f in fires]
    # fires at 1 -> expert at 1..4 (the fire at 3 is ignored); at 5 the learner is back;
    # fires at 6 -> expert at 6..9; learner from 10
    assert control == [False, True, True, True, True, False, True, True, True, True, False, False]


def test_a_rule_that_fires_again_extends_the_takeover_without_the_learner_turn() -> None:
    takeover = Takeover(2)
    control = [takeover.step(True) for _ in range(6)]
    assert control == [True] * 6


def test_with_the_learner_turn_the_learner_acts_once_after_every_takeover() -> None:
    takeover = Takeover(2, learner_turn=True)
    # an intervener that always fires: expert 0..1, learner 2 (the rule is not asked), expert 3..4, ...
    control = [takeover.step(True) for _ in range(9)]
    assert control == [True, True, False, True, True, False, True, True, False]
    # after the learner's turn the rule is asked again: here it stays quiet
    takeover = Takeover(1, learner_turn=True)
    control = [takeover.step(f) for f in [True, True, False, False, True]]
    assert control == [True, False, False, False, True]
    assert takeover.active  # the learner's turn is due at the next step
    takeover.reset()
    assert not takeover.active and not takeover.step(False)


def test_takeover_resets_at_episode_end() -> None:
    takeover = Takeover(4)
    assert takeover.step(True) and takeover.active
    takeover.reset()
    assert not takeover.active and not takeover.step(False)
    with pytest.raises(ValueError, match="takeover steps must be >= 1"):
        Takeover(0)


def test_reward_is_minus_one_on_the_transition_before_each_intervention() -> None:
    control = np.array([0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0], bool)
    expected = np.zeros(14)
    expected[[1, 8]] = -1.0  # (s1, a1, s2) led to the takeover at 2; (s8, a8, s9) to the one at 9
    np.testing.assert_array_equal(intervention_rewards(control), expected)
    np.testing.assert_array_equal(np.flatnonzero(intervention_starts(control)), [2, 9])
    assert expert_segments(control) == [(2, 6), (9, 13)]


def test_an_intervention_at_the_first_step_labels_nothing() -> None:
    control = np.array([1, 1, 0, 0, 1], bool)
    np.testing.assert_array_equal(intervention_rewards(control, penalty=-2.0), [0, 0, 0, -2.0, 0])
    assert expert_segments(control) == [(0, 2), (4, 5)]
