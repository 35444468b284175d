"""A sweep spec (YAML) and its grid of trials, each an ordinary `mimetic train` run.

    name: bc-vs-dagger
    out: runs/sweep-bc-dagger          # relative paths are relative to this file's folder
    algorithms: [bc, dagger]
    envs: [CartPole-v1]
    seeds: [0, 1, 2]
    dataset: demos/cartpole.npz        # or `datasets: [...]`; only for algorithms that take --dataset
                                       # per env: `datasets: {CartPole-v1: a.npz, Pendulum-v1: [b.npz, c.npz]}`
    demos: [1, 5, 10]                  # -> --max-episodes, only where the algorithm takes it
    steps: 2000
    args: {eval-every: 500, batch-size: [64, 256]}     # `mimetic train` flags; a list is a grid axis
    algorithm_args:
      bc: {policy: discrete}
      dagger: {expert: "zoo", beta-decay: [0.0, 1.0]}  # a list here is an axis of this algorithm only

The grid is algorithms × envs × datasets × demos × list-valued args × seeds, where each algorithm
also gets the axes of its own list-valued `algorithm_args`. Flags are checked
against each algorithm's own `mimetic train` parser when the spec is read, so a typo fails before
any trial starts, with the file and the key named.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SpecError(ValueError):
    """A spec that cannot be run; the message names the file and the key."""


@dataclass(frozen=True)
class Trial:
    """One run of the grid: its folder (relative to the sweep's `out`) and its `mimetic train` flags."""

    key: str
    algorithm: str
    env: str | None
    seed: int
    params: dict[str, Any]
    """The grid coordinates other than algorithm, env and seed (e.g. {"demos": 5})."""
    argv: tuple[str, ...]
    """`mimetic train` arguments after the algorithm name, without --run-dir and --resume."""
    steps: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "algorithm": self.algorithm,
            "env": self.env,
            "seed": self.seed,
            "params": self.params,
            "argv": list(self.argv),
            "steps": self.steps,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trial:
        return cls(
            key=data["key"],
            algorithm=data["algorithm"],
            env=data["env"],
            seed=int(data["seed"]),
            params=dict(data["params"]),
            argv=tuple(data["argv"]),
            steps=data["steps"],
        )


@dataclass
class SweepSpec:
    name: str
    out: Path
    algorithms: list[str]
    envs: list[str | None]
    seeds: list[int]
    datasets: list[str | None] = field(default_factory=lambda: [None])
    env_datasets: dict[str, list[str]] = field(default_factory=dict)
    """Per-env datasets (a mapping in the spec); when given, they replace `datasets` env by env."""
    demos: list[int | None] = field(default_factory=lambda: [None])
    steps: int | None = None
    args: dict[str, Any] = field(default_factory=dict)
    algorithm_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries: int = 2
    """How often a trial whose process died (killed, out of memory) is restarted with --resume."""
    path: Path | None = None

    def trials(self) -> list[Trial]:
        """Every trial of the grid, in a stable order (seeds innermost)."""
        axes = {k: v for k, v in self.args.items() if isinstance(v, list)}
        fixed = {k: v for k, v in self.args.items() if not isinstance(v, list)}
        out: list[Trial] = []
        for algorithm in self.algorithms:
            options = train_options(algorithm)
            demos = self.demos if "--max-episodes" in options else [None]
            algo_axes = {k: v for k, v in axes.items() if f"--{k}" in options}
            own = self.algorithm_args.get(algorithm, {})
            algo_axes.update({k: v for k, v in own.items() if isinstance(v, list)})
            for env, n, combo in itertools.product(self.envs, demos, itertools.product(*algo_axes.values())):
                for dataset in self._datasets_for(env) if "--dataset" in options else [None]:
                    out += self._trials_at(
                        algorithm, options, env, dataset, n, dict(zip(algo_axes, combo, strict=True)), fixed
                    )
        return out

    def _datasets_for(self, env: str | None) -> list[str | None]:
        if self.env_datasets and env is not None:
            return list(self.env_datasets[env])
        return self.datasets

    def _trials_at(
        self,
        algorithm: str,
        options: set[str],
        env: str | None,
        dataset: str | None,
        n: int | None,
        axis_values: dict[str, Any],
        fixed: dict[str, Any],
    ) -> list[Trial]:
        out: list[Trial] = []
        params: dict[str, Any] = {}
        if dataset is not None and len(self._datasets_for(env)) > 1:
            params["dataset"] = Path(dataset).name
        if n is not None:
            params["demos"] = n
        params.update(axis_values)
        flags: dict[str, Any] = {k: v for k, v in fixed.items() if f"--{k}" in options}
        flags.update(
            {k: v for k, v in self.algorithm_args.get(algorithm, {}).items() if not isinstance(v, list)}
        )
        flags.update(axis_values)
        if env is not None and "--env" in options:
            flags["env"] = env
        if dataset is not None:
            flags["dataset"] = str(self._resolve(dataset))
        if n is not None:
            flags["max-episodes"] = n
        if self.steps is not None:
            flags["steps"] = self.steps
        for seed in self.seeds:
            argv = _argv({**flags, "seed": seed, "no-progress": True})
            parts = [
                algorithm,
                _safe(env or "default"),
                *(_safe(f"{k}-{v}") for k, v in params.items()),
            ]
            key = "/".join([*parts, f"seed-{seed}"])
            out.append(Trial(key, algorithm, env, seed, params, argv, self.steps))
        return out

    def _resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() or self.path is None else (self.path.parent / p).resolve()


def load_spec(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec; every problem is a `SpecError` naming the file and key."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such sweep spec")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SpecError(f"{path}: not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping of keys (name, algorithms, envs, seeds, ...)")
    known = {
        "name",
        "out",
        "algorithms",
        "envs",
        "seeds",
        "dataset",
        "datasets",
        "demos",
        "steps",
        "args",
        "algorithm_args",
        "retries",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{path}: unknown keys {unknown}; valid: {sorted(known)}")
    algorithms = _list_of(path, raw, "algorithms", str, required=True)
    if "dataset" in raw and "datasets" in raw:
        raise SpecError(f"{path}: give either 'dataset' or 'datasets', not both")
    key = "dataset" if "dataset" in raw else "datasets"
    env_datasets: dict[str, list[str]] = {}
    if isinstance(raw.get(key), dict):
        env_datasets = {str(env): _list_of(path, raw[key], env, str) for env in raw[key]}
        datasets: list[Any] = []
    else:
        datasets = [raw["dataset"]] if "dataset" in raw else _list_of(path, raw, "datasets", str)
    spec = SweepSpec(
        name=str(raw.get("name", path.stem)),
        out=Path(str(raw.get("out", f"runs/sweep-{path.stem}"))),
        algorithms=algorithms,
        envs=list(_list_of(path, raw, "envs", str)) or [None],
        seeds=_list_of(path, raw, "seeds", int) or [0],
        datasets=list(datasets) or [None],
        env_datasets=env_datasets,
        demos=list(_list_of(path, raw, "demos", int)) or [None],
        steps=_int_or_none(path, raw, "steps"),
        args=_mapping(path, raw, "args"),
        algorithm_args={k: _mapping(path, raw["algorithm_args"], k) for k in raw.get("algorithm_args") or {}},
        retries=_int_or_none(path, raw, "retries") or 2,
        path=path.resolve(),
    )
    spec.out = spec._resolve(str(spec.out))
    _check_flags(path, spec)
    return spec


def train_options(algorithm: str) -> set[str]:
    """The option strings `mimetic train ALGORITHM` accepts (from its argparse parser)."""
    algo = _train_parsers().get(algorithm)
    return set() if algo is None else {s for action in algo._actions for s in action.option_strings}


def train_algorithms() -> list[str]:
    return sorted(_train_parsers())


TRADE = "trade"
"""The sweep's name for `mimetic trade train` (the QTNet/iRDPG agent on market bars): it runs like an
algorithm of `mimetic train`, with `variant` as one of its flags."""


def cli_command(algorithm: str) -> list[str]:
    """The `mimetic` words that start a trial of `algorithm`."""
    return ["trade", "train"] if algorithm == TRADE else ["train", algorithm]


@functools.cache
def _train_parsers() -> dict[str, argparse.ArgumentParser]:
    """`mimetic train`'s per-algorithm parsers and `mimetic trade train`'s, built once (building
    the CLI imports every verb)."""
    from mimetic.cli import _parser

    verbs = _subcommands(_parser())
    parsers = _subcommands(verbs["train"]) if "train" in verbs else {}
    trade = _subcommands(verbs["trade"]).get("train") if "trade" in verbs else None
    if trade is not None:
        parsers[TRADE] = trade
    return parsers


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _check_flags(path: Path, spec: SweepSpec) -> None:
    valid = train_algorithms()
    reserved = {"run-dir", "resume", "seed", "no-progress"}
    for algorithm in spec.algorithms:
        if algorithm not in valid:
            raise SpecError(f"{path}: algorithms: unknown '{algorithm}'; valid: {', '.join(valid)}")
    options = {a: train_options(a) for a in spec.algorithms}
    for name in spec.args:
        if name in reserved:
            raise SpecError(f"{path}: args.{name} is set by the sweep itself; remove it")
        if not any(f"--{name}" in opts for opts in options.values()):
            raise SpecError(f"{path}: args.{name}: no algorithm of this sweep takes --{name}")
    for algorithm, flags in spec.algorithm_args.items():
        if algorithm not in spec.algorithms:
            raise SpecError(f"{path}: algorithm_args.{algorithm}: not one of the sweep's algorithms")
        for name, value in flags.items():
            if name in reserved:
                raise SpecError(f"{path}: algorithm_args.{algorithm}.{name} is set by the sweep itself")
            if f"--{name}" not in options[algorithm]:
                raise SpecError(
                    f"{path}: algorithm_args.{algorithm}.{name}: `mimetic train {algorithm}` has no --{name}"
                )
            if isinstance(value, list) and not value:
                raise SpecError(f"{path}: algorithm_args.{algorithm}.{name}: an empty list (grid axis)")
    if spec.env_datasets:
        missing = [env for env in spec.envs if env not in spec.env_datasets]
        extra = sorted(set(spec.env_datasets) - {e for e in spec.envs if e is not None})
        if missing or extra:
            raise SpecError(
                f"{path}: datasets: per-env datasets must name exactly the sweep's envs; "
                f"missing {missing}, not in envs {extra}"
            )
    has_data = spec.datasets != [None] or bool(spec.env_datasets)
    if has_data and not any("--dataset" in o for o in options.values()):
        raise SpecError(f"{path}: datasets are given but no algorithm of this sweep takes --dataset")
    if spec.demos != [None] and not any("--max-episodes" in o for o in options.values()):
        raise SpecError(f"{path}: demos are given but no algorithm of this sweep takes --max-episodes")


def _list_of(path: Path, raw: dict[str, Any], key: str, kind: type, *, required: bool = False) -> list[Any]:
    value = raw.get(key)
    if value is None:
        if required:
            raise SpecError(f"{path}: '{key}' is required (a list)")
        return []
    if not isinstance(value, list):
        value = [value]
    bad = [v for v in value if not isinstance(v, kind) or isinstance(v, bool)]
    if bad or not value:
        raise SpecError(f"{path}: {key}: expected a non-empty list of {kind.__name__}, found {value!r}")
    return value


def _int_or_none(path: Path, raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SpecError(f"{path}: {key}: expected a non-negative integer, found {value!r}")
    return value


def _mapping(path: Path, raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise SpecError(f"{path}: {key}: expected a mapping of flag names to values, found {value!r}")
    return {str(k).lstrip("-").replace("_", "-"): v for k, v in value.items()}


def _argv(flags: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for name, value in flags.items():
        if value is True:
            out.append(f"--{name}")
        elif value is False or value is None:
            continue
        else:
            out += [f"--{name}", str(value)]
    return tuple(out)


def _safe(text: str) -> str:
    """A folder-name-safe form of an env id or a parameter value."""
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text)
