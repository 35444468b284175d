"""The iRDPG protocol: train on the training days, select on the validation days, test once.

`train_agent` runs `IRDPGLearner` in the shared `Trainer` (atomic checkpoints, `resume`, metrics,
progress). Every `eval_every` updates it backtests the current actor on the validation split (costs
on) and checkpoints; the checkpoint with the best validation total return is the selected model.
Test days are never seen during training or selection: `evaluate_run` is the one place that
touches them, and only for the selected checkpoint.

Cross-market generalization (the paper's IF -> IC test): `evaluate_run(..., data=OTHER)` backtests
the selected actor on another instrument. The observation scale is then taken from that instrument's
training days (its own past, never its test days), because price ratios of different instruments
differ in spread by an order of magnitude.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mimetic.algorithms.base import config_from_dict, config_to_dict
from mimetic.runtime.seeding import seed_everything
from mimetic.runtime.trainer import ResumeError, Trainer, TrainerConfig
from mimetic.trading.backtest import BacktestResult, backtest_strategies, run_backtest
from mimetic.trading.data import BUNDLED, MarketSource, load_market
from mimetic.trading.env import TradingConfig, TradingEnv, TradingVectorEnv
from mimetic.trading.irdpg import IRDPGConfig, IRDPGLearner, IRDPGPolicy, load_policy, observation_scale

RUN_KIND = "irdpg"
RUN_FORMAT_VERSION = 1
REPORT_BASELINES = ("buy-hold", "dual-thrust")


@dataclass(frozen=True)
class MarketSettings:
    """The env settings a run trains and is tested with (costs on; see `TradingConfig`)."""

    fee_rate: float = 2.3e-5
    slippage: float = 5e-5
    window: int = 10

    def trading_config(self, data: MarketSource, split: str) -> TradingConfig:
        return TradingConfig(
            data=data, split=split, window=self.window, fee_rate=self.fee_rate, slippage=self.slippage
        )


def data_label(data: MarketSource) -> str:
    """What a run records as its data: a bundled name or a CSV path (not a DataFrame)."""
    if isinstance(data, str | Path):
        path = Path(data)
        return str(path.resolve()) if path.exists() else str(data)
    return load_market(data).name


# ------------------------------------------------------------------------------------- acting


def agent_positions(policy: IRDPGPolicy, trading: TradingConfig) -> tuple[TradingVectorEnv, np.ndarray]:
    """The agent's position at every bar of a split, all days played at once in a vector env.

    Each day starts from the policy's reset state (zero GRU state, previous action [0, 0]) and the
    env's flat position, as in training. The position chosen at a day's last decision is held over
    its last bar (the env makes no decision there), so one account can run over the whole split.
    """
    probe = TradingVectorEnv(1, trading)
    days = probe.num_episodes
    env = TradingVectorEnv(days, trading)
    obs, _ = env.reset(seed=0, options={"episode": np.arange(days)})
    episodes = env.view.episodes
    positions = np.zeros(len(env.view.bars), dtype=np.int64)
    active = np.ones(days, dtype=bool)
    decisions = np.zeros(days, dtype=np.int64)
    state = policy.reset(days)
    while active.any():
        actions, state = policy.act(obs, state)
        obs, _, terminated, _, _ = env.step(actions)
        rows = np.flatnonzero(active)
        positions[episodes[rows, 0] + decisions[rows]] = env.position[rows]
        decisions[rows] += 1
        active &= ~terminated
    for (start, stop), made in zip(episodes, decisions, strict=True):
        positions[start + made : stop] = positions[start + made - 1]
    return env, positions


def backtest_agent(policy: IRDPGPolicy, trading: TradingConfig, name: str = "agent") -> BacktestResult:
    env, positions = agent_positions(policy, trading)
    return run_backtest(
        env.view.bars,
        positions,
        name=name,
        fee_rate=trading.fee_rate,
        slippage=trading.slippage,
        slippage_model=trading.slippage_model,
    )


# ------------------------------------------------------------------------------------- training


def _validation_evaluator(trading: TradingConfig) -> Any:
    def run(policy: IRDPGPolicy) -> dict[str, Any]:
        metrics = backtest_agent(policy, trading, "valid").metrics.as_dict()
        # return_mean is the Trainer's selection key: the validation total return after costs
        out: dict[str, Any] = {"return_mean": metrics["total_return"]}
        out.update({k: v for k, v in metrics.items() if isinstance(v, int | float)})
        return out

    return run


def train_agent(
    data: MarketSource | None,
    run_dir: str | Path,
    *,
    variant: str = "irdpg",
    seed: int = 0,
    steps: int = 6_000,
    eval_every: int = 500,
    config: IRDPGConfig | None = None,
    market: MarketSettings | None = None,
    resume: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Train one variant on the training split of `data` into `run_dir`; return the eval summary.

    With `resume=True` everything comes from `run_dir/config.json` (the other arguments except
    `progress` are ignored) and the run continues from its last checkpoint, bitwise as if never killed.
    Bars that were passed in memory (not a bundled name or a CSV) must be passed again to resume.
    """
    torch.set_num_threads(1)
    run_dir = Path(run_dir)
    if resume:
        saved = read_run_config(run_dir)
        if data is None:
            label: str = saved["data"]
            if not (label in BUNDLED or Path(label).exists()):
                raise ResumeError(
                    f"{run_dir}: trained on in-memory bars '{label}'; pass them again to resume"
                )
            data = label
        elif data_label(data) != saved["data"]:
            raise ResumeError(f"{run_dir}: trained on '{saved['data']}', not '{data_label(data)}'")
        cfg = config_from_dict(IRDPGConfig, saved["irdpg"])
        market = MarketSettings(**saved["market"])
        trainer_cfg = config_from_dict(TrainerConfig, saved["trainer"])
        trainer_cfg = replace(trainer_cfg, progress=progress)
    else:
        if data is None:
            raise ValueError("no market data given")
        cfg = replace(config or IRDPGConfig(), variant=variant)
        market = market or MarketSettings()
        if steps < 1 or eval_every < 1:
            raise ValueError(f"steps and eval_every must be >= 1, got {steps} and {eval_every}")
        trainer_cfg = TrainerConfig(
            steps=steps,
            seed=seed,
            log_every=min(100, eval_every),
            eval_every=eval_every,
            checkpoint_every=eval_every,
            progress=progress,
            tensorboard=False,
            report=False,
        )
    run_config = {
        "format_version": RUN_FORMAT_VERSION,
        "kind": RUN_KIND,
        "data": data_label(data),
        "irdpg": config_to_dict(cfg),
        "market": asdict(market),
        "trainer": config_to_dict(trainer_cfg),
    }
    seed_everything(trainer_cfg.seed)  # before building: the initial weights come from the seed
    learner = IRDPGLearner(cfg, market.trading_config(data, "train"))
    trainer = Trainer(
        learner,
        trainer_cfg,
        run_dir,
        evaluate_fn=_validation_evaluator(market.trading_config(data, "valid")),
        run_config=run_config,
    )
    summary = trainer.train(resume=resume)
    summary["env_steps"] = learner.env_steps
    summary["days_played"] = learner.days_played
    return summary


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ResumeError(f"{run_dir}: no config.json, so there is no iRDPG run here")
    saved: dict[str, Any] = json.loads(path.read_text())
    if saved.get("kind") != RUN_KIND or saved.get("format_version") != RUN_FORMAT_VERSION:
        raise ResumeError(f"{path}: not an iRDPG run (train one with `mimetic trade train`)")
    return saved


