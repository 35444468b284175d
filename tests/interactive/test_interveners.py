"""The intervener rules fire exactly where they should, and draw with the stated probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from mimetic.interactive import (
    ActionDistanceIntervener,
    Intervener,
    RandomIntervener,
    ValueIntervener,
)
from mimetic.interactive.interveners import InterventionConfig, build_intervener

OBS = np.zeros((5, 3))


def q_peak(offset: float):  # Q(s, a) = offset - |a - 2|: the expert's action 2 is the best one
    return lambda obs, acts: offset - np.abs(np.asarray(acts, np.float64).reshape(len(obs)) - 2.0)


@pytest.mark.parametrize("offset", [10.0, -10.0])
def test_value_rule_triggers_when_q_falls_below_the_threshold(offset: float) -> None:
    # |Q(s, a_expert)| = 10 and threshold 0.5, so the rule fires when Q drops by more than 5
    rule = ValueIntervener(q_peak(offset), threshold=0.5, p_trigger=1.0, p_otherwise=0.0)
    learner = np.array([2.0, 4.5, 7.0, 7.01, -3.5])
    expert = np.full(5, 2.0)
    expected = np.array([False, False, False, True, True])
    np.testing.assert_array_equal(rule.triggered(OBS, learner, expert), expected)
    np.testing.assert_array_equal(rule.decide(OBS, learner, expert, np.random.default_rng(0)), expected)
    assert isinstance(rule, Intervener)


def test_value_rule_draws_095_where_triggered_and_005_elsewhere() -> None:
    rule = ValueIntervener(q_peak(10.0))  # RLIF's probabilities are the defaults
    n = 40_000
    obs = np.zeros((n, 1))
    learner = np.where(np.arange(n) % 2 == 0, 5.0, 2.0)  # even rows far from the expert
    decisions = rule.decide(obs, learner, np.full(n, 2.0), np.random.default_rng(1))
    assert abs(decisions[0::2].mean() - 0.95) < 0.01
    assert abs(decisions[1::2].mean() - 0.05) < 0.01


def test_action_distance_rule_on_box_and_discrete_actions() -> None:
    box = ActionDistanceIntervener(spaces.Box(-2.0, 2.0, (1,)), threshold=0.5)  # half range 2: |da| > 1
    learner = np.array([[0.0], [0.99], [1.0], [1.01], [-1.5]])
    fired = box.decide(OBS, learner, np.zeros((5, 1)), np.random.default_rng(0))
    np.testing.assert_array_equal(fired, [False, False, False, True, True])
    discrete = ActionDistanceIntervener(spaces.Discrete(3))
    fired = discrete.decide(
        OBS, np.array([0, 1, 2, 2, 0]), np.array([0, 2, 2, 1, 0]), np.random.default_rng(0)
    )
    np.testing.assert_array_equal(fired, [False, True, False, True, False])


def test_random_rule_ignores_the_actions() -> None:
    n = 40_000
    acts = np.zeros(n)
    rng = np.random.default_rng(2)
    assert abs(RandomIntervener(0.3).decide(np.zeros((n, 1)), acts, acts, rng).mean() - 0.3) < 0.01
    assert not RandomIntervener(0.0).decide(np.zeros((n, 1)), acts, acts, rng).any()
    assert RandomIntervener(1.0).decide(np.zeros((n, 1)), acts, acts, rng).all()


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match="p_trigger must be in"):
        ValueIntervener(q_peak(1.0), p_trigger=1.5)
    with pytest.raises(ValueError, match="intervention probability must be in"):
        RandomIntervener(-0.1)
    with pytest.raises(ValueError, match="unknown intervener rule 'psychic'; valid: value, action-distance"):
        build_intervener(InterventionConfig(rule="psychic"), "CartPole-v1", spaces.Discrete(2), 0)


def test_action_distance_rule_defaults_to_a_deterministic_gate() -> None:
    rule = build_intervener(InterventionConfig(rule="action-distance"), "CartPole-v1", spaces.Discrete(2), 0)
    assert isinstance(rule, ActionDistanceIntervener)
    assert (rule.p_trigger, rule.p_otherwise) == (1.0, 0.0)
