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
import math
import os
import platform
import statistics
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
from docs_section import atomic_write_text, write_section  # noqa: E402

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


Matmul = tuple[int, int, int]
"""(m, k, n): an (m, k) @ (k, n) product."""


def _mlp_matmuls(
    sizes: list[int], batch: int, weight_grads: bool, input_grad_cols: int | None
) -> list[Matmul]:
    """The products of one MLP (layer widths `sizes`) on `batch` rows: its forward, and backward
    weight gradients if asked; input gradients through every layer but the first, and into the
    first layer's last `input_grad_cols` inputs if given (the action, for the actor's loss)."""
    layers = list(zip(sizes[:-1], sizes[1:], strict=True))
    out = [(batch, i, o) for i, o in layers]
    if weight_grads:
        out += [(i, batch, o) for i, o in layers]
    out += [(batch, o, i) for i, o in layers[1:]]
    if input_grad_cols:
        out.append((batch, layers[0][1], input_grad_cols))
    return out


def sac_update_matmuls(
    obs_dim: int, act_dim: int, hidden: int = 256, batch: int = 256, critics: int = 2
) -> list[Matmul]:
    """Every matrix product one SAC update cannot avoid, in the order SAC takes them
    (Haarnoja et al. 2018, Algorithm 1; critic step, then actor step on the updated critics)."""
    actor = [obs_dim, hidden, hidden, 2 * act_dim]
    critic = [obs_dim + act_dim, hidden, hidden, 1]
    fwd = lambda sizes: _mlp_matmuls(sizes, batch, False, None)[: len(sizes) - 1]  # noqa: E731
    products = fwd(actor) + critics * fwd(critic)  # next action, target Q
    products += critics * _mlp_matmuls(critic, batch, True, None)  # critic forward + backward
    products += fwd(actor) + critics * fwd(critic)  # new action, its Q
    products += critics * _mlp_matmuls(critic, batch, False, act_dim)[len(critic) - 1 :]  # dQ/da
    products += _mlp_matmuls(actor, batch, True, None)[len(actor) - 1 :]  # actor backward
    return products


def matmul_gflops(shape: Matmul, repeats: int = 400) -> float:
    """GFLOP/s of a plain torch matmul of one shape, (m, k) @ (k, n)."""
    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(20):
        a @ b
    start = time.process_time()
    for _ in range(repeats):
        a @ b
    return 2.0 * m * k * n * repeats / (time.process_time() - start) / 1e9


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
    """The physical limits. The compute ceiling of one update is the sum, over its matrix products,
    of each product's FLOPs divided by the rate torch reaches on a plain matmul of that very shape
    (a 256x1 head runs far below a 256x256 layer). The shape rates and the update time are measured
    in alternating rounds and each keeps its best round: another process sharing the machine can
    only slow a round down, and alternating exposes both measurements to the same conditions."""
    env = gym.make(SAC_ENV)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]  # type: ignore[index]
    products = sac_update_matmuls(obs_dim, act_dim)
    shapes = sorted(set(products))
    update_timer = sac_update_timer()
    rates: dict[Matmul, float] = {shape: 0.0 for shape in shapes}
    update_rounds = []
    for _ in range(rounds):
        for shape in shapes:
            rates[shape] = max(rates[shape], matmul_gflops(shape))
        update_rounds.append(update_timer(40))
    update_ms = min(update_rounds)
    flops = sum(2.0 * m * k * n for m, k, n in products)
    ceiling_ms = sum(2.0 * m * k * n / (rates[(m, k, n)] * 1e9) for m, k, n in products) * 1e3
    square = (256, 256, 256)
    return {
        "cartpole_x8_random_steps_per_s": raw_env_rate("CartPole-v1", 8),
        "halfcheetah_random_steps_per_s": raw_env_rate(SAC_ENV, 1, 10_000),
        "sac_update_mflop": flops / 1e6,
        "sac_update_products": len(products),
        "matmul_gflop_per_s": {f"{m}x{k}@{k}x{n}": rates[(m, k, n)] for m, k, n in shapes},
        "matmul_gflop_per_s_256": rates[square],
        "sac_update_ceiling_ms": ceiling_ms,
        "sac_update_ceiling_ms_at_256_rate": flops / (rates[square] * 1e9) * 1e3,
        "sac_update_ms": update_ms,
        "sac_update_fraction_of_ceiling": ceiling_ms / update_ms,
        "rounds": {"sac_update_ms": update_rounds},
    }


