"""Peer runner: HumanCompatibleAI `imitation` 1.0.1 behaviour cloning on a given demonstration file.

Runs inside the anchors' imitation venv (`bash ../shared/anchors/imitation/setup.sh`), never in
mimetic's: benchmarks/bc.py calls it as a subprocess for the rows the recorded anchors did not run
(other demonstration counts, and the MuJoCo v5 tasks that gymnasium 0.29 in that venv does not have).

The settings are the anchor's `BC_10k` run (`../shared/anchors/imitation/run.py`): `bc.BC` with its
defaults (FeedForward32Policy, batch 32, Adam), `train(n_batches=10_000)`, `torch.manual_seed` and
`np.random.seed` set to the seed, `rng=np.random.default_rng(seed)`, every episode marked terminal as
imitation's own rollouts are. The timer covers construction and training, as the anchor's does, in
a process warmed up by one 2-batch run first (the anchor times runs inside a warm process too).

Only gymnasium *spaces* are needed to train, so the env id need not exist in this venv: the spaces
come from the demonstration file's meta (`observation_space` / `action_space`). Evaluation happens
in mimetic's venv on the real env with the anchors' protocol. So that it can, each seed's policy is
written as a stable-baselines3-style `.zip` holding only `policy.pth` (the state dict, tensors only)
and `data` (JSON), which `mimetic.experts.sb3.load_sb3` rebuilds without pickle; `probe-seed<k>.npz`
holds the policy's own deterministic `predict` on 64 demonstration observations, to check that the
rebuilt policy acts the same.

    python benchmarks/peers/imitation_bc.py --demos D.npz --seeds 0 1 2 --out DIR [--n-batches 10000]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from imitation.algorithms import bc  # noqa: E402
from imitation.data import rollout, types  # noqa: E402

PROBE = 64


def space_from_json(spec: dict) -> gym.spaces.Space:
    if spec["type"] == "Discrete":
        return gym.spaces.Discrete(int(spec["n"]))
    low = np.asarray(spec["low"], dtype=np.float32)
    high = np.asarray(spec["high"], dtype=np.float32)
    return gym.spaces.Box(low=low, high=high, dtype=np.float32)


def episodes(demos: dict) -> list[types.TrajectoryWithRew]:
    """The file's episodes (evalproto layout) as imitation trajectories, all marked terminal."""
    out, start = [], 0
    for i, n in enumerate(demos["episode_lengths"]):
        n = int(n)
        obs = np.concatenate(
            [demos["observations"][start : start + n], demos["final_observations"][i : i + 1]]
        )
        out.append(
            types.TrajectoryWithRew(
                obs=obs,
                acts=demos["actions"][start : start + n],
                infos=None,
                terminal=True,
                rews=np.asarray(demos["rewards"][start : start + n], dtype=np.float32),
            )
        )
        start += n
    return out


def train(transitions, obs_space, act_space, seed: int, n_batches: int):
    torch.manual_seed(seed)
    np.random.seed(seed)
    rng = np.random.default_rng(seed)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    trainer = bc.BC(
        observation_space=obs_space, action_space=act_space, demonstrations=transitions, rng=rng, device="cpu"
    )
    trainer.train(n_batches=n_batches)  # the anchor's call: default logging and progress bar
    return trainer.policy, time.perf_counter() - wall0, time.process_time() - cpu0


def write_policy_zip(policy, path: Path) -> None:
    """SB3's model-zip layout with nothing pickled but tensors: policy.pth + JSON data."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in policy.state_dict().items()}, buffer)
    data = {
        "policy_class": {"__module__": type(policy).__module__, "__name__": type(policy).__name__},
        "written_by": "benchmarks/peers/imitation_bc.py",
    }
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr("policy.pth", buffer.getvalue())
        archive.writestr("data", json.dumps(data))
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demos", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-batches", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    raw = dict(np.load(args.demos, allow_pickle=False))
    meta = json.loads(str(raw["meta"]))
    obs_space, act_space = space_from_json(meta["observation_space"]), space_from_json(meta["action_space"])
    trajs = episodes(raw)
    transitions = rollout.flatten_trajectories(trajs)
    args.out.mkdir(parents=True, exist_ok=True)
    train(transitions, obs_space, act_space, 0, 2)  # warm-up, untimed
    probe_obs = np.asarray(raw["observations"][:PROBE], dtype=np.float32)
    runs = []
    for seed in args.seeds:
        policy, wall, cpu = train(transitions, obs_space, act_space, seed, args.n_batches)
        write_policy_zip(policy, args.out / f"policy-seed{seed}.zip")
        actions, _ = policy.predict(probe_obs, deterministic=True)
        np.savez(args.out / f"probe-seed{seed}.npz", obs=probe_obs, actions=np.asarray(actions))
        runs.append(
            {
                "seed": seed,
                "grad_steps": args.n_batches,
                "batch_size": 32,
                "train_wall_s": round(wall, 3),
                "train_cpu_s": round(cpu, 3),
                "policy": f"policy-seed{seed}.zip",
            }
        )
        print(json.dumps(runs[-1]), flush=True)
    result = {
        "library": "imitation",
        "versions": {
            n: metadata.version(n) for n in ("imitation", "stable-baselines3", "gymnasium", "torch")
        },
        "python": platform.python_version(),
        "demos": str(args.demos),
        "demos_sha256": hashlib.sha256(args.demos.read_bytes()).hexdigest(),
        "episodes": len(trajs),
        "transitions": int(sum(len(t.acts) for t in trajs)),
        "settings": "bc.BC defaults (FeedForward32Policy, batch_size=32), train(n_batches=N); the anchor's BC_10k",
        "runs": runs,
    }
    tmp = args.out / "results.json.tmp"
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, args.out / "results.json")


if __name__ == "__main__":
    sys.exit(main())
