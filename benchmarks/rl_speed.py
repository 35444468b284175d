"""Benchmark: the RL engine against stable-baselines3 2.9.2, side by side, same process, same budgets.

    pip install torch==2.13.0 && pip install -e ".[compare]"     # adds stable-baselines3
    python benchmarks/rl_speed.py [--ppo-steps 100000] [--sac-steps 50000] [--only ppo|sac|limits]

Measures, all single-threaded (torch.set_num_threads(1)):
  - PPO on CartPole-v1 with identical hyperparameters and 64x64 tanh networks (rl-baselines3-zoo's
    tuned CartPole settings): environment steps per second of the whole training loop, and the final
    deterministic return over 20 episodes seeded 10000..10019 (the anchors' protocol).
  - SAC on HalfCheetah-v5: 256x256 networks, one update per step, batch 256, same warm-up.
  - The physical limits: the raw env stepping rate with random actions (8 CartPole envs through a
    gymnasium vector env; one HalfCheetah env), and the compute ceiling of one SAC update: its FLOPs
    divided by the GFLOP/s of plain torch matmuls of the same shapes, measured in this run (the matmul
    rate and the update time in alternating rounds of CPU time, best round of each).
Every training run records wall-clock and process CPU time; on a shared machine the CPU time is the
fair clock, since another job can take the core away during a run but cannot add CPU time to it.
Writes benchmarks/results/rl_speed.json and the rl_speed section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from mimetic.experts.collect import collect  # noqa: E402
from mimetic.rl.ppo import PPO, ppo_preset  # noqa: E402
from mimetic.rl.replay import ReplayBuffer  # noqa: E402
from mimetic.rl.rollout import VecCollector  # noqa: E402
from mimetic.rl.sac import SAC, SACConfig  # noqa: E402

torch.set_num_threads(1)
from docs_section import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "rl_speed.json"
DOC = ROOT / "docs" / "benchmarks.md"
EVAL_SEED, EVAL_EPISODES = 10_000, 20


def eval_return(policy_act: Any, env_id: str) -> float:
    """Mean deterministic return over seeds 10000..10019 (`act(batched_obs) -> batched actions`)."""

    class _Wrap:
        def act(self, obs: Any, state: Any = None, *, deterministic: bool = True) -> tuple[np.ndarray, Any]:
            return policy_act(obs), state

        def reset(self, batch_size: int) -> Any:
            return None

    return float(collect(_Wrap(), env_id, EVAL_EPISODES, EVAL_SEED).returns().mean())


def timed_run(train: Callable[[], int], act: Callable[[Any], Any], env_id: str) -> dict[str, Any]:
    """Run `train` (which returns the env steps it took) under both clocks, then score `act`."""
    start, cpu_start = time.perf_counter(), time.process_time()
    steps = train()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "steps": steps,
        "seconds": seconds,
        "steps_per_s": steps / seconds,
        "cpu_seconds": cpu_seconds,
        "cpu_steps_per_s": steps / cpu_seconds,
        "return": eval_return(act, env_id),
    }


# ---- PPO ------------------------------------------------------------------------------------
def ppo_mimetic(steps: int, seed: int) -> dict[str, Any]:
    cfg = ppo_preset("CartPole-v1")
    collector = VecCollector("CartPole-v1", cfg.num_envs, seed)
    learner = PPO(cfg, collector.single_observation_space, collector.single_action_space, seed)

    def train() -> int:
        while collector.total_steps < steps:
            learner.update(collector.rollout(learner.act, cfg.rollout_steps))
        return collector.total_steps

    policy = learner.policy()
    return timed_run(train, lambda o: policy.act(o)[0], "CartPole-v1")


def ppo_sb3(steps: int, seed: int) -> dict[str, Any]:
    from stable_baselines3 import PPO as SB3PPO
    from stable_baselines3.common.env_util import make_vec_env

    cfg = ppo_preset("CartPole-v1")
    env = make_vec_env("CartPole-v1", n_envs=cfg.num_envs, seed=seed)
    model = SB3PPO(
        "MlpPolicy",
        env,
        n_steps=cfg.rollout_steps,
        batch_size=cfg.minibatch_size,
        n_epochs=cfg.update_epochs,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        learning_rate=lambda frac: frac * cfg.learning_rate,
        clip_range=cfg.clip_coef,
        ent_coef=cfg.ent_coef,
        vf_coef=cfg.vf_coef,
        max_grad_norm=cfg.max_grad_norm,
        policy_kwargs={"net_arch": list(cfg.hidden_sizes), "activation_fn": torch.nn.Tanh},
        seed=seed,
        device="cpu",
        verbose=0,
    )

    def train() -> int:
        model.learn(total_timesteps=steps)
        return int(model.num_timesteps)

    return timed_run(train, lambda o: model.predict(o, deterministic=True)[0], "CartPole-v1")


# ---- SAC ------------------------------------------------------------------------------------
SAC_ENV = "HalfCheetah-v5"
SAC_WARMUP = 5_000


def sac_mimetic(steps: int, seed: int) -> dict[str, Any]:
    cfg = SACConfig(learning_starts=SAC_WARMUP, buffer_size=steps)
    collector = VecCollector(SAC_ENV, 1, seed)
    learner = SAC(cfg, collector.single_observation_space, collector.single_action_space, seed)
    replay, rng = ReplayBuffer(cfg.buffer_size), np.random.default_rng(seed)

    def train() -> int:
        while collector.total_steps < steps:
            if collector.total_steps < cfg.learning_starts:
                action = np.array([collector.single_action_space.sample()])
            else:
                action = learner.act(collector.obs)
            replay.add(*collector.step(action)[:5])
            if collector.total_steps >= cfg.learning_starts:
                learner.update(replay.sample(cfg.batch_size, rng))
        return collector.total_steps

    return timed_run(train, lambda o: learner.act(o, deterministic=True), SAC_ENV)


def sac_sb3(steps: int, seed: int) -> dict[str, Any]:
    from stable_baselines3 import SAC as SB3SAC

    model = SB3SAC(
        "MlpPolicy",
        gym.make(SAC_ENV),
        buffer_size=steps,
        learning_starts=SAC_WARMUP,
        batch_size=256,
        train_freq=1,
        gradient_steps=1,
        policy_kwargs={"net_arch": [256, 256]},
        seed=seed,
        device="cpu",
        verbose=0,
    )

    def train() -> int:
        model.learn(total_timesteps=steps)
        return int(model.num_timesteps)

    return timed_run(train, lambda o: model.predict(o, deterministic=True)[0], SAC_ENV)


# ---- limits ---------------------------------------------------------------------------------
def raw_env_rate(env_id: str, num_envs: int, steps: int = 20_000) -> float:
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync")
    envs.reset(seed=0)
    envs.action_space.seed(0)
    start = time.process_time()
    for _ in range(steps // num_envs):
        envs.step(envs.action_space.sample())
    return steps / (time.process_time() - start)


def sac_update_flops(
    obs_dim: int, act_dim: int, hidden: int = 256, batch: int = 256, critics: int = 2
) -> float:
    """The FLOPs (2 per multiply-add) one SAC update cannot avoid.

    A backward pass costs twice its forward when it needs weight and input gradients, and once its
    forward when only input gradients are needed (the critics inside the actor loss).
    """

    def mlp(inp: int, out: int) -> float:
        return 2.0 * batch * (inp * hidden + hidden * hidden + hidden * out)

    actor = mlp(obs_dim, 2 * act_dim)
    critic = mlp(obs_dim + act_dim, 1)
    target = actor + critics * critic  # next-action sample and target Q, forward only
    critic_update = 3 * critics * critic  # forward + backward of every critic
    actor_update = 3 * actor + 2 * critics * critic  # actor fwd/bwd; critics fwd + grad to the action
    return target + critic_update + actor_update


def matmul_gflops(hidden: int = 256, batch: int = 256, repeats: int = 1000) -> float:
    """GFLOP/s of plain torch matmuls of the update's main shape (batch x hidden @ hidden x hidden)."""
    a, b = torch.randn(batch, hidden), torch.randn(hidden, hidden)
    for _ in range(50):
        a @ b
    start = time.process_time()
    for _ in range(repeats):
        a @ b
    return 2.0 * batch * hidden * hidden * repeats / (time.process_time() - start) / 1e9


