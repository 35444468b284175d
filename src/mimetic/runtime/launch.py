"""`mimetic.train(...)`: build an algorithm's learner from a dataset and run it in a `Trainer`."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from mimetic.algorithms.base import ALGORITHMS, apply_settings, config_from_dict, config_to_dict
from mimetic.data.dataset import Dataset
from mimetic.data.errors import DatasetError
from mimetic.runtime.seeding import seed_everything
from mimetic.runtime.trainer import ResumeError, Trainer, TrainerConfig

RUN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TrainResult:
    """What a finished run gives back: the learned policy, where the run lives, its eval summary."""

    policy: Any
    run_dir: Path
    summary: dict[str, Any]


def train(
    algorithm: str,
    dataset: Dataset | str | Path | None = None,
    *,
    env_id: str | None = None,
    run_dir: str | Path,
    config: Any = None,
    trainer: TrainerConfig | None = None,
    resume: bool = False,
    steps: int | None = None,
    progress: bool | None = None,
    reward: str | Path | None = None,
    settings: Sequence[str] = (),
    **overrides: Any,
) -> TrainResult:
    """Train `algorithm` (e.g. "bc") on `dataset` and write the run into `run_dir`.

    `config` is the algorithm's `Config` (defaults when None); keyword `overrides` set its fields
    (`policy="gmm"`, `batch_size=256`). `env_id` enables evaluation during training (defaults to the
    dataset's env). With `resume=True` everything comes from `run_dir/config.json`; the dataset must be
    given again only if it was not loaded from a file. `steps` and `progress`, when given, override the
    trainer config in either case (a resumed run can be extended). `reward` is a saved learned reward
    (`mimetic.rewards.LearnedReward`) that online RL methods (ppo, sac) learn from instead of the env's.
    `settings` are `FIELD=VALUE` strings (`mimetic train ... --set`) applied after the overrides, dotted
    for nested configs (`sac.actor_lr=3e-4`); see `mimetic.algorithms.base.apply_settings`.
    """
    algo = ALGORITHMS.get(algorithm)
    run_dir = Path(run_dir)
    dataset_path: str | None = None
    if resume:
        if settings:
            raise ResumeError(
                f"{run_dir}: a resumed run keeps the settings in its config.json; drop {settings}"
            )
        saved = _read_run_config(run_dir)
        algorithm = saved["algorithm"]
        algo = ALGORITHMS.get(algorithm)
        config = config_from_dict(algo.Config, saved["algorithm_config"])
        trainer = config_from_dict(TrainerConfig, saved["trainer"])
        env_id = saved["env_id"]
        dataset_path = saved["dataset"]
        reward = saved.get("reward")
        if dataset is None and getattr(algo, "needs_dataset", True):
            if dataset_path is None:
                raise ResumeError(
                    f"{run_dir}: the run was trained on an in-memory dataset; pass it again to resume"
                )
            dataset = dataset_path
        elif dataset is None and dataset_path is not None:
            dataset = dataset_path  # an online method that also used demonstrations (SQIL, RLPD)
    else:
        if config is None:
            # online RL methods tune their defaults per env (`ppo_preset`), offline ones do not
            default = getattr(algo, "default_config", None)
            config = default(env_id) if default is not None and env_id else algo.Config()
        config = replace(config, **overrides) if overrides else config
        config = apply_settings(config, settings)
        trainer = trainer or TrainerConfig()
    if steps is not None:
        trainer = replace(trainer, steps=steps)
    if progress is not None:
        trainer = replace(trainer, progress=progress)
    needs_dataset = getattr(algo, "needs_dataset", True)
    if dataset is None and needs_dataset:
        raise DatasetError("no dataset given", field="dataset")
    if dataset is None:
        if env_id is None:
            raise DatasetError(f"{algorithm} learns in an env; give env_id", field="env_id")
    elif not isinstance(dataset, Dataset):
        import mimetic.data

        dataset_path = str(Path(dataset).resolve())
        dataset = mimetic.data.load(dataset)
    elif dataset.path is not None and dataset_path is None:
        dataset_path = str(Path(dataset.path).resolve())
    env_id = env_id or (dataset.metadata.env_id if dataset is not None else None)
    run_config = {
        "format_version": RUN_FORMAT_VERSION,
        "algorithm": algorithm,
        "dataset": dataset_path,
        "env_id": env_id,
        "algorithm_config": config_to_dict(config),
        "trainer": config_to_dict(trainer),
    }
    if reward is not None:
        if not getattr(algo, "accepts_reward", False):
            raise ValueError(
                f"{algorithm} does not learn from a given reward; --reward applies to ppo and sac"
            )
        reward = str(Path(reward).resolve())
        run_config["reward"] = reward
    torch.set_num_threads(1)  # one thread is many times faster for small nets on few cores
    seed_everything(trainer.seed)  # before building: the initial weights come from this seed
    extra = {"reward": reward} if reward is not None else {}
    # torch.optim imports torch._dynamo when the first optimizer is built (about 1 s): a one-off
    # cost of the process, like importing torch, so it is paid before the training clocks start
    importlib.import_module("torch._dynamo")  # (`import torch._dynamo` here would shadow torch)

    wall, cpu = time.perf_counter(), time.process_time()
    learner = algo.build(dataset, config, env_id=env_id, seed=trainer.seed, **extra)
    runner = Trainer(
        learner,
        trainer,
        run_dir,
        evaluate_fn=_evaluator(env_id, trainer),
        run_config=run_config,
        setup_clock=(time.perf_counter() - wall, time.process_time() - cpu),
    )
    summary = runner.train(resume=resume)
    return TrainResult(policy=learner.policy, run_dir=run_dir, summary=summary)


def _evaluator(env_id: str | None, trainer: TrainerConfig) -> Any:
    if env_id is None or trainer.eval_every <= 0:
        return None
    # eval comes after runtime in the data flow; this is the composition point, so import here.
    from mimetic.eval.rollout import evaluate

    def run(policy: Any) -> dict[str, Any]:
        return evaluate(policy, env_id, trainer.eval_episodes, trainer.eval_seed).metrics()

    return run


def _read_run_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "config.json"
    if not path.is_file():
        raise ResumeError(f"{run_dir}: no config.json, so there is no run to resume")
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("format_version") != RUN_FORMAT_VERSION:
        raise ResumeError(
            f"{path}: unsupported run format {data.get('format_version')}, expected {RUN_FORMAT_VERSION}"
        )
    return data
