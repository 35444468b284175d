"""Peer runner: HumanCompatibleAI `imitation` 1.0.1 GAIL or AIRL on a MuJoCo v5 task, one seed.

Runs inside its own venv (`bash benchmarks/peers/setup_imitation_v5.sh`), never in mimetic's. The
anchors' venv pins gymnasium 0.29, which has no v5 MuJoCo envs; this one holds imitation 1.0.1
installed without its pins beside gymnasium 1.4.0, mujoco 3.3.0 and stable-baselines3 2.9.2 (the
versions mimetic runs), so that imitation trains on the very env mimetic's rows train on.
benchmarks/adversarial_mujoco_peer.py calls it as a subprocess.

The settings are imitation's own tuned ones for the nearest tasks it ships
(`src/imitation/scripts/config/tuned_hps/{gail,airl}_seals_{half_cheetah,hopper}_best_hp_eval.json`:
the PPO generator's settings and rollout size, the reward net with RunningNorm input and output
layers, the demonstration batch, the replay capacity, the discriminator updates per round; 8 envs as
its scripts' default). Those configs train for 10M env steps on seals' fixed-horizon envs; here the
budget is the caller's, and Hopper-v5 keeps its early termination (`allow_variable_horizon=True`).

Every `--eval-every` env steps (rounded to whole rounds) the generator's deterministic policy is
scored with the anchors' protocol (`anchors/common/evalproto.py`: 20 episodes, seeds 10000-10019).
The clocks cover learner construction and training, not evaluation, as the anchors time them.
The result (raw returns; the caller normalizes) is one JSON file, written atomically.

    python benchmarks/peers/imitation_adversarial.py --algo gail --task Hopper-v5 --demos D.npz \
        --seed 0 --timesteps 499712 --eval-every 49152 --anchors ../shared/anchors --out R.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from imitation.algorithms.adversarial.airl import AIRL  # noqa: E402
from imitation.algorithms.adversarial.gail import GAIL  # noqa: E402
from imitation.data import types  # noqa: E402
from imitation.data.wrappers import RolloutInfoWrapper  # noqa: E402
from imitation.policies.base import FeedForward32Policy, NormalizeFeaturesExtractor  # noqa: E402
from imitation.rewards.reward_nets import BasicRewardNet, BasicShapedRewardNet, NormalizedRewardNet  # noqa: E402
from imitation.util.networks import RunningNorm  # noqa: E402
from imitation.util.util import make_vec_env  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402

N_ENVS = 8
"""imitation's scripts' default `num_vec` (its tuned configs do not change it)."""

# imitation's tuned_hps for seals HalfCheetah-v1 / Hopper-v1: PPO kwargs, rollout size (rl.batch_size,
# split over the N_ENVS envs), the trainer's kwargs and the generator's policy.
TUNED: dict[tuple[str, str], dict[str, Any]] = {
    ("gail", "HalfCheetah-v5"): {
        "ppo": {
            "batch_size": 64,
            "clip_range": 0.1,
            "ent_coef": 3.992371122209408e-06,
            "gae_lambda": 0.95,
            "gamma": 0.95,
            "learning_rate": 0.00026250519057717037,
            "max_grad_norm": 0.8,
            "n_epochs": 5,
            "vf_coef": 0.11483689492120866,
        },
        "rollout": 4096,
        "demo_batch_size": 8192,
        "gen_replay_buffer_capacity": 512,
        "n_disc_updates_per_round": 8,
        "policy": "ff32",
    },
    ("gail", "Hopper-v5"): {
        "ppo": {
            "batch_size": 512,
            "clip_range": 0.1,
            "ent_coef": 0.001255299425412744,
            "gae_lambda": 0.98,
            "gamma": 0.995,
            "learning_rate": 4.3984856156897565e-05,
            "max_grad_norm": 0.9,
            "n_epochs": 20,
            "vf_coef": 0.20315938606555833,
        },
        "rollout": 4096,
        "demo_batch_size": 128,
        "gen_replay_buffer_capacity": 4096,
        "n_disc_updates_per_round": 8,
        "policy": "mlp64-relu",
    },
    ("airl", "HalfCheetah-v5"): {
        "ppo": {
            "batch_size": 64,
            "clip_range": 0.1,
            "ent_coef": 0.0005544771755195421,
            "gae_lambda": 0.95,
            "gamma": 0.95,
            "learning_rate": 0.00047248619386801587,
            "max_grad_norm": 0.8,
            "n_epochs": 5,
            "vf_coef": 0.11483689492120866,
        },
        "rollout": 8192,
        "demo_batch_size": 2048,
        "gen_replay_buffer_capacity": 512,
        "n_disc_updates_per_round": 16,
        "policy": "ff32",
    },
    ("airl", "Hopper-v5"): {
        "ppo": {
            "batch_size": 512,
            "clip_range": 0.1,
            "ent_coef": 0.009709494745755033,
            "gae_lambda": 0.98,
            "gamma": 0.995,
            "learning_rate": 0.0005807211840258373,
            "max_grad_norm": 0.9,
            "n_epochs": 20,
            "vf_coef": 0.20315938606555833,
        },
        "rollout": 8192,
        "demo_batch_size": 2048,
        "gen_replay_buffer_capacity": 8192,
        "n_disc_updates_per_round": 16,
        "policy": "mlp64-relu",
    },
}


def trajectories(path: Path) -> list[types.TrajectoryWithRew]:
    """mimetic's npz (obs holds each episode's final observation too) as imitation trajectories, all
    marked terminal as imitation's own rollouts and the anchors mark them."""
    raw = np.load(path, allow_pickle=False)
    out, o, a = [], 0, 0
    for n in raw["episode_lengths"]:
        n = int(n)
        out.append(
            types.TrajectoryWithRew(
                obs=np.asarray(raw["obs"][o : o + n + 1], dtype=np.float32),
                acts=np.asarray(raw["acts"][a : a + n], dtype=np.float32),
                infos=None,
                terminal=True,
                rews=np.asarray(raw["rews"][a : a + n], dtype=np.float32),
            )
        )
        o, a = o + n + 1, a + n
    return out


