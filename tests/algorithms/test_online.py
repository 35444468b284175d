from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import mimetic
from mimetic.algorithms.online import ppo_progress
from mimetic.cli import main
from mimetic.policies.learned import load
from mimetic.rl.ppo import PPOConfig
from mimetic.rl.sac import SACConfig
from mimetic.runtime.trainer import TrainerConfig


def _quiet(steps: int, every: int) -> TrainerConfig:
    return TrainerConfig(
        steps=steps, eval_every=every, checkpoint_every=every, eval_episodes=2, progress=False
    )


@pytest.mark.parametrize(
    ("env_id", "kind", "obs_norm"),
    [("CartPole-v1", "discrete", False), ("Pendulum-v1", "mlp", True)],
)
def test_exported_ppo_policy_acts_like_the_learner(
    tmp_path: Path, env_id: str, kind: str, obs_norm: bool
) -> None:
    cfg = PPOConfig(num_envs=2, rollout_steps=16, update_epochs=1, minibatch_size=32, normalize_obs=obs_norm)
    result = mimetic.train("ppo", env_id=env_id, run_dir=tmp_path / "run", config=cfg, trainer=_quiet(3, 3))
    saved = load(tmp_path / "run" / "policy")
    assert saved.name == kind
    dim = 4 if env_id == "CartPole-v1" else 3
    obs = np.random.default_rng(0).standard_normal((16, dim)).astype(np.float32)
    ours, _ = result.policy.act(obs)
    theirs, _ = saved.act(obs)
    if kind == "discrete":
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize(("env_id", "kind"), [("Pendulum-v1", "gaussian"), ("CartPole-v1", "discrete")])
def test_exported_sac_policy_acts_like_the_learner(tmp_path: Path, env_id: str, kind: str) -> None:
    cfg = SACConfig(learning_starts=20, batch_size=16, hidden_sizes=(32, 32))
    result = mimetic.train("sac", env_id=env_id, run_dir=tmp_path / "run", config=cfg, trainer=_quiet(40, 40))
    saved = load(tmp_path / "run" / "policy")
    assert saved.name == kind
    dim = 3 if env_id == "Pendulum-v1" else 4
    obs = np.random.default_rng(1).standard_normal((16, dim)).astype(np.float32)
    ours, _ = result.policy.act(obs)
    theirs, _ = saved.act(obs)
    np.testing.assert_allclose(
        np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64), atol=1e-4
    )


def test_train_ppo_cli_and_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = str(tmp_path / "ppo")
    args = ["train", "ppo", "--env", "CartPole-v1", "--run-dir", run, "--seed", "1", "--no-progress"]
    assert (
        main([*args, "--steps", "4", "--eval-every", "2", "--checkpoint-every", "2", "--eval-episodes", "2"])
        == 0
    )
    assert "trained 4 steps" in capsys.readouterr().out
    assert main(["train", "ppo", "--run-dir", run, "--resume", "--steps", "6", "--no-progress"]) == 0
    assert "trained 6 steps" in capsys.readouterr().out
    assert main(["train", "ppo", "--run-dir", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "--env is required" in capsys.readouterr().err


@pytest.mark.parametrize("algorithm", ["ppo", "gail"])
def test_resume_continues_env_steps_and_the_annealing_clock(tmp_path: Path, algorithm: str) -> None:
    # 2 envs x 16 steps a round, annealed over 6 rounds: stopped after 4 and resumed to 6, the run must
    # log env steps 160 and 192 for rounds 5 and 6 (not 32 and 64) and end with the annealing clock at
    # 192 steps, where an uninterrupted run ends, not at 64
    from safetensors.torch import load_file

    from mimetic.algorithms.gail import GAILConfig
    from mimetic.experts import collect, scripted_expert
    from mimetic.runtime.checkpoint import list_checkpoints

    ppo = PPOConfig(
        num_envs=2, rollout_steps=16, update_epochs=1, minibatch_size=32, anneal_lr=True, total_steps=192
    )
    config = ppo if algorithm == "ppo" else GAILConfig(ppo=ppo)
    data = None if algorithm == "ppo" else collect(scripted_expert("CartPole-v1"), "CartPole-v1", 1)
    run = tmp_path / "run"
    trainer = TrainerConfig(steps=4, seed=0, log_every=1, eval_every=0, checkpoint_every=2, progress=False)
    mimetic.train(algorithm, data, env_id="CartPole-v1", run_dir=run, config=config, trainer=trainer)
    mimetic.train(algorithm, data, run_dir=run, resume=True, steps=6)
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [int(x["env_steps"]) for x in lines if x["step"] > 4] == [160, 192]
    _, last = list_checkpoints(run / "checkpoints")[-1]
    weights = load_file(str(last / "modules.safetensors"))
    assert int(weights["progress/env_steps"]) == int(weights["progress/ppo_steps_done"]) == 192


def test_progress_leaves_counters_alone_for_older_checkpoints() -> None:
    from types import SimpleNamespace

    collector, core = SimpleNamespace(total_steps=7), SimpleNamespace(steps_done=3)
    progress = ppo_progress(collector, core)
    assert {k: int(v) for k, v in progress.state_dict().items()} == {"env_steps": 7, "ppo_steps_done": 3}
    progress.load_state_dict({"env_steps": torch.tensor(11)})
    assert (collector.total_steps, core.steps_done) == (11, 3)


@pytest.mark.slow
def test_ppo_through_the_trainer_solves_cartpole(tmp_path: Path) -> None:
    result = mimetic.train("ppo", env_id="CartPole-v1", run_dir=tmp_path / "run", trainer=_quiet(250, 250))
    assert result.summary["last"]["return_mean"] >= 450.0


@pytest.mark.parametrize("algorithm", ["ppo", "sac"])
def test_same_seed_gives_bitwise_equal_weights(tmp_path: Path, algorithm: str) -> None:
    from safetensors.torch import load_file

    if algorithm == "sac":
        cfg: PPOConfig | SACConfig = SACConfig(learning_starts=30, batch_size=16, hidden_sizes=(16, 16))
        env_id, steps = "Pendulum-v1", 60
    else:
        cfg = PPOConfig(num_envs=2, rollout_steps=16, update_epochs=2, minibatch_size=16)
        env_id, steps = "CartPole-v1", 3
    weights = []
    for i in range(2):
        mimetic.train(
            algorithm, env_id=env_id, run_dir=tmp_path / str(i), config=cfg, trainer=_quiet(steps, steps)
        )
        weights.append(load_file(str(tmp_path / str(i) / "policy" / "policy.safetensors")))
    assert weights[0].keys() == weights[1].keys()
    assert all(np.array_equal(weights[0][k].numpy(), weights[1][k].numpy()) for k in weights[0])