def write_doc(result: dict[str, Any]) -> None:
    start, end = "<!-- rl_speed:start -->", "<!-- rl_speed:end -->"
    lines = [
        start,
        "## RL engine speed against stable-baselines3",
        "",
        f"Command: `{result['command']}` · date {result['date']} · {result['machine']}, one torch thread.",
        "Equal budgets, hyperparameters and network sizes; return = mean over 20 deterministic episodes, seeds 10000-10019,",
        "then mean ± std over training seeds. Both clocks are given: on a shared machine the process's CPU time (one thread)",
        "is the fair one, since another job can take the core away but cannot add CPU time. Rates are total env steps over",
        "total time across seeds; the seconds column is per run.",
        *([f"Conditions: {result['note']}"] if result.get("note") else []),
        "",
        "| run | library | seeds | env steps | wall-clock s | env steps/s (wall) | CPU s | env steps/s (CPU) | final return | speed-up (wall / CPU) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for name in ("ppo", "sac"):
        if name not in result or "runs" not in result[name]:
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
                f"| {label} | {lib} | {row['seeds']} | {row['steps']} | {row['seconds']:.1f} | {row['steps_per_s']:.0f} | "
                f"{row['cpu_seconds']:.1f} | {row['cpu_steps_per_s']:.0f} | {row['return']:.1f} ± {row['return_std']:.1f} | {speed} |"
            )
        per_seed = ", ".join(
            f"{lib} " + " / ".join(f"{r:.0f}" for r in result[name][lib]["returns"])
            for lib in ("mimetic", "sb3")
        )
        verdicts.append(f"- {label} return: mimetic {result[name]['verdict']} (per seed: {per_seed})")
    if verdicts:
        lines += ["", *verdicts]
    if "limits" in result and "matmul_gflop_per_s_256" in result["limits"]:
        lim = result["limits"]
        rates = ", ".join(f"{shape} {rate:.0f}" for shape, rate in lim["matmul_gflop_per_s"].items())
        lines += [
            "",
            "Physical limits measured in the same run:",
            "",
            f"- raw env stepping, random actions: CartPole-v1 x8 vector env {lim['cartpole_x8_random_steps_per_s']:.0f} steps/s; "
            f"HalfCheetah-v5 {lim['halfcheetah_random_steps_per_s']:.0f} steps/s",
            f"- one SAC update (256x256, batch 256): {lim['sac_update_products']} matrix products, {lim['sac_update_mflop']:.0f} MFLOP. "
            f"Its compute ceiling, each product's FLOPs over the GFLOP/s of a plain torch matmul of that shape, is "
            f"**{lim['sac_update_ceiling_ms']:.2f} ms**; mimetic takes {lim['sac_update_ms']:.2f} ms, "
            f"**{lim['sac_update_fraction_of_ceiling']:.0%} of the ceiling**. At the 256x256 rate alone "
            f"({lim['matmul_gflop_per_s_256']:.0f} GFLOP/s) the ceiling would be {lim['sac_update_ceiling_ms_at_256_rate']:.2f} ms.",
            f"- GFLOP/s per shape: {rates}. Best of 5 alternating rounds of CPU time for the rates and the update time.",
        ]
    lines += ["", "Raw JSON: `benchmarks/results/rl_speed.json`.", end]
    section = "\n".join(lines)
    write_section(DOC, start, end, section)


RUNNERS: dict[str, dict[str, Callable[[int, int], dict[str, Any]]]] = {
    "ppo": {"mimetic": ppo_mimetic, "sb3": ppo_sb3},
    "sac": {"mimetic": sac_mimetic, "sb3": sac_sb3},
}


