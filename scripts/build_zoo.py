"""Train a zoo entry with mimetic's own RL engine and ship it under src/mimetic/experts/zoo/.

    python scripts/build_zoo.py --env CartPole-v1 --algo ppo --steps 250 --eval-every 10 --seed 0

The run goes through `mimetic.train` (the Trainer), evaluating and checkpointing every
`--eval-every` steps on 10 episodes. Then:
  - expert: the checkpoint with the best 10-episode return (the later one on a tie);
  - medium / low: the checkpoints whose return over `--select-episodes` episodes (seeds 200000...)
    is nearest 60% / 30% of the way from the random return to the expert's (random returns from
    `mimetic.eval.reference`, or measured here); half-trained policies succeed on some starts and
    fail on others, so 10 episodes are too few to place them;
each is evaluated on 50 fresh episodes (seeds 100000..100049), and its policy folder plus `zoo.json`
(return, command, seed, wall-clock, package versions) is written to the zoo.

Where the run that makes the best expert rushes past 60% and 30% (PPO on Acrobot-v1 goes from about
-400 to -100 within two iterations at its tuned step size), the weaker entries come from a separate,
slower run that keeps the shipped expert:

    python scripts/build_zoo.py --env Acrobot-v1 --algo ppo --steps 100 --eval-every 2 --seed 0 \
        --learning-rate 2e-4 --qualities medium low --select-episodes 200

With `--qualities` lacking "expert", the targets are measured against the shipped expert's 50-episode
return (its `zoo.json` in `--zoo-dir`), every checkpoint of the run is a candidate, and only the
named entries are written; each `zoo.json` records the command that made it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import mimetic  # noqa: E402
from mimetic import zoo  # noqa: E402
from mimetic.eval.reference import REFERENCE_RETURNS  # noqa: E402
from mimetic.policies.learned import load  # noqa: E402
from mimetic.runtime.trainer import TrainerConfig  # noqa: E402

FINAL_EPISODES, FINAL_SEED = 50, 100_000
SELECT_SEED = 200_000
TARGETS = {"medium": 0.6, "low": 0.3}


def random_return(env_id: str) -> float:
    if env_id in REFERENCE_RETURNS:
        return REFERENCE_RETURNS[env_id].random
    import gymnasium as gym

    env = gym.make(env_id)
    env.action_space.seed(0)
    rets = []
    for i in range(FINAL_EPISODES):
        env.reset(seed=FINAL_SEED + i)
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            total, done = total + float(r), bool(term or trunc)
        rets.append(total)
    return float(np.mean(rets))


def versions() -> dict[str, str]:
    names = ("mimetic", "torch", "gymnasium", "numpy", "mujoco")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", required=True)
    parser.add_argument("--algo", choices=["ppo", "sac"], required=True)
    parser.add_argument(
        "--steps", type=int, required=True, help="Trainer steps (PPO iterations, SAC env steps)"
    )
    parser.add_argument("--eval-every", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--select-episodes",
        type=int,
        default=30,
        help="episodes (seeds 200000...) each candidate medium/low checkpoint is evaluated on",
    )
    parser.add_argument(
        "--qualities",
        nargs="+",
        choices=zoo.QUALITIES,
        default=list(zoo.QUALITIES),
        help="entries to write (default: all three from one run); without expert, medium and low are "
        "placed against the shipped expert's recorded return and chosen among all the run's checkpoints",
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=None,
        help="PPO step size instead of the per-env preset's (ppo_preset); a smaller one passes slowly "
        "through the medium and low returns",
    )
    parser.add_argument("--zoo-dir", type=Path, default=zoo.ZOO_DIR)
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="keep the training run here (default: a temporary folder); long MuJoCo runs keep it so "
        "that a killed build can go on with --resume",
    )
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.resume and args.run_dir is None:
        parser.error("--resume needs --run-dir")
    if args.learning_rate is not None and args.algo != "ppo":
        parser.error("--learning-rate applies to ppo (SAC has separate actor, critic and alpha step sizes)")
    overrides = {} if args.learning_rate is None else {"learning_rate": args.learning_rate}
    keep_expert = "expert" in args.qualities
    if not keep_expert:
        # read before training: a missing expert should fail in a second, not after the run
        shipped_expert = zoo.entry(args.env, "expert", args.zoo_dir)
    # The recorded command is the one that reproduces the entry; where the run is kept does not matter.
    kept = {"--run-dir", "--resume"}
    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg in kept:
            skip = arg == "--run-dir"
        else:
            argv.append(arg)
    command = "python scripts/build_zoo.py " + " ".join(argv)

    with tempfile.TemporaryDirectory() as tmp:
        run = args.run_dir if args.run_dir is not None else Path(tmp) / "run"
        trainer = zoo_trainer(args.steps, args.seed, args.eval_every)
        start = time.perf_counter()
        result = mimetic.train(
            args.algo, env_id=args.env, run_dir=run, trainer=trainer, resume=args.resume, **overrides
        )
        wall = time.perf_counter() - start
        learner = result.policy
        history = [(h["step"], h["return_mean"]) for h in result.summary["history"]]
        low_ret = random_return(args.env)
        chosen: dict[str, int] = {}
        selection: dict[str, dict[str, float]] = {}
        if keep_expert:
            best_step, best_ret = max(history, key=lambda h: (h[1], h[0]))
            chosen["expert"] = best_step
            last_candidate = best_step - 1  # the weaker entries come before the expert
        else:
            best_ret, last_candidate = shipped_expert.return_mean, history[-1][0]
        weaker = [q for q in TARGETS if q in args.qualities]
        candidates = [
            (step, mimetic.evaluate(_policy_at(run, step), args.env, args.select_episodes, SELECT_SEED).mean)
            for step, _ in history
            if weaker and step <= last_candidate
        ]
        for quality in weaker:
            target = low_ret + TARGETS[quality] * (best_ret - low_ret)
            step, selected = min(candidates, key=lambda h: abs(h[1] - target))
            chosen[quality] = step
            selection[quality] = {"target_return": target, "expert_return": best_ret, "return_mean": selected}
        steps_per_trainer_step = _env_steps_per_step(learner, args.algo)
        for quality, step in chosen.items():
            policy_dir = run / "checkpoints" / f"step_{step}" / "policy"
            final = mimetic.evaluate(_policy_at(run, step), args.env, FINAL_EPISODES, FINAL_SEED)
            dest = args.zoo_dir / zoo.env_folder(args.env) / quality
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(policy_dir, dest)
            record: dict[str, Any] = {
                "env_id": args.env,
                "quality": quality,
                "algorithm": args.algo,
                "return_mean": final.mean,
                "return_std": final.std,
                "returns": final.returns,
                "episodes": FINAL_EPISODES,
                "eval_seed": FINAL_SEED,
                "command": command,
                "seed": args.seed,
                "train_env_steps": step * steps_per_trainer_step,
                "wall_clock_s": round(wall, 1),
                "versions": versions(),
                "checkpoint_step": step,
                "random_return": low_ret,
            }
            if quality in selection:
                record["selection"] = {
                    **selection[quality],
                    "episodes": args.select_episodes,
                    "eval_seed": SELECT_SEED,
                }
            if args.resume:
                record["wall_clock_note"] = "the last resumed part of the training only"
            (dest / zoo.ENTRY_FILE).write_text(json.dumps(record, indent=2) + "\n")
            print(f"{args.env} {quality}: step {step}, return {final.mean:.1f} ± {final.std:.1f} -> {dest}")


def zoo_trainer(steps: int, seed: int, eval_every: int) -> TrainerConfig:
    """A zoo run's trainer: evaluate on 10 episodes and checkpoint every `eval_every` steps, no report."""
    return TrainerConfig(
        steps=steps,
        seed=seed,
        eval_every=eval_every,
        checkpoint_every=eval_every,
        eval_episodes=10,
        progress=True,
        report=False,
    )


def _policy_at(run: Path, step: int) -> Any:
    return load(run / "checkpoints" / f"step_{step}" / "policy")


def _env_steps_per_step(learner: Any, algo: str) -> int:
    if algo == "sac":
        return 1
    core = learner._policy.learner  # the PPO core behind the exporting policy
    return int(core.cfg.num_envs * core.cfg.rollout_steps)


if __name__ == "__main__":
    main()