def sac_update_timer() -> Any:
    """A function that times `repeats` SAC updates (256x256, batch 256) and returns ms per update."""
    env = gym.make(SAC_ENV)
    learner = SAC(SACConfig(), env.observation_space, env.action_space, 0)
    rng = np.random.default_rng(0)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]  # type: ignore[index]
    batch = {
        "obs": rng.standard_normal((256, obs_dim)),
        "acts": rng.uniform(-1, 1, (256, act_dim)),
        "rews": rng.standard_normal(256),
        "next_obs": rng.standard_normal((256, obs_dim)),
        "terminals": np.zeros(256, dtype=bool),
    }
    for _ in range(20):
        learner.update(batch)

    def timed(repeats: int) -> float:
        start = time.process_time()
        for _ in range(repeats):
            learner.update(batch)
        return (time.process_time() - start) / repeats * 1e3

    return timed


def limits(rounds: int = 5) -> dict[str, Any]:
    """The physical limits. The matmul rate and the update time are measured in alternating rounds
    and each keeps its best round: another process sharing the machine can only slow a round down,
    and alternating exposes both measurements to the same conditions."""
    env = gym.make(SAC_ENV)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]  # type: ignore[index]
    flops = sac_update_flops(obs_dim, act_dim)
    update_timer = sac_update_timer()
    gflops_rounds, update_rounds = [], []
    for _ in range(rounds):
        gflops_rounds.append(matmul_gflops())
        update_rounds.append(update_timer(40))
    gflops, update_ms = max(gflops_rounds), min(update_rounds)
    ceiling_ms = flops / (gflops * 1e9) * 1e3
    return {
        "cartpole_x8_random_steps_per_s": raw_env_rate("CartPole-v1", 8),
        "halfcheetah_random_steps_per_s": raw_env_rate(SAC_ENV, 1, 10_000),
        "sac_update_mflop": flops / 1e6,
        "matmul_gflop_per_s": gflops,
        "sac_update_ceiling_ms": ceiling_ms,
        "sac_update_ms": update_ms,
        "sac_update_fraction_of_ceiling": ceiling_ms / update_ms,
        "rounds": {"matmul_gflop_per_s": gflops_rounds, "sac_update_ms": update_rounds},
    }


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- rl_speed:start -->", "<!-- rl_speed:end -->"
    lines = [
        start,
        "## RL engine speed against stable-baselines3",
        "",
        f"Command: `{result['command']}` · date {result['date']} · {result['machine']}, one torch thread.",
        "Equal budgets, hyperparameters and network sizes; return = mean over 20 deterministic episodes, seeds 10000-10019.",
        "The machine is shared with other jobs, so besides wall-clock the table gives the process's CPU time (one thread),",
        "which other jobs cannot inflate by taking the core away; the speed-up is given by both clocks.",
        "",
        "| run | library | env steps | wall-clock s | env steps/s (wall) | CPU s | env steps/s (CPU) | final return | speed-up (wall / CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("ppo", "sac"):
        if name not in result:
            continue
        ours, theirs = result[name]["mimetic"], result[name]["sb3"]
        label = "PPO CartPole-v1" if name == "ppo" else "SAC HalfCheetah-v5"
        for lib, row in (("mimetic", ours), ("stable-baselines3 2.9.2", theirs)):
            speed = (
                f"{ours['steps_per_s'] / theirs['steps_per_s']:.2f}x / "
                f"{ours['cpu_steps_per_s'] / theirs['cpu_steps_per_s']:.2f}x"
                if lib == "mimetic"
                else "1x"
            )
            lines.append(
                f"| {label} | {lib} | {row['steps']} | {row['seconds']:.1f} | {row['steps_per_s']:.0f} | "
                f"{row['cpu_seconds']:.1f} | {row['cpu_steps_per_s']:.0f} | {row['return']:.1f} | {speed} |"
            )
    if "limits" in result:
        lim = result["limits"]
        lines += [
            "",
            "Physical limits measured in the same run:",
            "",
            f"- raw env stepping, random actions: CartPole-v1 x8 vector env {lim['cartpole_x8_random_steps_per_s']:.0f} steps/s; "
            f"HalfCheetah-v5 {lim['halfcheetah_random_steps_per_s']:.0f} steps/s",
            f"- one SAC update (256x256, batch 256): {lim['sac_update_mflop']:.0f} MFLOP; plain matmul "
            f"{lim['matmul_gflop_per_s']:.1f} GFLOP/s, so the ceiling is {lim['sac_update_ceiling_ms']:.2f} ms; "
            f"mimetic takes {lim['sac_update_ms']:.2f} ms ({lim['sac_update_fraction_of_ceiling']:.0%} of the ceiling); "
            "best of 5 alternating rounds of CPU time for both the matmul rate and the update time",
        ]
    lines += ["", "Raw JSON: `benchmarks/results/rl_speed.json`.", end]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ppo-steps", type=int, default=100_000)
    parser.add_argument("--sac-steps", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--only", nargs="+", default=["limits", "ppo", "sac"], choices=["limits", "ppo", "sac"]
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    result: dict[str, Any] = {k: v for k, v in previous.items() if k in ("limits", "ppo", "sac")}
    if "limits" in args.only:
        result["limits"] = limits()
        print(json.dumps(result["limits"]), flush=True)
    if "ppo" in args.only:
        result["ppo"] = {
            "mimetic": ppo_mimetic(args.ppo_steps, args.seed),
            "sb3": ppo_sb3(args.ppo_steps, args.seed),
        }
        print(json.dumps(result["ppo"]), flush=True)
    if "sac" in args.only:
        result["sac"] = {
            "mimetic": sac_mimetic(args.sac_steps, args.seed),
            "sb3": sac_sb3(args.sac_steps, args.seed),
        }
        print(json.dumps(result["sac"]), flush=True)
    result.update(
        benchmark="rl_speed",
        date=dt.date.today().isoformat(),
        command="python benchmarks/rl_speed.py " + " ".join(sys.argv[1:]),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    )
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_doc(result)


if __name__ == "__main__":
    main()