def summarize(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per library over seeds: total steps over total time for the rates, mean and std of the return."""
    rows = list(runs.values())
    returns = [r["return"] for r in rows]
    steps, wall, cpu = (sum(r[k] for r in rows) for k in ("steps", "seconds", "cpu_seconds"))
    return {
        "seeds": len(rows),
        "steps": rows[0]["steps"],
        "seconds": wall / len(rows),
        "steps_per_s": steps / wall,
        "cpu_seconds": cpu / len(rows),
        "cpu_steps_per_s": steps / cpu,
        "return": statistics.fmean(returns),
        "return_std": statistics.pstdev(returns),
        "returns": returns,
    }


def return_verdict(ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """Equal-or-better: our mean is higher, or below by less than two standard errors of the
    difference of the means (seed-to-seed spread of both)."""
    diff = ours["return"] - theirs["return"]
    n1, n2 = ours["seeds"], theirs["seeds"]
    se = math.sqrt(
        statistics.variance(ours["returns"]) / n1 + statistics.variance(theirs["returns"]) / n2
        if n1 > 1 and n2 > 1
        else 0.0
    )
    if diff == 0:
        return "equal"
    if diff > 0:
        return f"better by {diff:.1f}"
    if se and -diff < 2 * se:
        return f"equal within noise ({diff:.1f}, 2 standard errors = {2 * se:.1f})"
    return f"worse by {-diff:.1f}" + (f" (2 standard errors = {2 * se:.1f})" if se else "")


def run_pair(
    name: str, steps: int, seeds: list[int], previous: dict[str, Any], rerun: bool, save: bool
) -> dict[str, Any]:
    """Both libraries on every seed, keeping earlier runs with the same budget unless `rerun`;
    the partial result is saved after each run, so an interrupted benchmark picks up where it was."""
    runs: dict[str, dict[str, Any]] = {"mimetic": {}, "sb3": {}}
    if not rerun and "runs" in previous.get(name, {}):
        runs = {lib: dict(previous[name]["runs"].get(lib, {})) for lib in runs}
    for seed in seeds:
        for lib, runner in RUNNERS[name].items():
            done = runs[lib].get(str(seed))
            if done is not None and done["steps"] >= steps:
                continue
            runs[lib][str(seed)] = runner(steps, seed)
            print(f"{name} {lib} seed {seed}: {json.dumps(runs[lib][str(seed)])}", flush=True)
            if save:
                previous[name] = {"runs": runs}
                atomic_write_text(RESULTS, json.dumps(previous, indent=2) + "\n")
    chosen = {lib: {str(s): runs[lib][str(s)] for s in seeds} for lib in runs}
    return {"runs": runs, **{lib: summarize(chosen[lib]) for lib in chosen}}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ppo-steps", type=int, default=100_000)
    parser.add_argument("--sac-steps", type=int, default=50_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--only", nargs="+", default=["limits", "ppo", "sac"], choices=["limits", "ppo", "sac"]
    )
    parser.add_argument("--rerun", action="store_true", help="rerun seeds that have results already")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--note", default=None, help="a line on the run's conditions, kept in the JSON and shown in the docs"
    )
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs from the last JSON")
    args = parser.parse_args()
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.docs_only:
        if args.note is not None:
            previous["note"] = args.note
        for name in ("ppo", "sac"):
            if "mimetic" in previous.get(name, {}):
                previous[name]["verdict"] = return_verdict(previous[name]["mimetic"], previous[name]["sb3"])
        atomic_write_text(RESULTS, json.dumps(previous, indent=2) + "\n")
        write_doc(previous)
        return
    result: dict[str, Any] = {k: v for k, v in previous.items() if k in ("limits", "ppo", "sac")}
    if "limits" in args.only:
        result["limits"] = limits()
        print(json.dumps(result["limits"]), flush=True)
    steps = {"ppo": args.ppo_steps, "sac": args.sac_steps}
    for name in ("ppo", "sac"):
        if name in args.only:
            result[name] = run_pair(
                name, steps[name], args.seeds, dict(result), args.rerun, save=not args.no_write
            )
            result[name]["verdict"] = return_verdict(result[name]["mimetic"], result[name]["sb3"])
            print(name, result[name]["verdict"], flush=True)
    result.update(
        benchmark="rl_speed",
        date=dt.date.today().isoformat(),
        command="python benchmarks/rl_speed.py " + " ".join(sys.argv[1:]),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    )
    if args.note is not None:
        result["note"] = args.note
    if not args.no_write:
        atomic_write_text(RESULTS, json.dumps(result, indent=2) + "\n")
        write_doc(result)


if __name__ == "__main__":
    main()
