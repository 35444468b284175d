"""Train the SAC reference agent that RLIF's value rule judges with, and ship it in the zoo.

    python scripts/build_critic.py --env Hopper-v5 --steps 120000 --eval-every 10000 --seed 0

The run is an ordinary `mimetic train sac` run (5 evaluation episodes and a checkpoint every
`--eval-every` steps). Every checkpoint's actor is then evaluated on 10 episodes (seeds 200000...),
the best one is kept (the later one on a tie), evaluated on 50 fresh episodes (seeds 100000...), and
written to `src/mimetic/experts/zoo/<env>/critic/`: the run's critic ensemble (`critic.safetensors`),
its actor (`policy/`) and `critic.json` (shape, returns, the command, versions). Why the rule needs
such an agent rather than a critic fitted to the zoo's expert: `mimetic.interactive.reference`.

`--run-dir` keeps the run; `--resume` continues a killed one (and, on a finished run, only exports).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

import mimetic  # noqa: E402
from mimetic import zoo  # noqa: E402
from mimetic.interactive import reference  # noqa: E402
from mimetic.policies.learned import load  # noqa: E402
from mimetic.runtime.checkpoint import list_checkpoints  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_zoo import FINAL_EPISODES, FINAL_SEED, SELECT_SEED, versions, zoo_trainer  # noqa: E402

SELECT_EPISODES = 10


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--env", required=True)
    parser.add_argument("--steps", type=int, required=True, help="SAC env steps")
    parser.add_argument("--eval-every", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zoo-dir", type=Path, default=zoo.ZOO_DIR)
    parser.add_argument("--run-dir", type=Path, default=None, help="keep the training run here")
    parser.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    parser.add_argument(
        "--checkpoint-step",
        type=int,
        default=None,
        help="export this checkpoint instead of the best one (the zoo expert's `checkpoint_step`: the "
        "run of the zoo's recorded command reproduces its actor bit for bit, so this ships its critic)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.resume and args.run_dir is None:
        parser.error("--resume needs --run-dir")
    command = (
        f"python scripts/build_critic.py --env {args.env} --steps {args.steps} "
        f"--eval-every {args.eval_every} --seed {args.seed}"
    )
    if args.checkpoint_step is not None:
        command += f" --checkpoint-step {args.checkpoint_step}"
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run_dir if args.run_dir is not None else Path(tmp) / "run"
        # the zoo's settings, so that a rerun of a zoo command trains the same weights (evaluation does
        # not touch the training's random streams, so fewer episodes change nothing but the log)
        trainer = replace(
            zoo_trainer(args.steps, args.seed, args.eval_every), eval_episodes=5, tensorboard=False
        )
        start = time.perf_counter()
        finished = [step for step, _ in list_checkpoints(run / "checkpoints")]
        if not (args.resume and finished and finished[-1] >= args.steps):
            mimetic.train("sac", env_id=args.env, run_dir=run, trainer=trainer, resume=args.resume)
        wall = time.perf_counter() - start
        dest = args.zoo_dir / zoo.env_folder(args.env) / reference.CRITIC_FOLDER
        export(run, args.env, dest, command, wall, args.checkpoint_step, args.zoo_dir)


def export(
    run: Path,
    env_id: str,
    dest: Path,
    command: str,
    wall: float,
    checkpoint_step: int | None = None,
    zoo_dir: Path = zoo.ZOO_DIR,
) -> None:
    """Write the critics and actor of the run's best checkpoint (or of `checkpoint_step`) to `dest`,
    replacing it; record which zoo entries, if any, have the very same actor weights."""
    config = json.loads((run / "config.json").read_text())
    if config["algorithm"] != "sac" or config["env_id"] != env_id:
        raise SystemExit(f"{run} is a {config['algorithm']} run on {config['env_id']}, not sac on {env_id}")
    sac = config["algorithm_config"]
    scored = [
        (mimetic.evaluate(load(path / "policy"), env_id, SELECT_EPISODES, SELECT_SEED).mean, step, path)
        for step, path in list_checkpoints(run / "checkpoints")
        if checkpoint_step in (None, step)
    ]
    if not scored:
        raise SystemExit(
            f"{run} has no checkpoint" + (f" at step {checkpoint_step}" if checkpoint_step else "")
        )
    select_return, step, best = max(scored, key=lambda s: (s[0], s[1]))
    final = mimetic.evaluate(load(best / "policy"), env_id, FINAL_EPISODES, FINAL_SEED)
    weights = load_file(str(best / "modules.safetensors"))
    critics = {k.removeprefix("critics/"): v for k, v in weights.items() if k.startswith("critics/")}
    env = gym.make(env_id)
    obs_dim = int(np.prod(env.observation_space.shape or ()))
    act_dim = int(np.prod(env.action_space.shape or ()))
    env.close()
    tmp = dest.parent / f".tmp_{dest.name}_{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    save_file(critics, str(tmp / reference.CRITIC_WEIGHTS))
    shutil.copytree(best / "policy", tmp / "policy")
    record = {
        "format_version": reference.CRITIC_FORMAT_VERSION,
        "env_id": env_id,
        "algorithm": "sac",
        "members": int(sac["num_critics"]),
        "hidden_sizes": list(sac["hidden_sizes"]),
        "layer_norm": bool(sac["layer_norm"]),
        "obs_dim": obs_dim,
        "act_dim": act_dim,
        "gamma": float(sac["gamma"]),
        "checkpoint_step": step,
        "select_return": select_return,
        "select_episodes": SELECT_EPISODES,
        "select_seed": SELECT_SEED,
        "checkpoint_returns": {str(s): r for r, s, _ in sorted(scored, key=lambda s: s[1])},
        "return_mean": final.mean,
        "return_std": final.std,
        "episodes": FINAL_EPISODES,
        "eval_seed": FINAL_SEED,
        "command": command,
        "seed": int(config["trainer"]["seed"]),
        "train_env_steps": step,
        "same_actor_as": same_actor_as(best / "policy", env_id, zoo_dir),
        "wall_clock_s": round(wall, 1),
        "versions": versions(),
    }
    (tmp / reference.CRITIC_FILE).write_text(json.dumps(record, indent=2) + "\n")
    if dest.exists():
        shutil.rmtree(dest)
    os.rename(tmp, dest)
    print(f"{env_id} critic: step {step}, return {final.mean:.1f} +- {final.std:.1f} -> {dest}")


def same_actor_as(policy_dir: Path, env_id: str, zoo_dir: Path) -> list[str]:
    """The zoo qualities of `env_id` whose shipped weights equal the policy's, tensor for tensor."""
    mine = load_file(str(policy_dir / "policy.safetensors"))
    equal = []
    for entry in zoo.entries(zoo_dir):
        if entry.env_id != env_id:
            continue
        theirs = load_file(str(entry.path / "policy.safetensors"))
        if theirs.keys() == mine.keys() and all(torch.equal(theirs[k], mine[k]) for k in mine):
            equal.append(entry.quality)
    return equal


if __name__ == "__main__":
    main()
