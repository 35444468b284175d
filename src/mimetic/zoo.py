"""The zoo: expert policies that mimetic trained itself and ships, so demonstrations need no download.

Each entry is a folder `mimetic/experts/zoo/<env id>/<quality>/` holding a saved policy
(`policy.safetensors` + `policy.json`, loadable with `mimetic.policies.load`) and `zoo.json`: the
env id, the return over 50 evaluation episodes, the exact command that trained it, the seed, the
wall-clock and the package versions. Qualities: "expert", and the weaker "medium" and "low"
checkpoints (about 60% and 30% of the way from random to the expert's return), which
suboptimal-expert studies (RLIF, data quality) need. They come from the expert's run unless that run
skips past those returns; then (Acrobot-v1) from a slower run of the same algorithm, whose command
their `zoo.json` records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mimetic.data.errors import DatasetError

ZOO_DIR = Path(__file__).resolve().parent / "experts" / "zoo"
QUALITIES = ("expert", "medium", "low")
ENTRY_FILE = "zoo.json"


@dataclass(frozen=True)
class ZooEntry:
    """What `zoo.json` records about one shipped policy."""

    env_id: str
    quality: str
    algorithm: str
    return_mean: float
    return_std: float
    episodes: int
    eval_seed: int
    command: str
    seed: int
    train_env_steps: int
    wall_clock_s: float
    versions: dict[str, str]
    path: Path

    @classmethod
    def read(cls, folder: Path) -> ZooEntry:
        data = json.loads((folder / ENTRY_FILE).read_text())
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k != "path"}
        return cls(**fields, path=folder)

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items() if k != "path"}


def env_folder(env_id: str) -> str:
    """Folder name of an env id ("mimetic/Avoiding-v0" -> "mimetic__Avoiding-v0")."""
    return env_id.replace("/", "__")


def entries(zoo_dir: Path = ZOO_DIR) -> list[ZooEntry]:
    """Every shipped policy, sorted by env id and quality."""
    found = [ZooEntry.read(p.parent) for p in sorted(zoo_dir.glob(f"*/*/{ENTRY_FILE}"))]
    order = {q: i for i, q in enumerate(QUALITIES)}
    return sorted(found, key=lambda e: (e.env_id, order.get(e.quality, len(order))))


def entry(env_id: str, quality: str = "expert", zoo_dir: Path = ZOO_DIR) -> ZooEntry:
    """The zoo entry for `env_id` at `quality`; the error lists what the zoo has."""
    if quality not in QUALITIES:
        raise DatasetError("unknown zoo quality", field="quality", expected=list(QUALITIES), found=quality)
    folder = zoo_dir / env_folder(env_id) / quality
    if not (folder / ENTRY_FILE).is_file():
        have = sorted({e.env_id for e in entries(zoo_dir)})
        raise DatasetError(
            f"the zoo has no {quality} policy for {env_id}", field="env_id", expected=have, found=env_id
        )
    return ZooEntry.read(folder)


def load(env_id: str, quality: str = "expert", zoo_dir: Path = ZOO_DIR) -> Any:
    """The shipped policy for `env_id` ("expert", "medium" or "low") as a `Policy`."""
    from mimetic.policies.learned import load as load_policy

    return load_policy(entry(env_id, quality, zoo_dir).path)
