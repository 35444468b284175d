"""The `train`, `eval` and `report` verbs of the `mimetic` command (wired into `mimetic.cli`)."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

POLICY_CHOICES = ["mlp", "gaussian", "gmm", "discrete", "rnn", "transformer"]
ACTIVATION_CHOICES = ["relu", "tanh", "gelu", "silu"]
"""`mimetic.nn.mlp.ACTIVATIONS`, spelled out so that building the parser does not import torch."""


def add_train_parser(verbs: Any) -> argparse.ArgumentParser:
    """Add `mimetic train <algorithm> ...` to the top-level subparsers `verbs`."""
    train = verbs.add_parser(
        "train", help="train a policy from demonstrations", description="train a policy from demonstrations"
    )
    algos = train.add_subparsers(dest="algorithm", metavar="ALGORITHM", required=True)
    bc = algos.add_parser(
        "bc",
        help="behaviour cloning",
        description="Behaviour cloning: supervised learning of the demonstrated actions. Writes the run "
        "directory (config.json, metrics.jsonl, checkpoints/, eval.json, policy/).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic train bc --dataset demos/cartpole.npz --env CartPole-v1 --policy discrete "
        "--run-dir runs/bc-cartpole --steps 2000 --seed 0\n"
        "  mimetic train bc --run-dir runs/bc-cartpole --resume",
    )
    bc.add_argument("--dataset", help="dataset file or directory (format detected)")
    bc.add_argument(
        "--env", default=None, help="gymnasium env id to evaluate in (default: the dataset's env)"
    )
    bc.add_argument("--policy", default=None, choices=POLICY_CHOICES, help="policy family (default: mlp)")
    bc.add_argument(
        "--run-dir", required=True, help="folder for the run (must not hold a run unless --resume)"
    )
    bc.add_argument("--batch-size", type=int, default=None, help="minibatch size (default 100)")
    bc.add_argument("--learning-rate", type=float, default=None, help="Adam step size (default 1e-3)")
    bc.add_argument(
        "--valid-fraction", type=float, default=None, help="episodes held out for the validation loss"
    )
    bc.add_argument(
        "--max-episodes", type=int, default=None, help="train on the dataset's first N episodes only"
    )
    bc.add_argument(
        "--hidden-sizes",
        type=_sizes,
        default=None,
        help="MLP trunk widths, comma-separated (default 256,256)",
    )
    bc.add_argument(
        "--activation",
        default=None,
        choices=ACTIVATION_CHOICES,
        help="trunk nonlinearity (default relu)",
    )
    _add_trainer_args(bc, "gradient steps (default 10000)")
    bc.set_defaults(func=_train_bc)
    _add_beso_parser(algos)
    _add_online_parsers(algos)
    _add_imitation_parsers(algos)
    from mimetic.interactive.cli import add_interactive_parsers

    add_interactive_parsers(algos, _add_trainer_args)
    return train


def add_eval_parser(verbs: Any) -> argparse.ArgumentParser:
    """Add `mimetic eval RUN_DIR|POLICY_DIR ...` to the top-level subparsers `verbs`."""
    ev = verbs.add_parser(
        "eval",
        help="roll a trained policy out on fixed seeds",
        description="Roll a saved policy out; episode i is seeded SEED + i. Prints returns and the "
        "expert-normalized score.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic eval runs/bc-cartpole --env CartPole-v1 --episodes 20 --seed 10000 --json",
    )
    ev.add_argument("path", help="a run directory (its final policy/) or a saved policy directory")
    ev.add_argument("--env", default=None, help="gymnasium env id (default: the run's env)")
    ev.add_argument("--episodes", type=int, default=10, help="episodes to run (default 10)")
    ev.add_argument("--seed", type=int, default=10_000, help="seed of the first episode (default 10000)")
    ev.add_argument(
        "--stochastic", action="store_true", help="sample actions instead of taking the most likely"
    )
    ev.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ev.add_argument(
        "--guidance",
        type=float,
        default=None,
        help="diffusion policies: classifier-free guidance weight (1: goal-conditioned, 0: goal-free)",
    )
    ev.add_argument(
        "--steps-per-action", type=int, default=None, help="diffusion policies: denoising steps per action"
    )
    ev.add_argument(
        "--average-last",
        type=int,
        default=None,
        metavar="N",
        help="PATH is a run directory: roll out the mean of the policies of its last N checkpoints "
        "(what `mimetic train --average-last N` exports), written to a temporary folder",
    )
    ev.set_defaults(func=_eval)
    return ev


def add_report_parser(verbs: Any) -> argparse.ArgumentParser:
    """Add `mimetic report RUN_DIR` to the top-level subparsers `verbs`."""
    rep = verbs.add_parser(
        "report",
        help="write a run's plots and self-contained HTML report",
        description="Write RUN_DIR/plots/*.png (loss curves; eval return against steps with the expert and "
        "random levels) and RUN_DIR/report.html (config, final numbers, the best/last/selected checkpoint "
        "table, images inlined). Training writes them at the end of a run; this rebuilds them.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic report runs/bc-cartpole",
    )
    rep.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by `mimetic train`")
    rep.set_defaults(func=_report)
    return rep


def _report(args: argparse.Namespace) -> int:
    from mimetic.cli import CliError
    from mimetic.report.run import ReportError, write_run_report

    try:
        page = write_run_report(args.run_dir)
    except ReportError as err:
        raise CliError(str(err)) from None
    print(f"wrote {page} and {page.parent / 'plots'}/")
    return 0


def _trainer_fields(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "steps": args.steps,
        "seed": args.seed,
        "eval_every": args.eval_every,
        "eval_episodes": args.eval_episodes,
        "checkpoint_every": args.checkpoint_every,
        "average_last": args.average_last,
    }


def _launch(
    algorithm: str,
    args: argparse.Namespace,
    flags: dict[str, Any],
    *,
    dataset: Any = None,
    config: Any = None,
    overrides: dict[str, Any] | None = None,
    reward: str | None = None,
) -> int:
    """Start or resume a run of `algorithm`; `flags` are the CLI values that --resume must not get."""
    from mimetic.cli import CliError
    from mimetic.runtime.launch import train
    from mimetic.runtime.trainer import ResumeError, TrainerConfig

    trainer_fields = _trainer_fields(args)
    try:
        if args.resume:
            given = [
                f"--{k.replace('_', '-')}"
                for k, v in {**trainer_fields, **flags, "set": args.set or None}.items()
                if v is not None and k != "steps"
            ]
            if given:
                raise CliError(
                    f"--resume takes its settings from the run's config.json; drop {', '.join(given)}"
                )
            result = train(
                algorithm,
                dataset,
                run_dir=args.run_dir,
                resume=True,
                steps=args.steps,
                progress=not args.no_progress,
            )
        else:
            trainer = TrainerConfig(
                progress=not args.no_progress,
                report=not args.no_report,
                tensorboard=not args.no_tensorboard,
                **{k: v for k, v in trainer_fields.items() if v is not None},
            )
            result = train(
                algorithm,
                dataset,
                env_id=args.env,
                run_dir=args.run_dir,
                config=config,
                trainer=trainer,
                reward=reward,
                settings=args.set or (),
                **(overrides or {}),
            )
    except (ResumeError, ValueError) as err:
        raise CliError(str(err)) from None
    last = result.summary.get("last")
    tail = f"; final eval return {last['return_mean']:.1f}" if last else ""
    averaged = result.summary.get("averaged", {})
    if "return_mean" in averaged:
        tail += f"; policy/ (the mean of the last {len(averaged['checkpoints'])} checkpoints) {averaged['return_mean']:.1f}"
    print(f"trained {result.summary['steps']} steps; run in {result.run_dir}{tail}")
    if (result.run_dir / "report.html").is_file():
        print(f"report: {result.run_dir / 'report.html'}")
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated widths such as 256,256, found '{text}'"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive integers, found '{text}'")
    return sizes


def _train_bc(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mimetic.cli import CliError
    from mimetic.policies.config import PolicyConfig

    algo_fields = {
        "policy": args.policy,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "valid_fraction": args.valid_fraction,
        "max_episodes": args.max_episodes,
    }
    net_fields = {"hidden_sizes": args.hidden_sizes, "activation": args.activation}
    if args.dataset is None and not args.resume:
        raise CliError("--dataset is required (unless --resume)")
    overrides = {k: v for k, v in algo_fields.items() if v is not None}
    if any(v is not None for v in net_fields.values()):
        overrides["net"] = replace(PolicyConfig(), **{k: v for k, v in net_fields.items() if v is not None})
    algo_fields.update(net_fields)
    return _launch("bc", args, algo_fields, dataset=args.dataset, overrides=overrides)


def _train_online(args: argparse.Namespace) -> int:
    from mimetic.cli import CliError

    if args.env is None and not args.resume:
        raise CliError("--env is required (unless --resume)")
    return _launch(args.algorithm, args, {"reward": args.reward}, reward=args.reward)


def _add_online_parsers(algos: Any) -> None:
    """`mimetic train ppo|sac --env ID`: reinforcement learning with the env's reward (the zoo's experts)."""
    about = {
        "ppo": ("proximal policy optimization (Schulman et al. 2017), tuned defaults per env", 250),
        "sac": ("soft actor-critic (Haarnoja et al. 2018), discrete or continuous actions", 20000),
    }
    for name, (text, steps) in about.items():
        parser = algos.add_parser(
            name,
            help=text,
            description=f"{text.capitalize()}. Online RL: no dataset. One step is one "
            + ("rollout-and-update iteration." if name == "ppo" else "env step plus one update."),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"example:\n  mimetic train {name} --env "
            + ("CartPole-v1" if name == "ppo" else "Pendulum-v1")
            + f" --run-dir runs/{name} --steps {steps} --seed 0",
        )
        parser.add_argument("--env", default=None, help="gymnasium env id to learn in")
        parser.add_argument("--run-dir", required=True, help="folder for the run")
        parser.add_argument(
            "--reward",
            default=None,
            metavar="DIR",
            help="learn from a saved learned reward (e.g. runs/airl/reward) instead of the env's",
        )
        _add_trainer_args(parser, "PPO iterations" if name == "ppo" else "env steps")
        parser.set_defaults(func=_train_online)


IMITATION_ABOUT = {
    "gail": ("generative adversarial imitation (Ho & Ermon 2016): PPO on a discriminator's reward", "rounds"),
    "airl": ("adversarial inverse RL (Fu et al. 2018): a shaped discriminator; exports its reward", "rounds"),
    "dac": (
        "discriminator-actor-critic (Kostrikov et al. 2019): GAIL's reward for an off-policy SAC generator",
        "env steps",
    ),
    "airl-sac": (
        "off-policy AIRL (Arnob 2020): AIRL's shaped discriminator for DAC's SAC generator; exports its reward",
        "env steps",
    ),
    "sqil": (
        "soft Q imitation (Reddy et al. 2019): SAC, reward 1 on demonstrations, 0 on own steps",
        "env steps",
    ),
    "iq-learn": ("inverse soft-Q learning (Garg et al. 2021), online or --offline", "steps"),
}


def _add_imitation_parsers(algos: Any) -> None:
    """`mimetic train gail|airl|dac|airl-sac|sqil|iq-learn --dataset PATH --env ID`: imitation with env interaction."""
    for name, (text, unit) in IMITATION_ABOUT.items():
        parser = algos.add_parser(
            name,
            help=text,
            description=f"{text[0].upper()}{text[1:]}. One step is one "
            + {
                "rounds": "round (a PPO rollout, discriminator updates, a PPO update)",
                "env steps": "env step plus one update",
                "steps": "update (plus one env step when online)",
            }[unit]
            + ". Writes the run directory, with the learned reward in reward/ (gail, airl, dac, airl-sac, iq-learn).",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog=f"example:\n  mimetic train {name} --dataset demos/cartpole.npz --env CartPole-v1 "
            + f"--run-dir runs/{name}-cartpole "
            + (
                "--offline --steps 2000"
                if name == "iq-learn"
                else "--steps 200"
                if unit == "rounds"
                else "--steps 20000"
            )
            + f"\n  mimetic train {name} --run-dir runs/{name}-cartpole --resume --steps "
            + ("4000" if name == "iq-learn" else "400" if unit == "rounds" else "40000"),
        )
        parser.add_argument("--dataset", help="demonstrations: a dataset file or directory (format detected)")
        parser.add_argument("--env", default=None, help="gymnasium env id (default: the dataset's env)")
        parser.add_argument("--run-dir", required=True, help="folder for the run")
        if name == "iq-learn":
            parser.add_argument(
                "--offline", action="store_true", default=None, help="learn from the demonstrations alone"
            )
        _add_trainer_args(parser, unit)
        parser.set_defaults(func=_train_imitation)


def _train_imitation(args: argparse.Namespace) -> int:
    from mimetic.cli import CliError

    flags = {"offline": getattr(args, "offline", None)}
    if args.resume:
        return _launch(args.algorithm, args, flags, dataset=args.dataset)
    if args.dataset is None:
        raise CliError("--dataset is required (unless --resume)")
    overrides = {k: v for k, v in flags.items() if v is not None}
    return _launch(args.algorithm, args, flags, dataset=args.dataset, overrides=overrides)


def _add_trainer_args(parser: argparse.ArgumentParser, unit: str) -> None:
    parser.add_argument("--steps", type=int, default=None, help=f"{unit}; with --resume, a new total")
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of weights, sampling and envs (default 0)"
    )
    parser.add_argument(
        "--eval-every", type=int, default=None, help="steps between evaluations (default 1000; 0: never)"
    )
    parser.add_argument(
        "--eval-episodes", type=int, default=None, help="episodes per evaluation (default 10)"
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=None, help="steps between checkpoints (default 1000)"
    )
    parser.add_argument(
        "--average-last",
        type=int,
        default=None,
        metavar="N",
        help="the run's policy/ is the mean of the policies of its last N checkpoints (weight averaging; "
        "default 1: the final weights)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=None,
        metavar="FIELD=VALUE",
        help="set a field of the algorithm's config after its defaults, e.g. --set disc_every=2 or "
        "--set sac.actor_lr=3e-4 (repeatable; config.json lists the fields)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--no-report",
        action="store_true",
        help="skip plots/ and report.html at the end (`mimetic report RUN_DIR` writes them later); "
        "kept on --resume",
    )
    parser.add_argument(
        "--no-tensorboard", action="store_true", help="log to metrics.jsonl only; kept on --resume"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint"
    )


def resolve_policy_dir(path: Path) -> Path:
    """A saved policy directory, or a run directory's final `policy/`."""
    from mimetic.cli import CliError

    if (path / "policy.json").is_file():
        return path
    if (path / "policy" / "policy.json").is_file():
        return path / "policy"
    raise CliError(f"{path}: neither a run directory with policy/ nor a saved policy (no policy.json)")


