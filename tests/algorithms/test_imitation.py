"""GAIL, AIRL, SQIL and IQ-Learn: formula checks, a two-step harness with save/load, CLI and --reward."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import mimetic
from mimetic.algorithms import ALGORITHMS
from mimetic.algorithms.adversarial import take_rows
from mimetic.algorithms.dac import AIRLSACConfig, DACConfig, DACLearner, airl_sac_preset
from mimetic.algorithms.iq_learn import IQLearnConfig, IQLearner, iq_loss, soft_value
from mimetic.algorithms.sqil import SQILConfig, SQILLearner
from mimetic.cli import main
from mimetic.data import Dataset
from mimetic.experts import collect, scripted_expert
from mimetic.policies.learned import load
from mimetic.rewards import load_reward
from mimetic.rl.ppo import PPOConfig
from mimetic.rl.sac import SACConfig, scheduled_actor_lr
from mimetic.runtime.trainer import TrainerConfig

torch.set_num_threads(1)
IMITATION = ["gail", "airl", "dac", "airl-sac", "sqil", "iq-learn"]


@pytest.fixture(scope="module")
def cartpole_demos() -> Dataset:
    return collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=2, seed=0)


@pytest.fixture(scope="module")
def pendulum_demos() -> Dataset:
    from mimetic.zoo import load as zoo_load

    return collect(zoo_load("Pendulum-v1"), "Pendulum-v1", episodes=1, seed=0)


# ---- formulas ---------------------------------------------------------------------------------
def test_iq_loss_on_a_hand_computed_batch() -> None:
    q, v = torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])
    next_v, terminals = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 1.0])
    is_expert = torch.tensor([True, False])
    # y = (1 - done) gamma V(s') = [0.5, 0]; r = Q - y = [0.5, 2]
    offline, terms = iq_loss(q, v, next_v, terminals, is_expert, 0.5, 0.5, "expert")
    # -E_expert[r] + E_expert[V - y] + E_expert[r^2] / (4 * 0.5) = -0.5 + 1.0 + 0.125
    assert float(offline) == pytest.approx(0.625)
    assert float(terms["chi2"]) == pytest.approx(0.125)
    online, _ = iq_loss(q, v, next_v, terminals, is_expert, 0.5, 0.5, "all")
    # value and chi^2 over both rows: -0.5 + mean(1.0, 2.5) + mean(0.25, 4) / 2
    assert float(online) == pytest.approx(-0.5 + 1.75 + 1.0625)
    with pytest.raises(ValueError, match="value_rows"):
        iq_loss(q, v, next_v, terminals, is_expert, 0.5, 0.5, "some")


def test_soft_value_is_a_temperature_scaled_logsumexp() -> None:
    q = torch.tensor([[0.0, math.log(3.0)]])
    assert float(soft_value(q, 1.0)) == pytest.approx(math.log(4.0))
    assert float(soft_value(q, 0.5)) == pytest.approx(0.5 * math.log(10.0))
    assert float(soft_value(q, 1e-3)) == pytest.approx(math.log(3.0), abs=1e-3)  # -> max Q


def test_continuous_iq_soft_value_from_each_critic_or_their_minimum(pendulum_demos: Dataset) -> None:
    sac = SACConfig(hidden_sizes=(8,), init_alpha=0.5, autotune=False)
    obs = torch.randn(4, 3)
    act, logp = torch.rand(4, 1) * 4 - 2, torch.tensor([0.1, -0.2, 0.3, 0.0])
    for value_q in ("each", "min"):
        learner = IQLearner(pendulum_demos, IQLearnConfig(sac=sac, value_q=value_q), "Pendulum-v1", 0)
        critics = learner.core.critics
        with torch.no_grad():
            q1, q2 = critics(torch.cat([obs, act], -1)).squeeze(-1)
            v = learner._soft_v(critics, obs, act, logp, learner.core.alpha)
        # V = Q - alpha log pi with alpha = 0.5: per critic, or min(Q1, Q2) shared by both
        expected = [q1, q2] if value_q == "each" else [torch.minimum(q1, q2)] * 2
        for got, q in zip(v, expected, strict=True):
            torch.testing.assert_close(got, q - 0.5 * logp)
    with pytest.raises(ValueError, match="value_q"):
        IQLearner(pendulum_demos, IQLearnConfig(sac=sac, value_q="max"), "Pendulum-v1", 0)


def test_continuous_iq_target_value_uses_and_averages_the_target_critics(pendulum_demos: Dataset) -> None:
    sac = SACConfig(hidden_sizes=(8,), tau=0.5)
    learner = IQLearner(pendulum_demos, IQLearnConfig(sac=sac, target_value=True), "Pendulum-v1", 0)
    core = learner.core
    with torch.no_grad():
        core._target_params.zero_()  # a target unlike the critics, to see it move halfway each update
    batch = learner.demo_buffer.sample(16, np.random.default_rng(0))
    batch["is_expert"] = np.r_[np.ones(8, bool), np.zeros(8, bool)]
    learner._continuous_step(batch)
    torch.testing.assert_close(core._target_params, 0.5 * core._critic_params)
    assert "target_critics" in learner.modules()


def test_sqil_batches_are_half_demonstrations_labelled_one(cartpole_demos: Dataset) -> None:
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,))
    learner = SQILLearner(cartpole_demos, SQILConfig(sac=sac), "CartPole-v1", 0)
    rng = np.random.default_rng(0)
    batches = [learner.sample(rng) for _ in range(12)]
    assert all(b is None for b in batches[:9]) and batches[-1] is not None
    batch = batches[-1]
    np.testing.assert_array_equal(batch["rews"], np.r_[np.ones(8), np.zeros(8)])
    demo_obs = np.concatenate([np.asarray(t.obs[:-1]) for t in cartpole_demos.episodes])
    for row in batch["obs"][:8]:  # the first half comes from the demonstrations, the rest from the agent
        assert np.any(np.all(np.isclose(demo_obs, row), axis=1))
    assert len(learner.agent_buffer) == 12
    assert np.all(learner.agent_buffer.sample(50, rng)["rews"] == 0.0)


def test_dac_rewards_replay_batches_with_the_stepped_discriminator(cartpole_demos: Dataset) -> None:
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,))
    learner = DACLearner(
        cartpole_demos, DACConfig(sac=sac, disc_batch_size=6, disc_every=2), "CartPole-v1", 0
    )
    rng = np.random.default_rng(0)
    batches = [learner.sample(rng) for _ in range(11)]
    assert all(b is None for b in batches[:9]) and batches[9] is not None and batches[10] is not None
    assert np.all(learner.replay.sample(40, rng)["rews"] == 0.0)  # the env's reward is never stored
    assert "agent" in batches[9] and "agent" not in batches[10]  # a discriminator step every 2 env steps
    assert len(batches[9]["agent"]["acts"]) == 6 and len(batches[9]["expert"]) == 6
    before = [p.detach().clone() for p in learner.disc.parameters()]
    metrics = learner.update(batches[9])
    assert "loss/discriminator" in metrics and "loss/critic" in metrics
    assert any(not torch.equal(a, b) for a, b in zip(before, learner.disc.parameters(), strict=True))
    sac_rows = batches[9]["sac"]
    with torch.no_grad():  # -log(1 - D) with D = sigmoid(l), written out
        logits = learner.disc.g(learner.disc.g.features(sac_rows["obs"], sac_rows["acts"])).numpy()
    expected = -np.log(1.0 - 1.0 / (1.0 + np.exp(-logits.astype(np.float64))))
    np.testing.assert_allclose(sac_rows["rews"], expected, rtol=1e-5, atol=1e-6)
    assert metrics["reward/mean"] == pytest.approx(float(expected.mean()), rel=1e-5)
    untouched = [p.detach().clone() for p in learner.disc.parameters()]
    assert "loss/discriminator" not in learner.update(batches[10])
    assert all(torch.equal(a, b) for a, b in zip(untouched, learner.disc.parameters(), strict=True))


@pytest.mark.parametrize("reward_log_pi", [False, True])
def test_off_policy_airl_rewards_replay_with_f_or_f_minus_the_current_log_pi(
    pendulum_demos: Dataset, reward_log_pi: bool
) -> None:
    preset = airl_sac_preset("Pendulum-v1")
    assert preset.state_only and preset.generator_reward == "logit"  # airl_preset's choices off CartPole
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,), gamma=0.9)
    config: AIRLSACConfig = replace(
        preset,
        sac=sac,
        disc_batch_size=6,
        disc_hidden_sizes=(8,),
        h_hidden_sizes=(5,),
        reward_log_pi=reward_log_pi,
    )
    learner = DACLearner(pendulum_demos, config, "Pendulum-v1", 0)
    assert learner.disc.h is not None  # h has its own widths, g the discriminator's
    widths = [
        [m.out_features for m in net.modules() if isinstance(m, nn.Linear)]
        for net in (learner.disc.g, learner.disc.h)
    ]
    assert widths == [[8, 1], [5, 1]]
    rng = np.random.default_rng(0)
    batch = None
    while batch is None:
        batch = learner.sample(rng)
    rows = batch["sac"]
    obs, next_obs = rows["obs"].astype(np.float32), rows["next_obs"].astype(np.float32)
    # the relabel uses the actor before this update's SAC step, and the discriminator after its own step
    log_pi = learner.core.log_prob(obs, rows["acts"])
    metrics = learner.update(batch)
    assert "loss/discriminator" in metrics and "loss/critic" in metrics
    assert learner.disc.h is not None
    with torch.no_grad():  # f = g(s) + gamma (1 - done) h(s') - h(s), written out
        g = learner.disc.g.score(obs).numpy()
        h, next_h = learner.disc.h.score(obs).numpy(), learner.disc.h.score(next_obs).numpy()
    done = rows["terminals"].astype(np.float32).reshape(-1)
    expected = g + 0.9 * (1 - done) * next_h - h - (log_pi if reward_log_pi else 0.0)
    np.testing.assert_allclose(rows["rews"], expected, rtol=1e-4, atol=1e-4)
    assert metrics["reward/mean"] == pytest.approx(float(expected.mean()), rel=1e-4, abs=1e-5)
    with pytest.raises(ValueError, match="generator_reward"):
        DACLearner(pendulum_demos, replace(config, generator_reward="exp"), "Pendulum-v1", 0)


def test_off_policy_airl_replay_keeps_the_behaviour_log_density(pendulum_demos: Dataset) -> None:
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,))
    config = replace(
        airl_sac_preset("Pendulum-v1"), sac=sac, disc_hidden_sizes=(8,), discriminator_log_q=True
    )
    learner = DACLearner(pendulum_demos, config, "Pendulum-v1", 0)
    rng = np.random.default_rng(0)
    for _ in range(16):  # no update: the policy that acted is still the current one
        learner.sample(rng)
    rows = learner.replay.sample(200, rng)
    warmup = np.isclose(rows["rews"], -np.log(4.0))  # uniform on [-2, 2]: density 1/4
    assert 0 < warmup.sum() < len(warmup)
    acted = ~warmup
    np.testing.assert_allclose(
        rows["rews"][acted],
        learner.core.log_prob(rows["obs"][acted], rows["acts"][acted]),
        rtol=1e-5,
        atol=1e-5,
    )


def test_off_policy_airl_discriminator_sees_the_current_log_pi(pendulum_demos: Dataset) -> None:
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,))
    config = replace(
        airl_sac_preset("Pendulum-v1"), sac=sac, disc_hidden_sizes=(8,), discriminator_log_q=True
    )
    learner = DACLearner(pendulum_demos, config, "Pendulum-v1", 0)
    rows = take_rows(learner.demos, np.arange(5))
    with_pi = learner._with_log_pi(rows)
    assert with_pi.log_pi is not None
    np.testing.assert_allclose(with_pi.log_pi, learner.core.log_prob(rows.obs, rows.acts))
    with torch.no_grad():  # l = f - log pi: the logit moves one for one with log pi
        shift = learner.disc.logits(replace(with_pi, log_pi=with_pi.log_pi + 1.0)) - learner.disc.logits(
            with_pi
        )
    np.testing.assert_allclose(shift.numpy(), -np.ones(5), atol=1e-5)


@pytest.mark.parametrize("log_q", [True, False])
def test_off_policy_airl_discriminator_logit_with_or_without_log_q(
    pendulum_demos: Dataset, log_q: bool
) -> None:
    sac = SACConfig(learning_starts=10, batch_size=16, hidden_sizes=(8,))
    config = replace(
        airl_sac_preset("Pendulum-v1"),
        sac=sac,
        disc_hidden_sizes=(8,),
        disc_batch_size=6,
        discriminator_log_q=log_q,
    )
    learner = DACLearner(pendulum_demos, config, "Pendulum-v1", 0)
    rng = np.random.default_rng(0)
    batch = None
    while batch is None:
        batch = learner.sample(rng)
    seen: list[Any] = []
    learner.fit.step = lambda agent, expert: seen.append((agent, expert)) or {}  # type: ignore[method-assign]
    demos = take_rows(learner.demos, batch["expert"])
    demo_log_pi = learner.core.log_prob(demos.obs, demos.acts)  # before the update's SAC step
    learner.update(batch)
    ((agent, expert),) = seen
    if log_q:  # replay rows: the density they were drawn from; demonstrations: the current policy's
        np.testing.assert_allclose(agent.log_pi, batch["agent"]["rews"])
        np.testing.assert_allclose(expert.log_pi, demo_log_pi, rtol=1e-6)
        assert np.any(agent.log_pi != 0)
    else:  # f alone (the default): both classes carry log q = 0, and the replay stores none
        assert not airl_sac_preset("Pendulum-v1").discriminator_log_q
        assert np.all(agent.log_pi == 0) and np.all(expert.log_pi == 0)
        assert np.all(batch["agent"]["rews"] == 0)


def test_off_policy_airl_presets_on_mujoco() -> None:
    """Hopper-v5's preset is the one its three recorded seeds ran (docs/adversarial.md): h 32x32 and the
    actor's step size from 3e-4 at update 145k down to 3e-5 at 165k; HalfCheetah-v5 keeps g's widths for
    h and a constant step size; off MuJoCo h is 32x32 with a constant step size."""
    hopper, cheetah, pendulum = (airl_sac_preset(e) for e in ("Hopper-v5", "HalfCheetah-v5", "Pendulum-v1"))
    assert hopper.h_hidden_sizes == (32, 32) and hopper.disc_hidden_sizes == (100, 100)
    lrs = [scheduled_actor_lr(hopper.sac, u) for u in (0, 145_000, 155_000, 165_000, 245_000)]
    assert lrs == pytest.approx([3e-4, 3e-4, 1.65e-4, 3e-5, 3e-5])
    assert cheetah.h_hidden_sizes is None and cheetah.sac.actor_lr_final is None
    assert pendulum.h_hidden_sizes == (32, 32) and pendulum.sac.actor_lr_final is None
    assert scheduled_actor_lr(cheetah.sac, 200_000) == pytest.approx(3e-4)


def test_iq_online_batches_mark_the_expert_half(cartpole_demos: Dataset) -> None:
    learner = IQLearner(cartpole_demos, IQLearnConfig(learning_starts=4, batch_size=10), "CartPole-v1", 0)
    rng = np.random.default_rng(0)
    batch = None
    while batch is None:
        batch = learner.sample(rng)
    np.testing.assert_array_equal(batch["is_expert"], np.arange(10) < 5)
    assert np.isfinite(learner.update(batch)["loss/iq"])


# ---- off-policy checkpoints: the replay, the env-step count and the generators ------------------
OFF_POLICY_LEARNERS = ["sac", "sqil", "dac", "airl-sac", "iq-learn"]


@pytest.mark.parametrize("algo", OFF_POLICY_LEARNERS)
def test_off_policy_checkpoint_restores_replay_steps_and_generators(
    algo: str, pendulum_demos: Dataset, tmp_path: Path
) -> None:
    from mimetic.algorithms.online import ReplayState
    from mimetic.runtime.checkpoint import load_checkpoint, save_checkpoint

    def build() -> Any:
        tiny = SACConfig(learning_starts=4, batch_size=8, hidden_sizes=(8,)) if algo == "sac" else None
        config = tiny or _tiny(algo, "Pendulum-v1")
        return ALGORITHMS.get(algo).build(pendulum_demos, config, env_id="Pendulum-v1")

    learner, rng = build(), np.random.default_rng(0)
    for _ in range(9):  # past the 4 warm-up steps, so updates have drawn on the generators
        learner.update(learner.sample(rng))
    path = save_checkpoint(tmp_path, 9, learner.modules(), learner.optimizers(), {})
    resumed = build()
    load_checkpoint(path, resumed.modules(), resumed.optimizers())
    assert resumed.collector.total_steps == 9  # no second warm-up
    before, after = learner.modules()["replay"], resumed.modules()["replay"]
    assert isinstance(before, ReplayState) and isinstance(after, ReplayState)
    assert {name: len(r) for name, r in after.replays.items()} == {name: 9 for name in before.replays}
    for name, replay in before.replays.items():
        for key, value in replay.state_dict().items():
            np.testing.assert_array_equal(after.replays[name].state_dict()[key], value)
    for name, gen in before.generators.items():
        assert torch.equal(after.generators[name].get_state(), gen.get_state())


def test_a_checkpoint_without_a_replay_warns_and_keeps_the_empty_buffer() -> None:
    from mimetic.algorithms.online import ReplayState
    from mimetic.rl.replay import ReplayBuffer

    replay = ReplayBuffer(10)
    with pytest.warns(UserWarning, match="holds no replay buffer"):
        ReplayState({"replay": replay}, {}).load_state_dict({})
    assert len(replay) == 0


# ---- the harness: every new algorithm, two steps, save, load ----------------------------------
def _tiny(algo: str, env_id: str) -> Any:
    cfg = ALGORITHMS.get(algo).default_config(env_id)
    if algo in ("gail", "airl"):
        ppo = PPOConfig(num_envs=2, rollout_steps=16, update_epochs=1, minibatch_size=16)
        return replace(cfg, ppo=ppo, disc_updates=2, disc_batch_size=8, grad_penalty=1.0, spectral_norm=True)
    sac = SACConfig(learning_starts=4, batch_size=8, hidden_sizes=(8, 8))
    if algo == "sqil":
        return replace(cfg, sac=sac)
    if algo in ("dac", "airl-sac"):
        return replace(cfg, sac=sac, disc_hidden_sizes=(8,), disc_batch_size=8)
    return replace(cfg, sac=sac, learning_starts=4, batch_size=8, hidden_sizes=(8,))


CASES = [(a, e, off) for a in IMITATION for e in ("CartPole-v1", "Pendulum-v1") for off in (False, True)]
CASES = [c for c in CASES if c[2] is False or c[0] == "iq-learn"]


@pytest.mark.parametrize(
    ("algo", "env_id", "offline"), CASES, ids=[f"{a}-{e}-{'off' if o else 'on'}" for a, e, o in CASES]
)
def test_two_steps_save_load(
    algo: str, env_id: str, offline: bool, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    demos = request.getfixturevalue("cartpole_demos" if env_id == "CartPole-v1" else "pendulum_demos")
    cfg = _tiny(algo, env_id)
    if offline:
        cfg = replace(cfg, offline=True)
    steps = 2 if algo in ("gail", "airl") or offline else 6
    trainer = TrainerConfig(
        steps=steps, eval_every=steps, eval_episodes=1, checkpoint_every=steps, progress=False, report=False
    )
    result = mimetic.train(algo, demos, env_id=env_id, run_dir=tmp_path / "run", config=cfg, trainer=trainer)
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert lines and "nan" not in lines[-1]
    saved = load(tmp_path / "run" / "policy")
    obs = (
        np.random.default_rng(0).standard_normal((5, 4 if env_id == "CartPole-v1" else 3)).astype(np.float32)
    )
    ours, _ = result.policy.act(obs)
    theirs, _ = saved.act(obs)
    if env_id == "CartPole-v1":
        np.testing.assert_array_equal(ours, theirs)
    else:
        np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64), atol=1e-4)
    if algo != "sqil":  # the learned reward sits beside the policy and in the checkpoint
        reward = load_reward(tmp_path / "run" / "reward")
        assert (tmp_path / "run" / "checkpoints" / f"step_{steps}" / "reward" / "reward.json").is_file()
        acts = ours if env_id == "CartPole-v1" else np.asarray(ours, np.float32)
        values = reward(obs, acts, obs, np.zeros(5))
        assert values.shape == (5,) and np.isfinite(values).all()


def test_bad_demonstrations_are_one_clear_error(pendulum_demos: Dataset, tmp_path: Path) -> None:
    from mimetic.data import DatasetError

    with pytest.raises(DatasetError, match="observations do not match the env"):
        ALGORITHMS.get("gail").build(pendulum_demos, _tiny("gail", "CartPole-v1"), env_id="CartPole-v1")


# ---- the CLI, resume, and training on a saved reward -------------------------------------------
def test_cli_train_resume_and_reward(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    demos = collect(scripted_expert("CartPole-v1"), "CartPole-v1", episodes=2, seed=0)
    data = tmp_path / "demos.npz"
    mimetic.save(demos, data, format="npz")
    run = str(tmp_path / "gail")
    args = [
        "train",
        "gail",
        "--dataset",
        str(data),
        "--run-dir",
        run,
        "--no-progress",
        "--eval-episodes",
        "2",
    ]
    assert main([*args, "--steps", "2", "--eval-every", "2", "--checkpoint-every", "1"]) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    assert main(["train", "gail", "--run-dir", run, "--resume", "--steps", "3", "--no-progress"]) == 0
    assert "trained 3 steps" in capsys.readouterr().out
    assert main(["train", "iq-learn", "--run-dir", str(tmp_path / "iq"), "--no-progress"]) == 2
    assert "--dataset is required" in capsys.readouterr().err
    ppo = ["train", "ppo", "--env", "CartPole-v1", "--reward", f"{run}/reward", "--no-progress"]
    assert main([*ppo, "--run-dir", str(tmp_path / "ppo"), "--steps", "1", "--eval-every", "0"]) == 0
    assert main(["train", "ppo", "--run-dir", str(tmp_path / "ppo"), "--resume", "--reward", "x"]) == 2
    assert "drop --reward" in capsys.readouterr().err
    assert (
        main([*ppo[:-3], "--reward", str(tmp_path), "--run-dir", str(tmp_path / "p2"), "--no-progress"]) == 2
    )
    assert "not a saved reward" in capsys.readouterr().err


def test_ppo_and_sac_learn_from_the_given_reward(tmp_path: Path) -> None:
    from mimetic.algorithms.ppo import PPO
    from mimetic.algorithms.sac import SAC
    from mimetic.rewards import LearnedReward
    from mimetic.rewards.nets import NetSpec, RewardNet

    reward = LearnedReward("mlp", {"g": RewardNet(NetSpec(4, 2, True, "sa", (4,)))})
    path = str(reward.save(tmp_path / "reward"))
    cfg = PPOConfig(num_envs=2, rollout_steps=8)
    rollout = PPO.build(None, cfg, env_id="CartPole-v1", reward=path).sample(np.random.default_rng(0))
    expected = reward(
        rollout.obs.reshape(16, 4), rollout.acts.reshape(16), rollout.next_obs.reshape(16, 4), np.ones(16)
    )
    np.testing.assert_allclose(rollout.rews.reshape(16), expected, rtol=1e-6)
    assert not np.allclose(rollout.rews, rollout.env_rews)
    sac = SAC.build(None, SACConfig(learning_starts=100), env_id="CartPole-v1", reward=path)
    sac.sample(np.random.default_rng(0))
    stored = sac.replay.sample(1, np.random.default_rng(0))
    assert float(stored["rews"][0]) == pytest.approx(
        float(reward(stored["obs"], stored["acts"], stored["next_obs"], np.ones(1))[0]), rel=1e-5
    )
    with pytest.raises(ValueError, match="--reward applies to ppo and sac"):
        mimetic.train(
            "bc",
            collect(scripted_expert("CartPole-v1"), "CartPole-v1", 1),
            run_dir=tmp_path / "b",
            reward=path,
        )


def test_generator_ppo_anneals_only_where_the_table_says() -> None:
    from mimetic.algorithms.adversarial import GENERATOR_ANNEAL_STEPS, generator_ppo
    from mimetic.rl.ppo import ppo_preset

    for env_id in ("CartPole-v1", "Pendulum-v1", "HalfCheetah-v5"):
        preset = ppo_preset(env_id)
        if env_id in GENERATOR_ANNEAL_STEPS:
            expected = replace(preset, anneal_lr=True, total_steps=GENERATOR_ANNEAL_STEPS[env_id])
        else:
            expected = preset
        assert generator_ppo(env_id) == expected
        for name in ("gail", "airl"):
            assert ALGORITHMS.get(name).default_config(env_id).ppo == expected
    assert GENERATOR_ANNEAL_STEPS["Pendulum-v1"] == 48 * 4 * 1024  # imitation's long budget, 48 rounds


def test_adversarial_presets_on_mujoco() -> None:
    from mimetic.algorithms.adversarial import DISC_GRAD_PENALTY

    for env_id in ("HalfCheetah-v5", "Hopper-v5"):
        for name in ("gail", "airl"):
            assert (
                ALGORITHMS.get(name).default_config(env_id).grad_penalty == DISC_GRAD_PENALTY[env_id] == 10.0
            )
    for name in ("gail", "airl"):  # the classic tasks keep their measured settings: no penalty
        assert ALGORITHMS.get(name).default_config("Pendulum-v1").grad_penalty == 0.0
    hopper, cheetah = (ALGORITHMS.get("airl").default_config(e) for e in ("Hopper-v5", "HalfCheetah-v5"))
    # Hopper ends when it falls: its generator reward must stay positive, or falling early pays
    assert (hopper.generator_reward, hopper.export_transform, hopper.state_only) == (
        "softplus",
        "softplus",
        True,
    )
    assert (cheetah.generator_reward, cheetah.state_only) == ("logit", True)
    # the CLI's off-policy AIRL config is the preset (test_off_policy_airl_presets_on_mujoco)
    airl_sac = ALGORITHMS.get("airl-sac")
    for env_id in ("Pendulum-v1", "Hopper-v5", "HalfCheetah-v5"):
        assert airl_sac.default_config(env_id) == airl_sac_preset(env_id)
