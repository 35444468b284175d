"""DAgger and HG-DAgger: the label budget, the beta schedule, exact resume, and DAgger beating BC
where BC compounds its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import mimetic
from mimetic.algorithms.bc import Config as BCConfig
from mimetic.algorithms.dagger import Config, DAggerLearner
from mimetic.algorithms.hg_dagger import Config as HGConfig
from mimetic.algorithms.hg_dagger import HGDAggerLearner
from mimetic.cli import main
from mimetic.experts import scripted_expert
from mimetic.interactive.interveners import InterventionConfig
from mimetic.policies import PolicyConfig
from mimetic.runtime.trainer import TrainerConfig

torch.set_num_threads(1)
SMALL = BCConfig(net=PolicyConfig(hidden_sizes=(64, 64)))


def _trainer(steps: int, every: int, episodes: int = 2, log_every: int = 5) -> TrainerConfig:
    # the Trainer logs means over each logging window: windows inside one round keep `labels` exact
    return TrainerConfig(
        steps=steps, eval_every=every, eval_episodes=episodes, checkpoint_every=every, log_every=log_every,
        progress=False, report=False,
    )  # fmt: skip


def _records(run: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_dagger_beats_bc_at_an_equal_label_budget(tmp_path: Path) -> None:
    # Pendulum's scripted expert switches between energy pumping and a PD hold: BC on its own
    # trajectories fails in the states its mistakes lead to, DAgger labels exactly those states.
    # beta_decay = 1 keeps the expert in control every round: BC with the same 1000 labels.
    returns = {}
    for name, decay in (("dagger", 0.0), ("bc", 1.0)):
        config = Config(
            expert="scripted", initial_labels=200, labels_per_round=200, max_labels=1000,
            updates_per_round=400, beta_decay=decay, bc=SMALL,
        )  # fmt: skip
        run = tmp_path / name
        result = mimetic.train(
            "dagger", env_id="Pendulum-v1", run_dir=run, config=config, trainer=_trainer(2000, 2000, 10, 400)
        )
        assert _records(run)[-1]["labels"] == 1000.0
        returns[name] = result.summary["last"]["return_mean"]
    assert returns["dagger"] > -300.0, returns
    assert returns["dagger"] > returns["bc"] + 200.0, returns


def test_labels_are_counted_per_round_and_stop_at_the_budget() -> None:
    config = Config(
        expert="scripted",
        initial_labels=30,
        labels_per_round=25,
        max_labels=90,
        updates_per_round=5,
        bc=SMALL,
    )
    learner = DAggerLearner(config, "CartPole-v1", seed=0)
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(30):
        seen.append(learner.update(learner.sample(rng))["labels"])
    # 30 at the start, +25 after 5 and 10 updates, then the last 10 of the 90-label budget
    assert seen[:5] == [30.0] * 5 and seen[5:10] == [55.0] * 5 and seen[10:15] == [80.0] * 5
    assert seen[15:] == [90.0] * 15
    assert learner.counters["expert_queries"] == 90 and len(learner.bc.train_batches) == 90
    # every aggregated label is the expert's action in that state
    batches = learner.bc.train_batches.all()
    expert_acts, _ = scripted_expert("CartPole-v1").act(batches["obs"].numpy())
    np.testing.assert_array_equal(batches["acts"].numpy(), expert_acts)


def test_a_round_on_several_envs_plays_each_seeded_episode_as_one_env_would() -> None:
    import gymnasium as gym

    # 3 envs, 850 labels: seeds s, s+1, s+2 run their 200 steps side by side (600 labels) and end;
    # seeds s+3..s+5 start and get the remaining 250 labels (84, 83, 83) without ending.
    config = Config(expert="scripted", initial_labels=850, num_envs=3, bc=SMALL)
    learner = DAggerLearner(config, "Pendulum-v1", seed=0)
    first = learner.episode_seed()  # the counters hold the first round already: recompute its base
    base = first - learner.counters["episodes"]
    assert learner.counters["labels"] == 850 and learner.counters["episodes"] == 6
    expert = scripted_expert("Pendulum-v1")
    env = gym.make("Pendulum-v1")
    alone = []
    for i in range(3):
        obs, _ = env.reset(seed=base + i)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(expert.act(obs[None])[0][0])
            total, done = total + float(reward), terminated or truncated
        alone.append(total)
    assert learner.last_return == pytest.approx(np.mean(alone), rel=1e-12)
    states = learner.bc.train_batches.all()["obs"].numpy()
    for i in range(6):  # the first row of each env in each step block is its episode's reset state
        row = i if i < 3 else 600 + (i - 3)
        np.testing.assert_allclose(states[row], env.reset(seed=base + i)[0], rtol=1e-6)


def test_beta_schedule() -> None:
    learner = DAggerLearner(
        Config(expert="scripted", initial_labels=10, beta_decay=0.5, bc=SMALL), "CartPole-v1", 0
    )
    assert [learner.beta(i) for i in (1, 2, 3, 4)] == [1.0, 0.5, 0.25, 0.125]
    learner.config.beta_decay = 0.0  # Ross et al.'s practical choice: the expert acts in round 1 only
    assert [learner.beta(i) for i in (1, 2, 3)] == [1.0, 0.0, 0.0]


def test_dagger_resume_is_bitwise_exact(tmp_path: Path) -> None:
    config = Config(
        expert="scripted",
        initial_labels=40,
        labels_per_round=40,
        max_labels=200,
        updates_per_round=10,
        bc=SMALL,
    )
    whole = tmp_path / "whole"
    mimetic.train("dagger", env_id="CartPole-v1", run_dir=whole, config=config, trainer=_trainer(60, 15))
    part = tmp_path / "part"
    mimetic.train("dagger", env_id="CartPole-v1", run_dir=part, config=config, trainer=_trainer(30, 15))
    mimetic.train("dagger", run_dir=part, resume=True, steps=60)
    a = load_file(str(whole / "policy" / "policy.safetensors"))
    b = load_file(str(part / "policy" / "policy.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    clocks = ("wall_s", "train_s", "train_cpu_s")  # everything but the clocks is the same
    assert _records(whole) == [
        {**r, **{k: w[k] for k in clocks}} for r, w in zip(_records(part), _records(whole), strict=True)
    ]


def test_hg_dagger_aggregates_only_the_expert_segments() -> None:
    config = HGConfig(
        expert="scripted", initial_labels=50, labels_per_round=60, max_labels=1000, updates_per_round=1,
        intervention=InterventionConfig(rule="action-distance", takeover_steps=3), bc=SMALL,
    )  # fmt: skip
    learner = HGDAggerLearner(config, "CartPole-v1", seed=0)
    result = learner.collect_round(60)
    expert = scripted_expert("CartPole-v1")
    np.testing.assert_array_equal(result.acts, expert.act(result.obs)[0])  # labels are the expert's
    assert len(result.acts) == 60 and result.interventions >= 1
    assert result.env_steps > len(result.acts)  # the novice drove the other steps, which are not aggregated
    # takeovers last at least 3 steps, so a round holds at most one new segment per 3 labels
    assert result.interventions <= 60 // 3 + 1


def test_train_cli_for_interactive_methods(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = str(tmp_path / "hg")
    args = [
        "train",
        "hg-dagger",
        "--env",
        "CartPole-v1",
        "--expert",
        "scripted",
        "--run-dir",
        run,
        "--no-progress",
    ]
    small = [
        "--labels",
        "120",
        "--initial-labels",
        "40",
        "--labels-per-round",
        "40",
        "--updates-per-round",
        "5",
    ]
    assert (
        main(
            [
                *args,
                *small,
                "--steps",
                "10",
                "--eval-every",
                "10",
                "--checkpoint-every",
                "5",
                "--eval-episodes",
                "1",
            ]
        )
        == 0
    )
    assert "trained 10 steps" in capsys.readouterr().out
    assert main(["train", "hg-dagger", "--run-dir", run, "--resume", "--steps", "15", "--no-progress"]) == 0
    assert main(["train", "dagger", "--run-dir", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "--env is required" in capsys.readouterr().err
    rlif = ["train", "rlif", "--env", "Pendulum-v1", "--expert", "scripted", "--intervener", "random"]
    rlif_run = [
        "--run-dir",
        str(tmp_path / "rlif"),
        "--no-progress",
        "--eval-every",
        "0",
        "--demo-episodes",
        "1",
    ]
    assert main([*rlif, *rlif_run, "--steps", "6", "--checkpoint-every", "3"]) == 0
    resume = [
        "train",
        "rlif",
        "--run-dir",
        str(tmp_path / "rlif"),
        "--resume",
        "--steps",
        "9",
        "--no-progress",
    ]
    assert main(resume) == 0
    assert "trained 9 steps" in capsys.readouterr().out
    ablation = ["--no-entropy-backup", "--learner-turn", "--critics", "2", "--q-reference", "zoo:medium"]
    rlif_run[1] = str(tmp_path / "rlif-ablation")
    assert main([*rlif, *rlif_run, "--steps", "2", *ablation]) == 0
    saved = json.loads((tmp_path / "rlif-ablation" / "config.json").read_text())["algorithm_config"]
    assert saved["learner_turn"] is True
    assert (saved["sac"]["backup_entropy"], saved["sac"]["num_critics"]) == (False, 2)
    assert saved["intervention"]["q_reference"] == "zoo:medium"
    bad = [
        "train",
        "rlif",
        "--env",
        "CartPole-v1",
        "--expert",
        "nope",
        "--run-dir",
        str(tmp_path / "y"),
        "--no-progress",
    ]
    assert main(bad) == 2
    assert (
        "unknown expert (expected scripted, zoo[:quality] or a policy folder, found nope)"
        in capsys.readouterr().err
    )
