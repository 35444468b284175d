"""BESO: batches, classifier-free guidance, seeded sampling, save/load, training, the CLI, and two modes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

import mimetic
from mimetic.algorithms import ALGORITHMS
from mimetic.algorithms.bc import BCLearner
from mimetic.algorithms.bc import Config as BCConfig
from mimetic.algorithms.beso import BesoLearner, Config, WindowChunkBatches
from mimetic.cli import _run
from mimetic.data import Dataset, DatasetMetadata, Trajectory
from mimetic.policies import Policy, PolicyConfig, load
from mimetic.policies.diffusion import BesoPolicy, DiffusionConfig
from mimetic.policies.layout import ObsLayout
from mimetic.runtime.cli import add_eval_parser, add_train_parser
from tests.builders import make_dict_dataset

torch.set_num_threads(1)
TINY = PolicyConfig(hidden_sizes=(16, 16), d_model=8, num_heads=2, num_layers=1)


def _goal_policy(denoiser: str = "mlp", **kwargs: object) -> BesoPolicy:
    layout = ObsLayout((("desired_goal", (2,)), ("observation", (3,))))
    diffusion = DiffusionConfig(denoiser=denoiser, obs_window=2, **kwargs)  # type: ignore[arg-type]
    return BesoPolicy(layout, spaces.Box(-1.0, 1.0, (2,), np.float32), TINY, diffusion)


def test_registered_as_algorithm_and_policy() -> None:
    assert ALGORITHMS.get("beso").Config is Config
    assert mimetic.policies.POLICIES.get("beso") is BesoPolicy


def test_window_and_chunk_indices_clamp_at_the_episode_ends() -> None:
    obs = np.arange(5, dtype=np.float32)[:, None]  # 4 steps + the final observation
    traj = Trajectory(obs=obs, acts=np.arange(4, dtype=np.float32)[:, None] * 10)
    batches = WindowChunkBatches(Dataset([traj]), ObsLayout.of(obs), window=3, chunk=2)
    assert len(batches) == 4
    np.testing.assert_array_equal(
        batches.obs[batches.obs_index][:, :, 0], [[0, 0, 0], [0, 0, 1], [0, 1, 2], [1, 2, 3]]
    )
    np.testing.assert_array_equal(
        batches.acts[batches.act_index][:, :, 0], [[0, 10], [10, 20], [20, 30], [30, 30]]
    )


@pytest.mark.parametrize("denoiser", ["mlp", "transformer"])
def test_guidance_zero_is_the_unconditional_denoiser(denoiser: str) -> None:
    torch.manual_seed(0)
    policy = _goal_policy(denoiser).eval()
    state, goal = torch.randn(4, 2, 3), torch.randn(4, 2)
    x, sigma = torch.randn(4, 1, 2), torch.full((4,), 0.3)
    uncond = policy._denoise(x, sigma, state, policy._with_keep(goal, torch.zeros(4)))
    cond = policy._denoise(x, sigma, state, policy._with_keep(goal, torch.ones(4)))
    assert not torch.allclose(cond, uncond)
    torch.testing.assert_close(policy.guided_denoiser(state, goal, 0.0)(x, sigma), uncond)
    torch.testing.assert_close(policy.guided_denoiser(state, goal + 5.0, 0.0)(x, sigma), uncond)
    torch.testing.assert_close(policy.guided_denoiser(state, goal, 1.0)(x, sigma), cond)
    mixed = policy.guided_denoiser(state, goal, 2.0)(x, sigma)
    torch.testing.assert_close(mixed, uncond + 2.0 * (cond - uncond))


def test_goal_free_actions_ignore_the_goal() -> None:
    torch.manual_seed(0)
    policy = _goal_policy(guidance=0.0)
    obs = {"observation": np.zeros((3, 3), np.float32), "desired_goal": np.zeros((3, 2), np.float32)}
    moved = {**obs, "desired_goal": np.ones((3, 2), np.float32)}
    torch.manual_seed(1)
    a, _ = policy.act(obs, BesoPolicy.reset(policy, 3))
    policy._resets = 0
    b, _ = policy.act(moved, policy.reset(3))
    a_again, _ = _goal_policy(guidance=0.0).act(obs)  # a fresh policy: other weights
    policy._resets = 0
    c, _ = policy.act(obs, policy.reset(3))
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(b, c)
    assert a_again.shape == a.shape


def test_seeded_sampling_is_reproducible_and_saved(tmp_path: Path) -> None:
    torch.manual_seed(0)
    policy = _goal_policy(steps=4, sampler="heun", action_chunk=2)
    assert isinstance(policy, Policy)
    policy.save(tmp_path / "p")
    loaded = load(tmp_path / "p")
    assert isinstance(loaded, BesoPolicy) and loaded.diffusion == policy.diffusion
    obs = {"observation": np.random.default_rng(0).normal(size=(5, 3)), "desired_goal": np.ones((5, 2))}
    sa, sb = policy.reset(5), loaded.reset(5)
    first_a = None
    for _ in range(3):  # steps 1 and 3 sample a chunk, step 2 takes the queued action
        a, sa = policy.act(obs, sa, deterministic=True)
        b, sb = loaded.act(obs, sb, deterministic=True)
        np.testing.assert_array_equal(a, b)
        first_a = a if first_a is None else first_a
        assert a.shape == (5, 2) and np.all(np.abs(a) <= 1.0)
    first_b, _ = loaded.act(obs, loaded.reset(5), deterministic=True)  # the next reset seeds other noise
    assert not np.array_equal(first_b, first_a)
    free_a, _ = policy.act(obs, policy.reset(5), deterministic=False)  # torch's global generator
    free_b, _ = policy.act(obs, policy.reset(5), deterministic=False)
    assert not np.array_equal(free_a, free_b)


def test_chunk_is_sampled_once_per_chunk() -> None:
    policy = _goal_policy(action_chunk=3)
    calls = []
    sample_actions = policy.sample_actions

    def counting(window: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        calls.append(window.shape)
        return sample_actions(window, generator)

    policy.sample_actions = counting  # type: ignore[method-assign]
    obs = {"observation": np.zeros((2, 3)), "desired_goal": np.zeros((2, 2))}
    state = policy.reset(2)
    for _ in range(7):
        _, state = policy.act(obs, state)
    assert len(calls) == 3 and calls[0] == (2, 2, 5)


def test_learner_updates_and_keeps_an_ema(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = Config(batch_size=8, net=TINY, diffusion=DiffusionConfig(obs_window=3, action_chunk=2))
    learner = BesoLearner(make_dict_dataset(episodes=3), config)
    rng = np.random.default_rng(0)
    before = [p.clone() for p in learner.policy.parameters()]
    for _ in range(3):
        assert np.isfinite(learner.update(learner.sample(rng))["loss"])
    assert learner.ema_step() == 2
    moved = [not torch.equal(a, b) for a, b in zip(before, learner.policy.parameters(), strict=True)]
    assert any(moved)
    online = dict(learner.model.named_parameters())
    assert any(not torch.equal(p, online[n]) for n, p in learner.policy.named_parameters())
    torch.testing.assert_close(learner.policy.obs_norm.loc, learner.model.obs_norm.loc)


def _two_mode_dataset(episodes: int = 40, steps: int = 10) -> Dataset:
    """Uninformative observations; the action is +1 in half of the episodes and -1 in the other half."""
    rng = np.random.default_rng(0)
    trajs = []
    for i in range(episodes):
        sign = 1.0 if i % 2 else -1.0
        acts = (sign + 0.05 * rng.standard_normal((steps, 1))).astype(np.float32)
        trajs.append(Trajectory(obs=rng.standard_normal((steps + 1, 2)).astype(np.float32), acts=acts))
    box = spaces.Box(-2.0, 2.0, (1,), np.float32)
    return Dataset(trajs, DatasetMetadata(observation_space=spaces.Box(-9, 9, (2,)), action_space=box))


def test_beso_keeps_both_modes_where_bc_mlp_averages() -> None:
    dataset = _two_mode_dataset()
    obs = np.random.default_rng(1).standard_normal((400, 2)).astype(np.float32)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    net = PolicyConfig(hidden_sizes=(64, 64))
    beso = BesoLearner(
        dataset,
        Config(
            batch_size=128,
            learning_rate=1e-3,
            net=net,
            diffusion=DiffusionConfig(denoiser="mlp", obs_window=1),
        ),
    )
    for _ in range(600):
        beso.update(beso.sample(rng))
    actions, _ = beso.policy.act(obs)
    near_plus, near_minus = np.mean(np.abs(actions - 1.0) < 0.3), np.mean(np.abs(actions + 1.0) < 0.3)
    assert near_plus > 0.3 and near_minus > 0.3, (near_plus, near_minus)

    bc = BCLearner(dataset, BCConfig(policy="mlp", batch_size=128, net=net))
    for _ in range(600):
        bc.update(bc.sample(rng))
    bc_actions, _ = bc.policy.act(obs)
    assert np.mean(np.abs(np.abs(bc_actions) - 1.0) < 0.3) < 0.1  # neither mode: the mean, near 0
    assert np.mean(np.abs(bc_actions) < 0.5) > 0.9


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mimetic")
    verbs = parser.add_subparsers(dest="verb", required=True)
    add_train_parser(verbs)
    add_eval_parser(verbs)
    args = parser.parse_args(argv)
    return _run(args.func, args)


def test_cli_train_and_eval_with_guidance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mimetic.envs.avoiding import AvoidingExpert
    from mimetic.experts import collect

    env_id = "mimetic/AvoidingGoal-v0"
    ds = collect(AvoidingExpert(0), env_id, 3, seed=0, info_keys=["mode", "success"])
    path = mimetic.save(ds, tmp_path / "demos.npz", format="npz")
    run = tmp_path / "run"
    argv = ["train", "beso", "--dataset", str(path), "--run-dir", str(run), "--no-progress"]
    argv += [
        "--steps",
        "4",
        "--batch-size",
        "8",
        "--denoiser",
        "mlp",
        "--eval-every",
        "0",
        "--checkpoint-every",
        "2",
    ]
    argv += ["--steps-per-action", "2"]
    assert _main(argv) == 0
    saved = json.loads((run / "policy" / "policy.json").read_text())
    assert saved["policy"] == "beso" and saved["diffusion"]["steps"] == 2
    capsys.readouterr()
    evals = ["eval", str(run), "--episodes", "2", "--json", "--guidance", "0", "--steps-per-action", "1"]
    assert _main(evals) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["env_id"] == env_id and len(result["returns"]) == 2
    assert (
        _main(["train", "beso", "--run-dir", str(run), "--resume", "--guidance", "2", "--no-progress"]) != 0
    )
    assert "drop --guidance" in capsys.readouterr().err
    assert _main(["train", "beso", "--run-dir", str(run), "--resume", "--steps", "6", "--no-progress"]) == 0


def test_eval_options_need_a_diffusion_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mimetic.policies import build_policy

    ds = make_dict_dataset()
    policy = build_policy("mlp", ds.episodes[0].obs, ds.metadata.action_space, TINY)
    policy.save(tmp_path / "p")
    assert _main(["eval", str(tmp_path / "p"), "--env", "CartPole-v1", "--guidance", "1"]) != 0
    assert "diffusion policies" in capsys.readouterr().err


def test_resume_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from mimetic.runtime import TrainerConfig, train

    dataset = make_dict_dataset(episodes=3)
    config = Config(batch_size=8, net=TINY, diffusion=DiffusionConfig(obs_window=2))
    common = {"seed": 1, "eval_every": 0, "checkpoint_every": 3, "progress": False, "report": False}

    def run(run_dir: Path, steps: int, resume: bool = False) -> None:
        if resume:
            train("beso", dataset, run_dir=run_dir, resume=True, steps=steps)
        else:
            trainer = TrainerConfig(steps=steps, tensorboard=False, **common)  # type: ignore[arg-type]
            train("beso", dataset, run_dir=run_dir, config=config, trainer=trainer)

    run(tmp_path / "straight", 6)
    run(tmp_path / "split", 3)
    run(tmp_path / "split", 6, resume=True)
    weights = [
        load_file(str(tmp_path / r / "checkpoints" / "step_6" / "modules.safetensors"))
        for r in ("straight", "split")
    ]
    assert weights[0].keys() == weights[1].keys()
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key
