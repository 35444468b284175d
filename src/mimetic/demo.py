"""`mimetic demo`: the flagship, QTNet's iRDPG agent trading the bundled BTC/USD hourly bars.

`run_demo` trains iRDPG (Liu et al. AAAI 2020: recurrent DDPG, a never-evicted buffer of Dual Thrust
days, Q-filtered behaviour cloning toward the hindsight teacher) and plain RDPG (Heess et al. 2015)
on the training days, selects each one's checkpoint on the validation days, backtests both once on
the test days beside buy and hold and Dual Thrust (costs on), and writes the HTML backtest report
(equity, drawdown, positions over a sample day, the metrics table), whose path it prints last.
About 4 minutes on one core of the 2-core dev machine (measured with `make demo`; the issue budgets 10); tests pass a tiny budget.

`run_bc_demo` (`mimetic demo --bc`) is the imitation-learning pipeline of the library itself:
scripted CartPole-v1 expert -> demonstrations -> Minari dataset on disk -> load back -> validate
against the env -> behaviour cloning (discrete policy) in the `Trainer` -> evaluation on fixed
seeds -> the run's HTML report. About half a minute on one CPU core.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import mimetic
from mimetic.data.errors import DatasetError
from mimetic.experts import collect, scripted_expert

DEMO_ENV = "CartPole-v1"
DEMO_DATASET_ID = "mimetic/cartpole-scripted-v0"
DEMO_RUN = "bc-cartpole"
DEMO_MARKET = "btc-usd-1h"
DEMO_VARIANTS = ("irdpg", "rdpg")


@dataclass(frozen=True)
class TradingDemoResult:
    """Where the flagship demo put things, and the test-split backtests it reports."""

    report: Path
    run_dirs: dict[str, Path]
    results: list[Any]
    """`BacktestResult`s on the test days: the agents first, then buy and hold and Dual Thrust."""


def run_demo(
    out: Path,
    seed: int = 0,
    *,
    steps: int = 6_000,
    eval_every: int = 500,
    warmup_days: int | None = None,
    progress: bool = True,
) -> TradingDemoResult:
    """Train iRDPG and RDPG on the bundled market, backtest them on the test days, write the report.

    `steps` is each agent's number of gradient updates; `eval_every` how often its actor is
    backtested on the validation days and checkpointed. Tests pass small ones (and fewer
    `warmup_days` than the spec's 100).
    """
    import torch

    from mimetic.trading.irdpg import IRDPGConfig
    from mimetic.trading.irdpg_run import MarketSettings, baseline_results, evaluate_run, train_agent
    from mimetic.trading.report import write_backtest_report

    torch.set_num_threads(1)
    console = Console()
    console.print(
        f"[bold]mimetic demo[/bold]: iRDPG and RDPG on {DEMO_MARKET} (train 2017-07 to 2018-09, validate "
        f"2018-10 to 12, test 2019), {steps} updates each, seed {seed}"
    )
    config = IRDPGConfig() if warmup_days is None else IRDPGConfig(warmup_days=warmup_days)
    run_dirs: dict[str, Path] = {}
    agents = []
    for variant in DEMO_VARIANTS:
        run_dir = out / "runs" / f"{variant}-{DEMO_MARKET}"
        # the demo's own output folder: a rerun replaces the previous demo run rather than resuming it
        shutil.rmtree(run_dir, ignore_errors=True)
        console.print(f"training {variant} into {run_dir} (validation backtest every {eval_every} updates)")
        summary = train_agent(
            DEMO_MARKET,
            run_dir,
            variant=variant,
            seed=seed,
            steps=steps,
            eval_every=eval_every,
            config=config,
            progress=progress,
        )
        best = summary["best"]
        console.print(
            f"{variant}: selected step {best['step']} on validation (total return {best['return_mean']:.3f})"
        )
        result, _ = evaluate_run(run_dir, "test")
        agents.append(result)
        run_dirs[variant] = run_dir
    results = [*agents, *baseline_results(DEMO_MARKET, "test", MarketSettings())]
    bars = results[0].bars
    settings = {
        "data": DEMO_MARKET,
        "split": "test",
        "first_bar": str(bars.time[0])[:19],
        "last_bar": str(bars.time[-1])[:19],
        "sessions": bars.num_days,
        "updates_per_agent": steps,
        "seed": seed,
        "selection": "validation total return (2018-10 to 12); test touched once",
        "fee_rate": MarketSettings().fee_rate,
        "slippage": MarketSettings().slippage,
    }
    from mimetic.trading.cli import print_metrics

    print_metrics(results, settings)
    report = write_backtest_report(results, out / "report", settings=settings)
    print(f"report: {report.resolve()}", flush=True)  # plain print: one unwrapped line for scripts
    return TradingDemoResult(report=report, run_dirs=run_dirs, results=results)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things, and how the trained policy did."""

    dataset: Path
    run_dir: Path
    report: Path
    evaluation: Any
    """The final policy's `EvalResult` on seeds `10000..10000 + eval_episodes - 1`."""


def run_bc_demo(
    out: Path,
    episodes: int = 50,
    seed: int = 0,
    *,
    steps: int = 2_000,
    eval_every: int = 500,
    eval_episodes: int = 10,
) -> DemoResult:
    """Run the demo pipeline into `out` (dataset under `out/datasets`, run under `out/runs`).

    `steps`, `eval_every` and `eval_episodes` set the BC budget; tests pass small ones.
    """
    import torch

    from mimetic.eval import evaluate
    from mimetic.runtime import TrainerConfig, train

    torch.set_num_threads(1)
    console = Console()
    console.print(f"[bold]mimetic demo[/bold]: {episodes} scripted {DEMO_ENV} demonstrations, seed {seed}")
    ds = collect(
        scripted_expert(DEMO_ENV),
        DEMO_ENV,
        episodes,
        seed,
        source=f"scripted:{DEMO_ENV}",
        dataset_id=DEMO_DATASET_ID,
        show_progress=True,
    )
    path = mimetic.save(ds, out / "datasets" / DEMO_DATASET_ID, format="minari", overwrite=True)
    console.print(f"saved Minari dataset: {path}")

    loaded = mimetic.load(path)
    if not loaded.equals(ds):
        raise DatasetError("dataset read back differs from what was written", file=path)
    problems = mimetic.validate(loaded, env=DEMO_ENV)
    if problems:
        raise DatasetError(f"{len(problems)} validation problem(s); first: {problems[0]}", file=path)
    console.print(f"validated against {DEMO_ENV}: no problems")
    _print_dataset_summary(console, loaded.summary())
    console.print(
        f"load it with minari: MINARI_DATASETS_PATH={(out / 'datasets').resolve()} "
        f"python -c \"import minari; print(minari.load_dataset('{DEMO_DATASET_ID}'))\""
    )

    # The demo's own output folder: a rerun replaces the previous demo run rather than resuming it.
    run_dir = out / "runs" / DEMO_RUN
    shutil.rmtree(run_dir, ignore_errors=True)
    console.print(f"behaviour cloning (discrete policy), {steps} steps, evaluating every {eval_every}")
    trainer = TrainerConfig(
        steps=steps,
        seed=seed,
        eval_every=eval_every,
        eval_episodes=eval_episodes,
        checkpoint_every=eval_every,
        tensorboard=False,
    )
    result = train(
        "bc", path, env_id=DEMO_ENV, run_dir=run_dir, policy="discrete", trainer=trainer, valid_fraction=0.1
    )

    final = evaluate(result.policy, DEMO_ENV, eval_episodes, trainer.eval_seed)
    score = final.expert_normalized_score
    console.print(
        f"final policy on {eval_episodes} episodes (seeds {trainer.eval_seed}.."
        f"{trainer.eval_seed + eval_episodes - 1}): return {final.mean:.1f} ± {final.std:.1f}"
        + ("" if score is None else f", expert-normalized score {score:.2f}")
    )
    report = run_dir / "report.html"
    if not report.is_file():  # the Trainer writes it; rebuild it if that failed with a warning
        from mimetic.report.run import write_run_report

        report = write_run_report(run_dir)
    print(f"report: {report.resolve()}", flush=True)  # plain print: one unwrapped line for scripts
    return DemoResult(dataset=path, run_dir=run_dir, report=report, evaluation=final)


def _print_dataset_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title="demonstrations")
    for column in ("episodes", "steps", "return mean", "return std", "return min", "return max"):
        table.add_column(column, justify="right")
    table.add_row(
        str(summary["episodes"]),
        str(summary["steps"]),
        f"{summary['return_mean']:.1f}",
        f"{summary['return_std']:.1f}",
        f"{summary['return_min']:.1f}",
        f"{summary['return_max']:.1f}",
    )
    console.print(table)
