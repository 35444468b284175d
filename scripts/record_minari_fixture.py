"""Record the Minari test fixtures with Minari's own `DataCollector`.

The fixtures under `tests/data/fixtures/minari/` prove that mimetic reads what Minari itself
writes, so they must come from Minari's writer, not from ours. `DataCollector` needs jax
(`minari[create]`), which mimetic does not depend on, so this runs in a scratch venv (Minari's
HDF5 writer imports Pillow without declaring it, hence the explicit pin):

    python3 -m venv /tmp/minari-rec
    /tmp/minari-rec/bin/pip install "minari[create,hdf5]==0.5.4" gymnasium==1.4.0 h5py==3.16.0 pillow==13.0.0
    /tmp/minari-rec/bin/python scripts/record_minari_fixture.py

It writes two datasets (overwriting any earlier copy), both seeded so a rerun gives the same data:

    mimetic-fixtures/cartpole-random-v0   3 CartPole-v1 episodes, random actions, no infos
    mimetic-fixtures/goaldot-random-v0    3 episodes of a tiny goal-reaching env defined below:
                                          Dict observations (a 32x32 grey image, which Minari
                                          JPEG-encodes by default, plus two float vectors),
                                          Box actions, and recorded infos
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import minari
import numpy as np
from gymnasium import spaces
from minari import DataCollector

NAMESPACE = "mimetic-fixtures"
EPISODES = 3


class GoalDot(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """A dot moves on the unit square towards a goal; terminates within 0.15 of it, truncates at 6 steps."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {
                "image": spaces.Box(0, 255, (32, 32), np.uint8),
                "position": spaces.Box(0.0, 1.0, (2,), np.float32),
                "goal": spaces.Box(0.0, 1.0, (2,), np.float32),
            }
        )
        self.action_space = spaces.Box(-0.2, 0.2, (2,), np.float32)
        self._pos = np.zeros(2, np.float32)
        self._goal = np.zeros(2, np.float32)

    def _obs(self) -> dict[str, np.ndarray]:
        # A smooth grey picture (a bright dot, a dimmer goal) keeps the JPEG frames and the JSON space small.
        yy, xx = np.mgrid[0:32, 0:32] / 31.0
        image = np.zeros((32, 32), np.float64)
        for weight, point in ((255.0, self._pos), (128.0, self._goal)):
            image += weight * np.exp(-((xx - point[0]) ** 2 + (yy - point[1]) ** 2) / 0.02)
        image = np.clip(image, 0, 255).astype(np.uint8)
        return {"image": image, "position": self._pos.copy(), "goal": self._goal.copy()}

    def _info(self) -> dict[str, Any]:
        distance = float(np.linalg.norm(self._pos - self._goal))
        return {"distance": np.float64(distance), "success": bool(distance < 0.15)}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        super().reset(seed=seed)
        self._pos = self.np_random.uniform(0, 1, 2).astype(np.float32)
        self._goal = self.np_random.uniform(0, 1, 2).astype(np.float32)
        return self._obs(), self._info()

    def step(self, action: np.ndarray) -> Any:
        self._pos = np.clip(self._pos + np.asarray(action, np.float32), 0.0, 1.0).astype(np.float32)
        info = self._info()
        return self._obs(), -info["distance"], info["success"], False, info


def record(env_id: str, dataset_name: str, record_infos: bool, seed: int) -> None:
    env = DataCollector(gym.make(env_id), record_infos=record_infos)
    env.action_space.seed(seed)
    for episode in range(EPISODES):
        env.reset(seed=seed + episode)
        done = False
        while not done:
            _, _, terminated, truncated, _ = env.step(env.action_space.sample())
            done = terminated or truncated
    env.create_dataset(
        dataset_id=f"{NAMESPACE}/{dataset_name}-v0",
        algorithm_name="random",
        author="mimetic developers",
        author_email="mimetic@example.invalid",
        code_permalink="scripts/record_minari_fixture.py",
        description=f"{EPISODES} episodes of {env_id} with uniformly random actions (mimetic test fixture).",
    )
    env.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parents[1] / "tests" / "data" / "fixtures" / "minari"
    parser.add_argument("--out", type=Path, default=default_out, help="where the namespace folder goes")
    args = parser.parse_args()

    gym.register("GoalDot-v0", entry_point=f"{__name__}:GoalDot", max_episode_steps=6)
    with tempfile.TemporaryDirectory() as root:
        os.environ["MINARI_DATASETS_PATH"] = root
        record("CartPole-v1", "cartpole-random", record_infos=False, seed=0)
        record("GoalDot-v0", "goaldot-random", record_infos=True, seed=10)
        for dataset_id in sorted(minari.list_local_datasets()):
            ds = minari.load_dataset(dataset_id)
            print(f"{dataset_id}: {ds.total_episodes} episodes, {ds.total_steps} steps")
        target = args.out / NAMESPACE
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(Path(root) / NAMESPACE, target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
