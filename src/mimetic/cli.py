"""The `mimetic` command. Verbs follow the data flow: data, collect, train, eval, report, demo.

Every error a user can cause prints one line naming what is wrong and exits non-zero;
tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_EXIT_BAD_INPUT = 2
_EXIT_INVALID_DATA = 1


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimetic",
        description="Imitation learning on PyTorch and Gymnasium: demonstrations in, behaviour out.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic demo\n  mimetic data info runs/demo/datasets/mimetic/cartpole-scripted-v0",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    data = verbs.add_parser("data", help="inspect, validate and convert datasets")
    data_verbs = data.add_subparsers(dest="data_verb", metavar="ACTION", required=True)

    info = _sub(
        data_verbs, "info", "print a dataset's summary", "mimetic data info demos/cartpole.npz --json"
    )
    info.add_argument("path", help="dataset file or directory, or a Minari id under MINARI_DATASETS_PATH")
    info.add_argument("--json", action="store_true", help="print JSON instead of a table")
    info.set_defaults(func=_data_info)

    val = _sub(
        data_verbs,
        "validate",
        "check a dataset; exit 1 if anything is wrong",
        "mimetic data validate demos/cartpole.hdf5 --env CartPole-v1",
    )
    val.add_argument("path", help="dataset file or directory")
    val.add_argument("--env", default=None, help="gymnasium env id whose spaces the data must match")
    val.set_defaults(func=_data_validate)

    conv = _sub(
        data_verbs,
        "convert",
        "convert between formats (atomic write)",
        "mimetic data convert demos/cartpole.hdf5 demos/cartpole-lerobot --format lerobot",
    )
    conv.add_argument("src", help="dataset to read (format detected)")
    conv.add_argument("dst", help="path to write")
    conv.add_argument("--format", required=True, choices=["minari", "robomimic", "lerobot", "npz"])
    conv.add_argument("--overwrite", action="store_true", help="replace dst if it exists")
    conv.set_defaults(func=_data_convert)

    zoo = verbs.add_parser("zoo", help="the shipped expert policies")
    zoo_verbs = zoo.add_subparsers(dest="zoo_verb", metavar="ACTION", required=True)
    zoo_list = _sub(
        zoo_verbs, "list", "list the shipped policies and their returns", "mimetic zoo list --json"
    )
    zoo_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    zoo_list.set_defaults(func=_zoo_list)

    col = _sub(
        verbs,
        "collect",
        "record expert demonstrations as a dataset",
        "mimetic collect CartPole-v1 --expert scripted --episodes 20 --out datasets/mimetic/cartpole-v0",
    )
    col.add_argument("env", help="gymnasium env id")
    col.add_argument(
        "--expert",
        default="scripted",
        help="'scripted' (the built-in controller for ENV), 'zoo' or 'zoo:expert|medium|low' (a shipped "
        "policy), a saved policy folder, 'sb3:MODEL.zip' (a stable-baselines3 model, read without SB3 or "
        "pickle), or for mimetic/Trading-v0 a strategy name (dual-thrust, buy-hold, short-hold, macd, "
        "sma-cross, hindsight-teacher)",
    )
    col.add_argument(
        "--env-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="keyword for gym.make (repeatable; VALUE parsed as JSON when it can be), e.g. split=train",
    )
    col.add_argument("--episodes", type=int, default=10, help="number of episodes")
    col.add_argument("--out", required=True, help="where to write the dataset")
    col.add_argument("--seed", type=int, default=0, help="episode i is reset with seed + i")
    col.add_argument(
        "--action-noise",
        type=float,
        default=0.0,
        help="perturb executed actions (Box: Gaussian std as a fraction of the half range; discrete: "
        "probability of a random action); the expert's action is kept in extras['expert_action']",
    )
    col.add_argument(
        "--info-key",
        action="append",
        default=[],
        metavar="KEY",
        help="env info entry to record per step in the episodes' infos (repeatable), e.g. mode",
    )
    col.add_argument("--format", default="minari", choices=["minari", "robomimic", "lerobot", "npz"])
    col.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    col.set_defaults(func=_collect)

    from mimetic.runtime.cli import add_eval_parser, add_report_parser, add_train_parser
    from mimetic.trading.cli import add_trade_parser

    add_train_parser(verbs)
    add_eval_parser(verbs)
    add_report_parser(verbs)
    add_trade_parser(verbs)
    from mimetic.interactive.cli import add_teleop_parser

    add_teleop_parser(verbs)

    sweep = _sub(
        verbs,
        "sweep",
        "run a grid of `mimetic train` runs (algorithms × envs × data × seeds), on Ray when installed",
        "mimetic sweep sweeps/bc-cartpole.yaml --max-concurrent 2\n"
        "  mimetic sweep sweeps/bc-cartpole.yaml --address ray://head-node:10001",
    )
    sweep.add_argument("spec", metavar="SPEC.yaml", help="the sweep spec (see docs/sweeps.md)")
    sweep.add_argument(
        "--address",
        default=None,
        help="a running Ray cluster ('auto', HOST:PORT or ray://HOST:PORT); default: start Ray locally",
    )
    sweep.add_argument(
        "--max-concurrent", type=int, default=None, help="trials in flight at once (default: the CPUs)"
    )
    sweep.add_argument(
        "--backend",
        default="auto",
        choices=["auto", "ray", "sequential"],
        help="auto: Ray when installed, else one trial after another in processes",
    )
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    sweep.set_defaults(func=_sweep)

    demo = _sub(
        verbs,
        "demo",
        "the flagship: train iRDPG and RDPG on bundled BTC/USD bars, backtest on the test days, write the "
        "report (about 4 minutes here); --bc runs the CartPole behaviour-cloning pipeline instead",
        "mimetic demo --out runs/demo --seed 0\n  mimetic demo --bc --episodes 50",
    )
    demo.add_argument("--out", default="runs/demo", help="folder for everything the demo writes")
    demo.add_argument("--seed", type=int, default=0, help="seed of the run (--bc: of the first episode)")
    demo.add_argument("--steps", type=int, default=6_000, help="updates per trading agent (default 6000)")
    demo.add_argument("--bc", action="store_true", help="the CartPole BC pipeline instead of trading")
    demo.add_argument("--episodes", type=int, default=50, help="--bc: demonstrations to record")
    demo.set_defaults(func=_demo)
    return parser


def _sub(group: Any, name: str, help_text: str, example: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = group.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _data_info(args: argparse.Namespace) -> int:
    import mimetic

    ds = mimetic.load(args.path)
    summary = ds.summary()
    from mimetic.data.io import detect_format

    summary["format"] = detect_format(ds.path).name if ds.path is not None else None
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print_table(f"dataset {args.path}", summary)
    return 0


def _data_validate(args: argparse.Namespace) -> int:
    import mimetic

    ds = mimetic.load(args.path)
    problems = mimetic.validate(ds, env=args.env)
    if not problems:
        print(f"{args.path}: ok ({len(ds)} episodes, {ds.num_steps} steps)")
        return 0
    shown = 20
    for problem in problems[:shown]:
        print(problem, file=sys.stderr)
    if len(problems) > shown:
        print(f"... and {len(problems) - shown} more problems", file=sys.stderr)
    return _EXIT_INVALID_DATA


def _data_convert(args: argparse.Namespace) -> int:
    import mimetic

    ds = mimetic.load(args.src)
    out = mimetic.save(ds, args.dst, format=args.format, overwrite=args.overwrite)
    print(f"wrote {len(ds)} episodes ({ds.num_steps} steps) to {out} as {args.format}")
    return 0


def _resolve_expert(spec: str, env_id: str, seed: int) -> Any:
    """Turn an `--expert` value into a policy (or a factory taking the env), or a clear error."""
    from mimetic.envs import TRADING_ID
    from mimetic.experts import SCRIPTED_EXPERTS, scripted_expert

    if spec == "scripted":
        return scripted_expert(env_id, seed=seed)
    if spec == "zoo" or spec.startswith("zoo:"):
        from mimetic import zoo

        return zoo.load(env_id, spec.partition(":")[2] or "expert")
    if spec.startswith("sb3:"):
        import gymnasium as gym

        from mimetic.experts.sb3 import SB3FormatError, load_sb3

        env = gym.make(env_id)
        try:
            return load_sb3(spec[4:], env.observation_space, env.action_space)
        except SB3FormatError as err:
            raise CliError(str(err)) from err
        finally:
            env.close()
    if Path(spec).is_dir():
        from mimetic.policies.learned import load

        return load(spec)
    if env_id == TRADING_ID:
        from mimetic.trading.strategies import STRATEGIES, make_strategy

        if spec in STRATEGIES:
            return lambda env: make_strategy(spec, env)
        raise CliError(f"unknown strategy '{spec}' for {env_id}; valid: {', '.join(STRATEGIES.names())}")
    raise CliError(
        f"unknown expert '{spec}' for {env_id}; valid: 'scripted', 'zoo[:quality]', 'sb3:MODEL.zip' or a policy folder "
        f"(scripted experts exist for {', '.join(SCRIPTED_EXPERTS.names())})"
    )


def _zoo_list(args: argparse.Namespace) -> int:
    from mimetic import zoo

    rows = zoo.entries()
    if args.json:
        print(json.dumps([e.to_json() for e in rows], indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mimetic zoo (return: mean ± std over the recorded evaluation episodes)")
    for column in ("env", "quality", "algorithm", "return", "episodes", "train steps"):
        table.add_column(column)
    for e in rows:
        table.add_row(
            e.env_id,
            e.quality,
            e.algorithm,
            f"{e.return_mean:.1f} ± {e.return_std:.1f}",
            str(e.episodes),
            str(e.train_env_steps),
        )
    Console().print(table)
    return 0


def _env_kwargs(pairs: list[str]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--env-arg expects KEY=VALUE, got '{pair}'")
        try:
            kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            kwargs[key] = value
    return kwargs


def _collect(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import mimetic
    from mimetic.experts import collect

    if args.episodes < 1:
        raise CliError(f"--episodes must be at least 1, got {args.episodes}")
    if args.env not in gym.registry:
        raise CliError(f"unknown env '{args.env}'; see gymnasium's registry (e.g. CartPole-v1, Pendulum-v1)")
    policy = _resolve_expert(args.expert, args.env, args.seed)
    ds = collect(
        policy,
        args.env,
        args.episodes,
        args.seed,
        action_noise=args.action_noise,
        source=f"{args.expert}:{args.env}",
        show_progress=True,
        env_kwargs=_env_kwargs(args.env_arg),
        info_keys=args.info_key,
    )
    out = mimetic.save(ds, args.out, format=args.format, overwrite=args.overwrite)
    summary = ds.summary()
    print(
        f"wrote {summary['episodes']} episodes ({summary['steps']} steps, return "
        f"{summary['return_mean']:.1f} ± {summary['return_std']:.1f}) to {out} as {args.format}"
    )
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from mimetic.sweep import SpecError, SweepError, load_spec, run_sweep

    if args.max_concurrent is not None and args.max_concurrent < 1:
        raise CliError(f"--max-concurrent must be at least 1, got {args.max_concurrent}")
    try:
        spec = load_spec(args.spec)
        result = run_sweep(
            spec,
            backend=args.backend,
            address=args.address,
            max_concurrent=args.max_concurrent,
            show_progress=not args.no_progress,
        )
    except (SpecError, SweepError) as err:
        raise CliError(str(err)) from None
    print(f"wrote {result.paths['md']}, {result.paths['json'].name} and {result.paths['png'].name}")
    if result.failed:
        print(
            f"{len(result.failed)} trial(s) failed; fix them and run the same command again", file=sys.stderr
        )
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from mimetic.demo import run_bc_demo, run_demo

    if args.bc:
        run_bc_demo(Path(args.out), episodes=args.episodes, seed=args.seed)
    elif args.steps < 1:
        raise CliError(f"--steps must be at least 1, got {args.steps}")
    else:
        run_demo(Path(args.out), seed=args.seed, steps=args.steps, eval_every=min(500, args.steps))
    return 0


def _print_table(title: str, values: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for key, value in values.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        table.add_row(key, str(value))
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    # One thread per process (two are many times slower on small nets); torch reads this at import,
    # so verbs that need torch get one thread without paying for the import in those that don't.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return _run(func, args)


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from mimetic.data.errors import DatasetError
    from mimetic.registry import UnknownNameError

    try:
        return func(args)
    except (DatasetError, UnknownNameError, CliError) as err:
        print(f"mimetic: error: {err}", file=sys.stderr)
        return _EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("mimetic: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run through the imported module, so `python -m mimetic.cli` raises and catches the same
    # `CliError` class as the verbs (not a second copy defined in `__main__`).
    from mimetic.cli import main as _main

    raise SystemExit(_main())