def selected_step(run_dir: str | Path) -> int:
    """The step whose checkpoint had the best validation total return (from `eval.json`)."""
    path = Path(run_dir) / "eval.json"
    if not path.is_file():
        raise ResumeError(f"{run_dir}: no eval.json; the run has not finished (continue it with --resume)")
    summary = json.loads(path.read_text())
    if "best" not in summary:
        raise ResumeError(f"{path}: no validation evaluation was recorded")
    return int(summary["best"]["step"])


def load_selected_policy(run_dir: str | Path, step: int | None = None) -> tuple[IRDPGPolicy, int]:
    """The validation-selected actor (or the one of checkpoint `step`)."""
    step = selected_step(run_dir) if step is None else step
    folder = Path(run_dir) / "checkpoints" / f"step_{step}" / "policy"
    if not folder.is_dir():
        raise ResumeError(f"{run_dir}: no checkpoint at step {step}")
    return load_policy(folder), step


def evaluate_run(
    run_dir: str | Path,
    split: str = "test",
    *,
    data: MarketSource | None = None,
    name: str | None = None,
) -> tuple[BacktestResult, dict[str, Any]]:
    """Backtest a run's validation-selected actor on `split` of its market (or of `data`: cross-market)."""
    saved = read_run_config(run_dir)
    market = MarketSettings(**saved["market"])
    policy, step = load_selected_policy(run_dir)
    target = saved["data"] if data is None else data
    cross = data is not None and data_label(data) != saved["data"]
    if cross:
        # the new market's scale, from its own training days (never its test days)
        env = TradingEnv(market.trading_config(target, "train"))
        mean, std = observation_scale(env)
        policy = IRDPGPolicy(policy.actor, mean, std)
    result = backtest_agent(policy, market.trading_config(target, split), name or saved["irdpg"]["variant"])
    if split == "test":
        # The protocol touches the test days once; the log makes a second look visible, not impossible.
        log = Path(run_dir) / "test_log.jsonl"
        with open(log, "a") as handle:
            handle.write(
                json.dumps(
                    {
                        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "data": data_label(target),
                    }
                )
                + "\n"
            )
    info = {
        "run_dir": str(run_dir),
        "variant": saved["irdpg"]["variant"],
        "trained_on": saved["data"],
        "tested_on": data_label(target),
        "cross_market": cross,
        "split": split,
        "selected_step": step,
        "seed": saved["trainer"]["seed"],
        "test_evaluations": _count_lines(Path(run_dir) / "test_log.jsonl"),
    }
    return result, info


def _count_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


def baseline_results(
    data: MarketSource, split: str, market: MarketSettings, names: tuple[str, ...] = REPORT_BASELINES
) -> list[BacktestResult]:
    return backtest_strategies(data, split, list(names), fee_rate=market.fee_rate, slippage=market.slippage)