def policy_settings(kind: str) -> dict[str, Any]:
    extractor = {
        "features_extractor_class": NormalizeFeaturesExtractor,
        "features_extractor_kwargs": {"normalize_class": RunningNorm},
    }
    if kind == "ff32":
        return {"policy": FeedForward32Policy, "policy_kwargs": extractor}
    return {
        "policy": "MlpPolicy",
        "policy_kwargs": {
            **extractor,
            "activation_fn": torch.nn.ReLU,
            "net_arch": {"pi": [64, 64], "vf": [64, 64]},
        },
    }


def build(algo: str, task: str, seed: int, trajs: list) -> tuple[Any, Any, dict[str, Any]]:
    tuned = TUNED[(algo, task)]
    rng = np.random.default_rng(seed)
    venv = make_vec_env(task, rng=rng, n_envs=N_ENVS, post_wrappers=[lambda e, _: RolloutInfoWrapper(e)])
    learner = PPO(
        env=venv,
        n_steps=tuned["rollout"] // N_ENVS,
        seed=seed,
        device="cpu",
        **policy_settings(tuned["policy"]),
        **tuned["ppo"],
    )
    net_cls = BasicRewardNet if algo == "gail" else BasicShapedRewardNet
    reward_net = net_cls(venv.observation_space, venv.action_space, normalize_input_layer=RunningNorm)
    # the tuned configs wrap the reward net in a RunningNorm output layer
    reward_net = NormalizedRewardNet(reward_net, normalize_output_layer=RunningNorm)
    n_demo = sum(len(t.acts) for t in trajs)
    trainer_cls = GAIL if algo == "gail" else AIRL
    trainer = trainer_cls(
        demonstrations=trajs,
        demo_batch_size=min(tuned["demo_batch_size"], n_demo),
        gen_replay_buffer_capacity=tuned["gen_replay_buffer_capacity"],
        n_disc_updates_per_round=tuned["n_disc_updates_per_round"],
        venv=venv,
        gen_algo=learner,
        reward_net=reward_net,
        allow_variable_horizon=True,
    )
    return trainer, learner, tuned


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--algo", choices=["gail", "airl"], required=True)
    parser.add_argument("--task", choices=sorted({t for _, t in TUNED}), required=True)
    parser.add_argument("--demos", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timesteps", type=int, required=True)
    parser.add_argument("--eval-every", type=int, required=True)
    parser.add_argument(
        "--anchors", type=Path, required=True, help="the anchors folder (its common/evalproto.py)"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.path.insert(0, str(args.anchors / "common"))
    import evalproto as ep  # noqa: PLC0415  (the anchors' protocol, found through --anchors)

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    trajs = trajectories(args.demos)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    trainer, learner, tuned = build(args.algo, args.task, args.seed, trajs)
    rollout = tuned["rollout"]
    rounds, per_eval = args.timesteps // rollout, max(1, args.eval_every // rollout)
    wall, cpu, curve, done = 0.0, 0.0, [], 0
    while done < rounds:
        chunk = min(per_eval, rounds - done)
        trainer.train(chunk * rollout)
        done += chunk
        wall += time.perf_counter() - wall0
        cpu += time.process_time() - cpu0
        score = ep.evaluate(lambda obs: learner.predict(obs, deterministic=True)[0], args.task)
        curve.append(
            {
                "round": done,
                "env_steps": done * rollout,
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "return": round(float(score["mean"]), 3),
            }
        )
        print(json.dumps(curve[-1]), flush=True)
        wall0, cpu0 = time.perf_counter(), time.process_time()
    result = {
        "algo": args.algo,
        "task": args.task,
        "seed": args.seed,
        "env_steps": rounds * rollout,
        "settings": {
            **{k: v for k, v in tuned.items() if k != "ppo"},
            "ppo": tuned["ppo"],
            "n_envs": N_ENVS,
            "allow_variable_horizon": True,
        },
        "curve": curve,
        "versions": {
            p: metadata.version(p) for p in ("imitation", "stable-baselines3", "gymnasium", "mujoco", "torch")
        },
        "python": platform.python_version(),
        "demos": str(args.demos),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