def _eval(args: argparse.Namespace) -> int:
    import torch

    torch.set_num_threads(1)
    path = Path(args.path)
    if args.average_last is not None:
        with tempfile.TemporaryDirectory() as tmp:
            policy_dir, label = _averaged_policy(path, args.average_last, Path(tmp))
            return _eval_policy(args, path, policy_dir, label)
    policy_dir = resolve_policy_dir(path)
    return _eval_policy(args, path, policy_dir, str(policy_dir))


def _averaged_policy(run_dir: Path, last: int, tmp: Path) -> tuple[Path, str]:
    """The mean of `run_dir`'s last `last` checkpoint policies, written under `tmp`, and its name."""
    from mimetic.cli import CliError
    from mimetic.runtime.averaging import AveragingError, average_policies, checkpoint_policies

    try:
        chosen = checkpoint_policies(run_dir, last)
        averaged = average_policies([p for _, p in chosen], tmp / "policy")
    except AveragingError as err:
        raise CliError(str(err)) from None
    steps = ", ".join(str(step) for step, _ in chosen)
    return averaged, f"the mean of {run_dir}'s checkpoint policies at steps {steps}"


def _eval_policy(args: argparse.Namespace, path: Path, policy_dir: Path, label: str) -> int:
    from mimetic.cli import CliError
    from mimetic.eval.rollout import evaluate
    from mimetic.policies.learned import load

    env_id = args.env
    if env_id is None:
        for candidate in (path / "config.json", policy_dir.parent / "config.json"):
            if candidate.is_file():
                env_id = json.loads(candidate.read_text()).get("env_id")
                break
    if env_id is None:
        raise CliError("--env is required: the policy's run does not name an env")
    if args.episodes < 1:
        raise CliError(f"--episodes must be at least 1, got {args.episodes}")
    policy = _with_sampling(load(policy_dir), args.guidance, args.steps_per_action)
    result = evaluate(policy, env_id, args.episodes, args.seed, deterministic=not args.stochastic)
    if args.json:
        print(json.dumps({"policy": label, **result.to_json()}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{label} on {env_id}", show_header=False)
    table.add_row("episodes", str(len(result.returns)))
    table.add_row("seeds", f"{args.seed}..{args.seed + args.episodes - 1}")
    table.add_row("return", f"{result.mean:.1f} ± {result.std:.1f}")
    if result.expert_normalized_score is not None:
        table.add_row("expert-normalized score", f"{result.expert_normalized_score:.3f}")
    if result.success_rate is not None:
        table.add_row("success rate", f"{result.success_rate:.2f}")
    Console().print(table)
    return 0


# ---- BESO (diffusion policy) ---------------------------------------------------------------
def _add_beso_parser(algos: Any) -> None:
    beso = algos.add_parser(
        "beso",
        help="score-based diffusion policy (BESO), goal-conditioned with classifier-free guidance",
        description="BESO (Reuss et al. 2023): an EDM-preconditioned denoiser over an observation window, "
        "sampled in a few DDIM steps; with dict observations holding a goal, the goal is dropped in 10%% of "
        "training samples so that --guidance picks the goal-conditioned (1) or goal-free (0) policy.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  mimetic train beso --dataset demos/avoiding.npz --env mimetic/Avoiding-v0 "
        "--denoiser mlp --run-dir runs/beso-avoiding --steps 5000 --learning-rate 1e-3\n"
        "  mimetic eval runs/beso-avoiding --episodes 50 --steps-per-action 10",
    )
    beso.add_argument("--dataset", help="dataset file or directory (format detected)")
    beso.add_argument(
        "--env", default=None, help="gymnasium env id to evaluate in (default: the dataset's env)"
    )
    beso.add_argument(
        "--run-dir", required=True, help="folder for the run (must not hold a run unless --resume)"
    )
    beso.add_argument("--batch-size", type=int, default=None, help="minibatch size (default 256)")
    beso.add_argument("--learning-rate", type=float, default=None, help="AdamW step size (default 1e-4)")
    beso.add_argument(
        "--denoiser",
        default=None,
        choices=["transformer", "mlp"],
        help="denoiser network (default transformer)",
    )
    beso.add_argument("--obs-window", type=int, default=None, help="past observations seen (default 5)")
    beso.add_argument("--action-chunk", type=int, default=None, help="actions denoised at once (default 1)")
    beso.add_argument(
        "--guidance", type=float, default=None, help="classifier-free guidance weight at rollout (default 1)"
    )
    beso.add_argument(
        "--steps-per-action", type=int, default=None, help="denoising steps per action (default 3)"
    )
    beso.add_argument("--sampler", default=None, choices=["ddim", "euler", "heun"], help="default ddim")
    beso.add_argument(
        "--hidden-sizes",
        type=_sizes,
        default=None,
        help="the MLP denoiser's widths, comma-separated (default 256,256)",
    )
    _add_trainer_args(beso, "gradient steps (default 10000)")
    beso.set_defaults(func=_train_beso)


def _train_beso(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from mimetic.algorithms.beso import Config
    from mimetic.cli import CliError

    algo_fields = {"batch_size": args.batch_size, "learning_rate": args.learning_rate}
    # CLI flag name -> DiffusionConfig field
    diffusion_flags = {
        "denoiser": ("denoiser", args.denoiser),
        "obs_window": ("obs_window", args.obs_window),
        "action_chunk": ("action_chunk", args.action_chunk),
        "guidance": ("guidance", args.guidance),
        "steps_per_action": ("steps", args.steps_per_action),
        "sampler": ("sampler", args.sampler),
    }
    flags = {
        **algo_fields,
        **{k: v for k, (_, v) in diffusion_flags.items()},
        "hidden_sizes": args.hidden_sizes,
    }
    if args.resume:
        return _launch("beso", args, flags, dataset=args.dataset)
    if args.dataset is None:
        raise CliError("--dataset is required (unless --resume)")
    diffusion_fields = {name: value for name, value in diffusion_flags.values() if value is not None}
    base = Config()
    try:
        config = replace(
            base,
            diffusion=replace(base.diffusion, **diffusion_fields),
            **{k: v for k, v in algo_fields.items() if v is not None},
        )
        if args.hidden_sizes is not None:
            config = replace(config, net=replace(config.net, hidden_sizes=args.hidden_sizes))
        config.diffusion.check()
    except ValueError as err:
        raise CliError(str(err)) from None
    return _launch("beso", args, flags, dataset=args.dataset, config=config)


def _with_sampling(policy: Any, guidance: float | None, steps_per_action: int | None) -> Any:
    """Apply eval-time `--guidance` / `--steps-per-action` to a diffusion policy (an error for others)."""
    from mimetic.cli import CliError

    if guidance is None and steps_per_action is None:
        return policy
    diffusion = getattr(policy, "diffusion", None)
    if diffusion is None:
        raise CliError(f"--guidance and --steps-per-action apply to diffusion policies, not '{policy.name}'")
    if steps_per_action is not None:
        if steps_per_action < 1:
            raise CliError(f"--steps-per-action must be at least 1, got {steps_per_action}")
        diffusion.steps = steps_per_action
    if guidance is not None:
        diffusion.guidance = guidance
    return policy
