"""`mimetic train dagger|hg-dagger|rlif` and `mimetic teleop`: the interactive verbs' parsers.

The train parsers hand their config to the shared launcher (`mimetic.runtime.cli._launch`), so
interactive runs get the same run directory, --resume and report as every other algorithm.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

_ABOUT = {
    "dagger": "DAgger (Ross et al. 2011): beta-mixture rollouts, every visited state labelled by the expert",
    "hg-dagger": "HG-DAgger (Kelly et al. 2019): the novice drives, a simulated person takes over, only "
    "the takeover segments are aggregated",
    "rlif": "RLIF (Luo et al. 2023): SAC (RLPD sampling, LayerNorm critics) whose only reward is -1 on the "
    "transition that led to an intervention",
}
_EXAMPLES = {
    "dagger": "mimetic train dagger --env Pendulum-v1 --expert zoo --labels 8000 --run-dir runs/dagger --steps 8000",
    "hg-dagger": "mimetic train hg-dagger --env CartPole-v1 --expert zoo:medium --intervener action-distance "
    "--run-dir runs/hg --steps 4000",
    "rlif": "mimetic train rlif --env CartPole-v1 --expert zoo:medium --intervener value --run-dir runs/rlif "
    "--steps 10000",
}


def add_interactive_parsers(algos: Any, add_trainer_args: Any) -> None:
    """Add the three interactive algorithms under `mimetic train`."""
    for name, text in _ABOUT.items():
        unit = (
            "env steps (one update each)"
            if name == "rlif"
            else "gradient steps (a round every --updates-per-round)"
        )
        parser = algos.add_parser(
            name,
            help=text.split(":")[0],
            description=f"{text}. Online: no dataset. metrics.jsonl logs the eval return with the expert "
            "labels / interventions spent so far, and the report plots one against the other.",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"example:\n  {_EXAMPLES[name]}\n  mimetic train {name} --run-dir runs/x --resume",
        )
        parser.add_argument("--env", default=None, help="gymnasium env id to learn in")
        parser.add_argument("--run-dir", required=True, help="folder for the run")
        parser.add_argument(
            "--expert",
            default=None,
            help="'zoo' or 'zoo:expert|medium|low' (shipped policies), 'scripted', or a policy folder (default zoo)",
        )
        parser.add_argument(
            "--expert-noise",
            type=float,
            default=None,
            help="suboptimal expert: Gaussian std in half-range units (Box) or random-action probability",
        )
        if name == "rlif":
            parser.add_argument(
                "--demo-episodes",
                type=int,
                default=None,
                help="expert episodes for the offline half (default 5)",
            )
            parser.add_argument(
                "--critics",
                type=int,
                default=None,
                help="critic ensemble size (default 10, RLPD's): TD targets take the minimum of 2 drawn "
                "at random, the actor their mean; 2 is SAC's clipped double-Q",
            )
            parser.add_argument(
                "--no-entropy-backup",
                action="store_true",
                default=None,
                help="leave SAC's entropy bonus out of the TD targets, as RLIF's code does (default: keep "
                "it; without it, ending the episode is worth more than any step with a -1 ahead)",
            )
            parser.add_argument(
                "--learner-turn",
                action="store_true",
                default=None,
                help="the learner acts one step after each takeover before the rule is asked again, as in "
                "RLIF's code (default: a rule that fires right after a takeover extends it)",
            )
        else:
            parser.add_argument("--labels", type=int, default=None, help="expert-label budget (default 8000)")
            parser.add_argument(
                "--initial-labels", type=int, default=None, help="round-1 expert steps (default 500)"
            )
            parser.add_argument(
                "--labels-per-round", type=int, default=None, help="labels per round (default 500)"
            )
            parser.add_argument(
                "--updates-per-round",
                type=int,
                default=None,
                help="gradient steps between rounds (default 500)",
            )
        if name != "rlif":
            parser.add_argument(
                "--hidden-sizes",
                type=_sizes,
                default=None,
                help="the BC policy's MLP widths, comma-separated (default 256,256)",
            )
        if name == "dagger":
            parser.add_argument(
                "--beta-decay",
                type=float,
                default=None,
                help="beta_i = decay^(i-1); 0: expert in round 1 only; 1: BC",
            )
            parser.add_argument(
                "--num-envs",
                type=int,
                default=None,
                help="envs rolled out side by side, acting batched (default 1); rounds should hold "
                "num-envs x the episode length labels",
            )
        else:
            parser.add_argument(
                "--intervener",
                default=None,
                choices=["value", "action-distance", "random"],
                help="simulated intervention rule (default: value for rlif, action-distance for hg-dagger)",
            )
            parser.add_argument(
                "--threshold",
                type=float,
                default=None,
                help="value: Q ratio (0.99 with a shipped critic, 0.9 with a fitted one); "
                "action-distance: distance (0.5)",
            )
            parser.add_argument(
                "--q-reference",
                default=None,
                help="the value rule's judge: zoo (the zoo's shipped SAC critic where the env has one, "
                "else FQE of the zoo expert), a critic folder (critic.json, from scripts/build_critic.py), "
                "or an expert spec fitted by FQE (zoo:medium, a policy folder)",
            )
            parser.add_argument(
                "--takeover-steps",
                type=int,
                default=None,
                help="steps the expert drives after intervening (4)",
            )
        add_trainer_args(parser, unit)
        parser.set_defaults(func=_train_interactive)


def _sizes(text: str) -> tuple[int, ...]:
    from mimetic.runtime.cli import _sizes as parse

    return parse(text)


def _train_interactive(args: argparse.Namespace) -> int:
    from mimetic.algorithms.base import ALGORITHMS
    from mimetic.cli import CliError
    from mimetic.runtime.cli import _launch

    names = {
        "expert": "expert",
        "expert_noise": "expert_noise",
        "demo_episodes": "demo_episodes",
        "labels": "max_labels",
        "initial_labels": "initial_labels",
        "labels_per_round": "labels_per_round",
        "updates_per_round": "updates_per_round",
        "beta_decay": "beta_decay",
        "num_envs": "num_envs",
    }
    intervention_names = {
        "intervener": "rule",
        "threshold": "threshold",
        "takeover_steps": "takeover_steps",
        "q_reference": "q_reference",
    }
    flags = {
        k: getattr(args, k)
        for k in [*names, *intervention_names, "hidden_sizes", "critics", "no_entropy_backup", "learner_turn"]
        if hasattr(args, k)
    }
    if args.resume:
        return _launch(args.algorithm, args, flags)
    if args.env is None:
        raise CliError("--env is required (unless --resume)")
    algo = ALGORITHMS.get(args.algorithm)
    default = getattr(algo, "default_config", None)
    config = default(args.env) if default is not None else algo.Config()
    fields = {names[k]: v for k, v in flags.items() if k in names and v is not None}
    sub = {intervention_names[k]: v for k, v in flags.items() if k in intervention_names and v is not None}
    try:
        if sub:
            fields["intervention"] = dataclasses.replace(config.intervention, **sub)
        if getattr(args, "hidden_sizes", None) is not None:
            net = dataclasses.replace(config.bc.net, hidden_sizes=args.hidden_sizes)
            fields["bc"] = dataclasses.replace(config.bc, net=net)
        if getattr(args, "critics", None) is not None:
            from mimetic.algorithms.rlif import rlpd_ensemble

            fields["sac"] = rlpd_ensemble(config.sac, args.critics)
        if getattr(args, "no_entropy_backup", None):
            fields["sac"] = dataclasses.replace(fields.get("sac", config.sac), backup_entropy=False)
        if getattr(args, "learner_turn", None):
            fields["learner_turn"] = True
        config = dataclasses.replace(config, **fields)
    except (TypeError, ValueError) as err:
        raise CliError(str(err)) from None
    return _launch(args.algorithm, args, flags, config=config)


def add_teleop_parser(verbs: Any) -> argparse.ArgumentParser:
    """Add `mimetic teleop ENV` to the top-level subparsers `verbs`."""
    from mimetic.interactive.teleop import KEYMAPS

    parser: argparse.ArgumentParser = verbs.add_parser(
        "teleop",
        help="drive a classic-control env from the keyboard and record a dataset",
        description="Drive a classic-control env from the keyboard (terminal: a/d or the arrow keys, q to "
        "quit) and record the episodes as a Minari dataset. With --novice, the policy drives and a key press "
        "takes over for --hold-steps steps: the recording marks the person's steps in "
        "extras['intervention'] (HG-DAgger and RLIF with a human intervener). "
        f"Envs: {', '.join(KEYMAPS)}.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic teleop CartPole-v1 --episodes 3 --out datasets/me/cartpole-teleop-v0\n"
        "  mimetic teleop CartPole-v1 --novice runs/bc-cartpole --out datasets/me/cartpole-hg-v0",
    )
    parser.add_argument("env", help="gymnasium env id (CartPole-v1, MountainCar-v0, Acrobot-v1)")
    parser.add_argument("--out", required=True, help="where to write the dataset")
    parser.add_argument("--episodes", type=int, default=3, help="episodes to record (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="episode i is reset with seed + i")
    parser.add_argument("--novice", default=None, help="a policy folder or run directory, or zoo[:quality]")
    parser.add_argument("--hold-steps", type=int, default=4, help="steps a key press controls (default 4)")
    parser.add_argument("--fps", type=float, default=10.0, help="env steps per second (default 10)")
    parser.add_argument(
        "--window", action="store_true", help="also show gymnasium's human render window (needs pygame)"
    )
    parser.add_argument("--format", default="minari", choices=["minari", "robomimic", "lerobot", "npz"])
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.set_defaults(func=_teleop)
    return parser


def _teleop(args: argparse.Namespace) -> int:
    from pathlib import Path

    import mimetic
    from mimetic.cli import CliError
    from mimetic.interactive.teleop import KEYMAPS, TerminalKeys, run_teleop

    if args.env not in KEYMAPS:
        raise CliError(f"no keyboard mapping for '{args.env}'; valid: {', '.join(KEYMAPS)}")
    if args.episodes < 1 or args.hold_steps < 1:
        raise CliError("--episodes and --hold-steps must be at least 1")
    if args.window:
        try:
            import pygame  # noqa: F401
        except ImportError:
            raise CliError(
                "--window needs pygame (pip install pygame); the terminal mode works without it"
            ) from None
    novice = None
    if args.novice is not None:
        from mimetic.interactive.experts import resolve_expert
        from mimetic.runtime.cli import resolve_policy_dir

        spec = args.novice
        if not spec.startswith("zoo"):
            spec = str(resolve_policy_dir(Path(spec)))
        novice = resolve_expert(spec, args.env)
    keys = TerminalKeys()

    def show(line: str) -> None:
        sys.stdout.write("\r" + line[:160].ljust(160))
        sys.stdout.flush()

    ds = run_teleop(
        args.env,
        keys,
        episodes=args.episodes,
        seed=args.seed,
        novice=novice,
        hold_steps=args.hold_steps,
        fps=args.fps,
        render_mode="human" if args.window else None,
        on_step=show,
    )
    out = mimetic.save(ds, args.out, format=args.format, overwrite=args.overwrite)
    takeovers = sum(int(t.extras["intervention"].sum()) for t in ds.episodes)
    print(f"\nwrote {len(ds)} episodes ({ds.num_steps} steps, {takeovers} driven by you) to {out}")
    return 0
