"""RLIF on a scripted trajectory: which steps the expert drives and which transitions get -1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import mimetic
from mimetic.algorithms.rlif import Config, RLIFLearner
from mimetic.interactive.interveners import InterventionConfig
from mimetic.rl.sac import SACConfig
from mimetic.runtime.trainer import TrainerConfig

torch.set_num_threads(1)


class FiresAt:
    """A scripted intervener: fires when consulted at the listed env steps (and nowhere else)."""

    def __init__(self, learner: RLIFLearner, steps: set[int]) -> None:
        self.learner, self.steps, self.consulted = learner, steps, []

    def triggered(self, obs, learner_action, expert_action):  # type: ignore[no-untyped-def]
        step = self.learner.counters["env_steps"]
        self.consulted.append(step)
        return np.array([step in self.steps])

    def decide(self, obs, learner_action, expert_action, rng):  # type: ignore[no-untyped-def]
        return self.triggered(obs, learner_action, expert_action)


def _learner(learner_turn: bool = False) -> RLIFLearner:
    sac = SACConfig(layer_norm=True, learning_starts=8, batch_size=8, hidden_sizes=(16, 16))
    config = Config(
        expert="scripted",
        intervention=InterventionConfig(rule="random", random_probability=0.0),
        demo_episodes=1,
        sac=sac,
        learner_turn=learner_turn,
    )
    return RLIFLearner(config, "Pendulum-v1", seed=0)


def _drive(learner: RLIFLearner, fires_at: set[int]) -> tuple[FiresAt, list[bool], np.ndarray]:
    """20 env steps with a rule firing when consulted at `fires_at`: the rule, which stored rows
    hold the expert's action, and the stored rewards."""
    rule = FiresAt(learner, fires_at)
    learner.intervener = rule
    expert_acts = []
    for _ in range(20):
        expert_acts.append(learner.expert.act(learner.collector.obs)[0][0])
        learner.env_step()
    rows = learner.online.state_dict()
    # a buffer's state holds its filled rows only
    by_expert = [bool(np.allclose(rows["data/acts"][t], expert_acts[t], atol=1e-6)) for t in range(19)]
    # the held transition: step 19's reward is decided at step 20, so 19 rows are stored
    assert len(learner.online) == 19
    return rule, by_expert, rows["data/rews"][:19]


def test_rewards_and_four_step_takeover_with_the_learner_turn() -> None:
    learner = _learner(learner_turn=True)
    rule, by_expert, rews = _drive(learner, {3, 8, 14})
    # fires at 3 -> expert drives 3..6; 7 is the learner's turn (the rule is not asked); fires at
    # 8 -> expert 8..11; learner's turn at 12; asked at 13, fires at 14 -> expert 14..17; turn at 18
    assert rule.consulted == [0, 1, 2, 3, 8, 13, 14, 19]
    expert_steps = [3, 4, 5, 6, 8, 9, 10, 11, 14, 15, 16, 17]
    assert by_expert == [t in expert_steps for t in range(19)]
    expected = np.zeros(19)
    expected[[2, 7, 13]] = -1.0  # the learner transitions that led to the takeovers at 3, 8 and 14
    np.testing.assert_array_equal(rews, expected)
    assert learner.counters["interventions"] == 3
    assert learner.counters["expert_steps"] == 12


def test_without_the_learner_turn_a_rule_that_fires_again_extends_the_takeover() -> None:
    learner = _learner()
    rule, by_expert, rews = _drive(learner, {3, 7, 12})
    # fires at 3 -> expert drives 3, 4, 5, 6; consulted again at 7 (fires: the takeover continues
    # through 10 without a learner step in between); consulted 11, fires at 12 -> expert 12..15
    assert rule.consulted == [0, 1, 2, 3, 7, 11, 12, 16, 17, 18, 19]
    expert_steps = [3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]
    assert by_expert == [t in expert_steps for t in range(19)]
    expected = np.zeros(19)
    expected[[2, 11]] = -1.0
    np.testing.assert_array_equal(rews, expected)
    assert learner.counters["interventions"] == 2
    assert learner.counters["expert_steps"] == 12


def test_offline_half_has_zero_rewards_and_batches_are_half_and_half() -> None:
    learner = _learner()
    offline = learner.replay.sources[0]
    assert len(offline) == 200  # one Pendulum episode of the expert
    assert np.all(offline.state_dict()["data/rews"] == 0.0)
    assert learner.replay.counts(256) == [128, 128]


def test_rlif_trains_through_the_trainer(tmp_path: Path) -> None:
    sac = SACConfig(layer_norm=True, learning_starts=16, batch_size=16, hidden_sizes=(16, 16))
    config = Config(
        expert="scripted", intervention=InterventionConfig(rule="random"), demo_episodes=1, sac=sac
    )
    trainer = TrainerConfig(
        steps=40, eval_every=40, eval_episodes=1, checkpoint_every=20, progress=False, report=False
    )
    result = mimetic.train(
        "rlif", env_id="Pendulum-v1", run_dir=tmp_path / "run", config=config, trainer=trainer
    )
    assert (tmp_path / "run" / "policy" / "policy.json").is_file()
    assert result.summary["steps"] == 40 and "return_mean" in result.summary["last"]
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert '"interventions"' in lines[-1] and '"loss/critic"' in lines[-1]


def test_rlif_defaults_to_rlpds_critic_ensemble_and_critics_flag_sets_it() -> None:
    from mimetic.algorithms.rlif import rlpd_ensemble

    sac = Config().sac
    assert (sac.num_critics, sac.target_subset, sac.actor_q, sac.layer_norm) == (10, 2, "mean", True)
    double = rlpd_ensemble(sac, 2)
    assert (double.num_critics, double.target_subset, double.actor_q) == (2, 0, "min")
    five = rlpd_ensemble(sac, 5)
    assert (five.num_critics, five.target_subset, five.actor_q) == (5, 2, "mean")
    for env_id in ("CartPole-v1", "Pendulum-v1", "Hopper-v5"):
        config = mimetic.algorithms.rlif.RLIF.default_config(env_id)
        preset = config.sac
        assert (preset.num_critics, preset.target_subset, preset.actor_q) == (10, 2, "mean"), env_id
        # takeovers extend when the rule fires again; the entropy bonus stays in the targets
        assert preset.backup_entropy and not config.learner_turn, env_id
    # RLPD's target entropy -|A| / 2 where no classic-control preset sets its own
    assert mimetic.algorithms.rlif.RLIF.default_config("Hopper-v5").sac.target_entropy_scale == 0.5
