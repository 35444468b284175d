"""iRDPG: the Q-filter, prioritized replay, the demonstration buffer, day resets, learning, resume."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from mimetic.rl.prioritized import PrioritizedSampler
from mimetic.runtime.seeding import seed_everything
from mimetic.runtime.trainer import ResumeError
from mimetic.trading.data import Bars, synthetic_bars
from mimetic.trading.env import TradingConfig, TradingEnv
from mimetic.trading.irdpg import IRDPGConfig, IRDPGLearner, IRDPGPolicy, load_policy, q_filter_mask
from mimetic.trading.irdpg_replay import Day, SequenceReplay
from mimetic.trading.irdpg_run import (
    MarketSettings,
    agent_positions,
    backtest_agent,
    baseline_results,
    load_selected_policy,
    train_agent,
)

TINY = IRDPGConfig(hidden_size=16, gru_layers=2, head_hidden=16, batch_days=4, warmup_days=3, segment=4)


@pytest.fixture(scope="module")
def tiny_bars() -> Bars:
    """30 sessions of 12 one-minute bars: 21 train, 4 validation, 5 test days."""
    return synthetic_bars(days=30, bars_per_day=12, seed=5)


def tiny_learner(bars: Bars, variant: str, **overrides: object) -> IRDPGLearner:
    seed_everything(0)
    config = IRDPGConfig(**{**TINY.__dict__, "variant": variant, **overrides})
    return IRDPGLearner(config, TradingConfig(data=bars, split="train"))


# ------------------------------------------------------------------------------------- Q-filter


def test_q_filter_masks_exactly_where_the_teacher_is_not_rated_higher() -> None:
    q_teacher = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 7.0]])
    q_actor = torch.tensor([[1.0, 1.0, 4.0], [0.4, -1.0, 6.9]])
    # kept: Q(h, a*) > Q(h, mu(h)); masked: Q(h, a*) <= Q(h, mu(h)), ties included
    expected = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    assert torch.equal(q_filter_mask(q_teacher, q_actor), expected)


def test_bc_loss_uses_only_the_q_filtered_steps(tiny_bars: Bars) -> None:
    # critic_lr 0: the critic the actor step sees is the one the expected values are computed with
    learner = tiny_learner(tiny_bars, "rdpg-bc", actor_every=1, lambda1=0.0, lambda2=1.0, critic_lr=0.0)
    rng = np.random.default_rng(0)
    batch = learner.sample(rng)
    x, acts, _, _, valid, teacher, _ = learner._inputs(batch)
    steps = acts.shape[1]
    with torch.no_grad():
        from mimetic.trading.irdpg import unroll

        h = unroll(learner.critic.gru, x[:, :steps], None, 0)
        mu = learner.actor.action(unroll(learner.actor.gru, x[:, :steps], None, 0))
        keep = (learner.critic.q(h, teacher) > learner.critic.q(h, mu)).float() * valid
        expected = float(((mu - teacher).square().sum(-1) * keep).sum() / valid.sum())
        expected_pass = float(keep.sum() / valid.sum())
    metrics = learner.update(batch)
    assert 0.0 < expected_pass < 1.0  # the filter keeps some steps and drops others here
    assert metrics["q_filter_pass"] == pytest.approx(expected_pass)
    assert metrics["loss/bc"] == pytest.approx(expected, rel=1e-5)


# ------------------------------------------------------------------------------ prioritized replay


def test_prioritized_probabilities_and_weights_match_hand_computed_values() -> None:
    sampler = PrioritizedSampler(4, alpha=0.5, beta=0.5)
    sampler.update(np.arange(3), np.array([1.0, 4.0, 9.0]))
    # p^alpha = 1, 2, 3 over the 3 stored items: P = 1/6, 1/3, 1/2
    np.testing.assert_allclose(sampler.probabilities(3), [1 / 6, 1 / 3, 1 / 2])
    # (1 / (N P))^beta = (1/0.5)^0.5, (1/1)^0.5, (1/1.5)^0.5 = sqrt 2, 1, sqrt(2/3); over the max sqrt 2
    np.testing.assert_allclose(
        sampler.weights(np.array([0, 1, 2]), 3), [1.0, 1 / math.sqrt(2), 1 / math.sqrt(3)]
    )
    linear = PrioritizedSampler(3, alpha=1.0, beta=1.0)
    linear.update(np.arange(3), np.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(linear.probabilities(3), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(linear.weights(np.array([2, 0]), 3), [0.5, 1.0])  # (4/3, 2/3) / (4/3)
    draws, weights = sampler.sample(60_000, 3, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / len(draws), [1 / 6, 1 / 3, 1 / 2], atol=0.01)
    np.testing.assert_allclose(weights, sampler.weights(draws, 3))
    with pytest.raises(ValueError, match="> 0"):
        sampler.update(np.array([0]), np.array([0.0]))


def test_alpha_zero_is_uniform_with_unit_weights() -> None:
    sampler = PrioritizedSampler(3, alpha=0.0, beta=0.4)
    sampler.update(np.arange(3), np.array([0.1, 5.0, 100.0]))
    np.testing.assert_allclose(sampler.probabilities(3), [1 / 3] * 3)
    np.testing.assert_allclose(sampler.weights(np.arange(3), 3), [1.0, 1.0, 1.0])


def test_priorities_follow_the_ddpgfd_formula(tiny_bars: Bars) -> None:
    learner = tiny_learner(tiny_bars, "irdpg", lambda3=0.5, priority_eps=1e-3, priority_eps_demo=0.25)
    batch = learner.sample(np.random.default_rng(1))
    assert batch.is_demo.any() and not batch.is_demo.all()
    cfg = learner.config
    x, acts, rews, dones, valid, _, _ = learner._inputs(batch)
    steps = acts.shape[1]
    acts = acts.clone().requires_grad_(True)
    with torch.no_grad():
        next_q = learner.target_critic.q(
            learner.target_critic.gru(x)[0][:, 1:],
            learner.target_actor.action(learner.target_actor.gru(x)[0][:, 1:]),
        )
    q = learner.critic.q(learner.critic.gru(x[:, :steps])[0], acts)
    (grad,) = torch.autograd.grad(q.sum(), acts)
    delta = q.detach() - (rews + cfg.gamma * (1 - dones) * next_q)
    per_step = delta.square() + 0.5 * grad.square().sum(-1)
    expected = ((per_step * valid).sum(1) / valid.sum(1)).numpy() + 1e-3 + 0.25 * batch.is_demo
    learner.update(batch)
    # a day drawn twice keeps the priority of its last draw, as the learner writes them in order
    last = {int(i): k for k, i in enumerate(batch.indices)}
    for row, k in last.items():
        assert learner.replay.sampler.priorities[row] == pytest.approx(expected[k], rel=1e-4)


# -------------------------------------------------------------------------- demonstration buffer


def _day(episode: int, steps: int = 3, obs_dim: int = 2) -> Day:
    return Day(
        episode=episode,
        obs=np.full((steps + 1, obs_dim), float(episode), dtype=np.float32),
        acts=np.zeros((steps, 2), dtype=np.float32),
        rews=np.full(steps, float(episode), dtype=np.float32),
        teacher=np.zeros((steps, 2), dtype=np.float32),
        terminated=True,
    )


def test_demo_days_are_never_evicted() -> None:
    replay = SequenceReplay(capacity=2, demo_capacity=3, max_len=3, obs_dim=2, alpha=0.6, beta=0.4)
    for k in range(3):
        replay.add_demo(_day(100 + k))
    for k in range(10):
        replay.add(_day(k))
    assert len(replay) == 5
    np.testing.assert_array_equal(replay.episodes[:3], [100, 101, 102])
    np.testing.assert_array_equal(replay.rews[:3, 0], [100, 101, 102])
    assert sorted(replay.episodes[3:]) == [8, 9]  # the agent ring keeps its 2 newest days
    with pytest.raises(ValueError, match="before the agent"):
        replay.add_demo(_day(103))
    full = SequenceReplay(capacity=2, demo_capacity=1, max_len=3, obs_dim=2)
    full.add_demo(_day(1))
    with pytest.raises(ValueError, match="full"):
        full.add_demo(_day(2))


def test_the_learners_demo_days_survive_a_full_agent_ring(tiny_bars: Bars) -> None:
    learner = tiny_learner(tiny_bars, "rdpg-db", replay_days=4, updates_per_day=1)
    demos = learner.replay.num_demos
    assert demos == learner.env.num_episodes  # every training day, played by Dual Thrust
    before = learner.replay.obs[:demos].copy()
    rng = np.random.default_rng(0)
    for _ in range(12):
        learner.update(learner.sample(rng))
    assert learner.days_played == 3 + 11 and learner.replay.num_agent == 4
    np.testing.assert_array_equal(learner.replay.obs[:demos], before)
    assert learner.replay.sample(64, rng).is_demo.any()


def test_variants_switch_the_demo_buffer_and_bc(tiny_bars: Bars) -> None:
    rng = np.random.default_rng(0)
    for variant, demos, bc in [("rdpg", False, False), ("rdpg-db", True, False), ("rdpg-bc", False, True)]:
        learner = tiny_learner(tiny_bars, variant, actor_every=1)
        assert (learner.replay.num_demos > 0) == demos
        metrics = learner.update(learner.sample(rng))
        assert ("loss/bc" in metrics) == bc and ("priority_mean" in metrics) == demos
    with pytest.raises(ValueError, match="valid choices: rdpg, rdpg-db, rdpg-bc, irdpg"):
        IRDPGConfig(variant="ddpg")


# ---------------------------------------------------------------------------------- day resets


def test_gru_state_resets_at_each_day_start(tiny_bars: Bars) -> None:
    learner = tiny_learner(tiny_bars, "rdpg")
    with torch.no_grad():  # a large bias so that the hidden state carries a lot from day to day
        learner.actor.gru.bias_hh_l0.add_(3.0)
    policy = learner.policy
    trading = TradingConfig(data=tiny_bars, split="test")
    _, positions = agent_positions(policy, trading)
    env = TradingEnv(trading)

    def play(day: int, state: object) -> tuple[list[np.ndarray], object]:
        obs, _ = env.reset(options={"episode": day})
        actions, done = [], False
        while not done:
            action, state = policy.act(obs[None], state)
            actions.append(action[0])
            obs, _, done, _, _ = env.step(action[0])
        return actions, state

    _, carried = play(0, policy.reset(1))
    fresh, _ = play(1, policy.reset(1))
    stale, _ = play(1, carried)
    assert not np.allclose(fresh, stale)  # the state does matter, so resetting it is visible
    start, stop = env.view.episodes[1]
    expected = np.where(np.asarray(fresh)[:, 0] >= np.asarray(fresh)[:, 1], 1, -1)
    np.testing.assert_array_equal(positions[start : stop - 1], expected)
    assert positions[stop - 1] == expected[-1]  # the last decision is held over the day's last bar
    hidden, prev = policy.reset(3)
    assert not hidden.any() and not prev.any() and hidden.shape == (2, 3, 16)


def test_policy_save_load_round_trip(tiny_bars: Bars, tmp_path: Path) -> None:
    learner = tiny_learner(tiny_bars, "rdpg")
    learner.policy.save(tmp_path / "policy")
    loaded = load_policy(tmp_path / "policy")
    obs = np.random.default_rng(0).normal(size=(5, learner.obs_mean.shape[0])).astype(np.float32)
    np.testing.assert_array_equal(learner.policy.act(obs)[0], loaded.act(obs)[0])
    assert isinstance(loaded, IRDPGPolicy)
    with pytest.raises(FileNotFoundError, match="not a saved iRDPG policy"):
        load_policy(tmp_path)


# ---------------------------------------------------------------------------- resume and seeds


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path / "modules.safetensors"))


def test_resume_is_bitwise_and_seeds_reproduce(tiny_bars: Bars, tmp_path: Path) -> None:
    kwargs = {"variant": "irdpg", "seed": 3, "steps": 16, "eval_every": 8, "config": TINY, "progress": False}
    train_agent(tiny_bars, tmp_path / "a", **kwargs)  # type: ignore[arg-type]
    train_agent(tiny_bars, tmp_path / "b", **kwargs)  # type: ignore[arg-type]
    a, b = _weights(tmp_path / "a/checkpoints/step_16"), _weights(tmp_path / "b/checkpoints/step_16")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    # a run killed right after its step-8 checkpoint, then resumed
    killed = tmp_path / "killed"
    shutil.copytree(tmp_path / "a", killed)
    shutil.rmtree(killed / "checkpoints/step_16")
    (killed / "eval.json").unlink()
    lines = (killed / "metrics.jsonl").read_text().splitlines()
    (killed / "metrics.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    train_agent(tiny_bars, killed, resume=True, progress=False)
    with pytest.raises(ResumeError, match="pass them again"):
        train_agent(None, killed, resume=True, progress=False)
    c = _weights(killed / "checkpoints/step_16")
    assert all(torch.equal(a[k], c[k]) for k in a)
    assert json.loads((killed / "eval.json").read_text()) == json.loads(
        (tmp_path / "a/eval.json").read_text()
    )

    train_agent(tiny_bars, tmp_path / "c", **{**kwargs, "seed": 4})  # type: ignore[arg-type]
    d = _weights(tmp_path / "c/checkpoints/step_16")
    assert not torch.equal(a["actor/gru.weight_ih_l0"], d["actor/gru.weight_ih_l0"])


# -------------------------------------------------------------------------------------- learning


def test_irdpg_beats_dual_thrust_after_costs_on_a_planted_pattern(tmp_path: Path) -> None:
    # The sign of each session's first 5 bars sets the drift of its other 15: following the
    # morning move is learnable; Dual Thrust's breakout lines catch it late or not at all.
    # 100 sessions: 70 train, 15 validation, 15 test. (Seeds 0, 1, 2 all give about +0.045 here.)
    bars = synthetic_bars(
        days=100, bars_per_day=20, seed=2, planted_pattern=True, pattern_bars=5, pattern_drift=3e-4
    )
    config = IRDPGConfig(warmup_days=20, updates_per_day=2)
    train_agent(
        bars,
        tmp_path / "run",
        variant="irdpg",
        seed=0,
        steps=200,
        eval_every=100,
        config=config,
        progress=False,
    )
    policy, _ = load_selected_policy(tmp_path / "run")
    market = MarketSettings()
    agent = backtest_agent(policy, market.trading_config(bars, "test"), "irdpg")
    dual_thrust, buy_hold = baseline_results(bars, "test", market, ("dual-thrust", "buy-hold"))
    assert agent.metrics.trades > 10  # it trades, and pays the costs of every trade
    assert agent.metrics.total_return > dual_thrust.metrics.total_return + 0.01
    assert agent.metrics.total_return > buy_hold.metrics.total_return
