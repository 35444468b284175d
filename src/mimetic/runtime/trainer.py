"""The `Trainer`: the one training loop every algorithm runs in.

It steps the learner, evaluates every `eval_every` steps on fixed seeds, logs `metrics.jsonl`
(and TensorBoard when installed), shows a progress bar, writes atomic checkpoints, and resumes
a killed run so that the result is bitwise the same as a run that was never interrupted.

Every logged line carries `train_s` and `train_cpu_s`: the wall-clock and CPU seconds spent
building the learner and in its sample/update calls so far, without evaluation, logging or
checkpoints, so "time to reach a score" reads straight off the eval lines of `metrics.jsonl`.
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from mimetic.algorithms.base import Learner
from mimetic.runtime.averaging import average_policies, checkpoint_policies
from mimetic.runtime.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from mimetic.runtime.seeding import (
    generator_from_state,
    generator_state,
    global_rng_state,
    set_global_rng_state,
)

EvaluateFn = Callable[[Any], dict[str, Any]]


@dataclass
class TrainerConfig:
    """How long to train and how often to log, evaluate and checkpoint."""

    steps: int = 10_000
    """Gradient steps (the anchors' BC_10k runs use 10k, `../shared/anchors/imitation/RESULTS.md`)."""
    seed: int = 0
    """Seeds torch, numpy, python and the minibatch generator."""
    log_every: int = 100
    """Steps between `metrics.jsonl` lines (the logged loss is the mean since the last line)."""
    eval_every: int = 1_000
    """Steps between evaluations; 0 disables evaluation during training."""
    eval_episodes: int = 10
    """Episodes per evaluation."""
    eval_seed: int = 10_000
    """Episode i of every evaluation is seeded eval_seed + i (the anchors evaluate on seeds 10000..10019)."""
    checkpoint_every: int = 1_000
    """Steps between checkpoints; the last step always gets one."""
    progress: bool = True
    """Show a rich progress bar with the live loss and eval return."""
    tensorboard: bool = True
    """Also log to `run_dir/tensorboard` when the tensorboard package is installed (it is not a dependency)."""
    report: bool = True
    """Write `plots/*.png` and `report.html` at the end of the run (`mimetic report` rebuilds them)."""
    average_last: int = 1
    """The run's output `policy/` is the mean of the policies of its last `average_last` checkpoints
    (`mimetic.runtime.averaging`), evaluated once more at the end; 1: the final weights as they are."""


class ResumeError(Exception):
    """A run directory that cannot be started or resumed as asked; the message says why."""


class Trainer:
    """Runs `learner` for `config.steps` steps inside `run_dir`.

    The caller seeds the global generators (`seed_everything`) before building the learner, so
    the initial weights are reproducible; the trainer then owns the minibatch generator.
    """

    def __init__(
        self,
        learner: Learner,
        config: TrainerConfig,
        run_dir: str | Path,
        *,
        evaluate_fn: EvaluateFn | None = None,
        run_config: dict[str, Any] | None = None,
        setup_clock: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """`setup_clock` is (wall, CPU) seconds it took to build `learner`; the training clocks start there."""
        self.learner = learner
        self.train_wall, self.train_cpu = setup_clock
        self.config = config
        self.run_dir = Path(run_dir)
        self.evaluate_fn = evaluate_fn
        self.run_config = run_config or {}
        self.rng = np.random.Generator(np.random.PCG64(config.seed))
        self.step = 0

    @property
    def checkpoint_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / "metrics.jsonl"

    # ---- the loop ---------------------------------------------------------------------------
    def train(self, *, resume: bool = False) -> dict[str, Any]:
        """Train to `config.steps`; return the eval summary also written to `eval.json`."""
        self._prepare(resume)
        writer = _tensorboard_writer(self.run_dir) if self.config.tensorboard else None
        last_eval: float | None = self._last_logged("eval/return_mean")
        loss_sum: dict[str, float] = {}
        loss_count = 0
        started = time.perf_counter()
        with _progress(self.config.progress) as progress:
            task = progress.add_task(
                "training", total=self.config.steps, completed=self.step, loss="-", ret="-"
            )
            while self.step < self.config.steps:
                wall, cpu = time.perf_counter(), time.process_time()
                batch = self.learner.sample(self.rng)
                metrics = self.learner.update(batch)
                self.train_wall += time.perf_counter() - wall
                self.train_cpu += time.process_time() - cpu
                self.step += 1
                for key, value in metrics.items():
                    loss_sum[key] = loss_sum.get(key, 0.0) + value
                loss_count += 1
                record: dict[str, Any] = {}
                if self._due(self.config.log_every):
                    record.update({key: value / loss_count for key, value in loss_sum.items()})
                    loss_sum, loss_count = {}, 0
                at_checkpoint = self._due(self.config.checkpoint_every) or self.step == self.config.steps
                if self.evaluate_fn is not None and self._due(self.config.eval_every):
                    result = self._evaluate()
                    record.update({f"eval/{k}": v for k, v in result.items() if isinstance(v, int | float)})
                    last_eval = result.get("return_mean")
                if at_checkpoint:
                    valid = self.learner.validation_loss()
                    if valid is not None:
                        record["valid_loss"] = valid
                if record:
                    # a learner's running counts (labels, interventions, env steps) are logged as they
                    # stand at this step, not averaged over the window like the losses
                    counters = getattr(self.learner, "counters", None)
                    if isinstance(counters, dict):
                        record.update({k: int(v) for k, v in counters.items()})
                    record = {
                        "step": self.step,
                        **record,
                        "wall_s": round(time.perf_counter() - started, 3),
                        "train_s": round(self.train_wall, 4),
                        "train_cpu_s": round(self.train_cpu, 4),
                    }
                    self._log(record, writer)
                    progress.update(
                        task,
                        loss=f"{_headline_loss(record):.4g}",
                        ret="-" if last_eval is None else f"{last_eval:.1f}",
                    )
                if at_checkpoint:
                    self._checkpoint()
                progress.update(task, completed=self.step)
        if writer is not None:
            writer.close()
        summary = self._summary()
        policy = getattr(self.learner, "policy", None)
        if policy is not None and hasattr(policy, "save"):
            policy.save(self.run_dir / "policy")
        if self.config.average_last > 1:
            summary["averaged"] = self._average_checkpoints()
        (self.run_dir / "eval.json").write_text(json.dumps(summary, indent=2) + "\n")
        if self.config.report:
            self._write_report()
        return summary

    def _write_report(self) -> None:
        # report comes after runtime in the data flow; the end of a run is the composition point.
        from mimetic.report.run import write_run_report

        try:
            write_run_report(self.run_dir)
        except Exception as err:  # a broken plot must not fail a finished run; the weights are saved
            warnings.warn(f"could not write the run report: {err}", stacklevel=2)

    def _average_checkpoints(self) -> dict[str, Any]:
        """Replace `policy/` by the mean of the last `average_last` checkpoints' policies; evaluate it."""
        # policies come before runtime in the data flow; loading one back is the end of a run's work
        from mimetic.policies.learned import load

        chosen = checkpoint_policies(self.run_dir, self.config.average_last)
        average_policies([path for _, path in chosen], self.run_dir / "policy")
        entry: dict[str, Any] = {"checkpoints": [step for step, _ in chosen]}
        if self.evaluate_fn is not None:
            with torch.random.fork_rng(devices=[]):
                entry.update(self.evaluate_fn(load(self.run_dir / "policy")))
        return entry

    def _check_averaging(self) -> None:
        """Fail before training, not after it, when the run will save too few checkpoints to average."""
        every, steps, wanted = self.config.checkpoint_every, self.config.steps, self.config.average_last
        saved = (steps // every + (1 if steps % every else 0)) if every > 0 else 1
        if wanted < 1:
            raise ValueError(f"average_last must be at least 1, got {wanted}")
        if wanted > saved:
            raise ValueError(
                f"averaging the last {wanted} checkpoints needs {wanted}, but {steps} steps with a checkpoint "
                f"every {every} save {saved}; lower --average-last or --checkpoint-every"
            )

    def _due(self, every: int) -> bool:
        """Whether a periodic task runs at this step: every `every` steps (0: never) and at the last step."""
        return every > 0 and (self.step % every == 0 or self.step == self.config.steps)

    def _evaluate(self) -> dict[str, Any]:
        assert self.evaluate_fn is not None
        # Evaluation must not consume the training RNG (stochastic actions), or the weights would
        # depend on how often we evaluate; fork_rng restores torch's state afterwards.
        with torch.random.fork_rng(devices=[]):
            return self.evaluate_fn(self.learner.policy)

    # ---- run directory, resume ------------------------------------------------------------
    def _prepare(self, resume: bool) -> None:
        self._check_averaging()
        checkpoints = list_checkpoints(self.checkpoint_dir)
        if resume:
            for leftover in self.checkpoint_dir.glob(".tmp_step_*"):  # a checkpoint the kill interrupted
                shutil.rmtree(leftover, ignore_errors=True)
            if not checkpoints:
                if not (self.run_dir / "config.json").is_file():
                    raise ResumeError(f"{self.run_dir}: no run to resume (no config.json)")
                # Killed before its first checkpoint: the seeded start is the state to resume from.
                self._truncate_metrics(0)
                return
            step, path = checkpoints[-1]
            ckpt = load_checkpoint(path, self.learner.modules(), self.learner.optimizers())
            set_global_rng_state(ckpt.state["rng"])
            self.rng = generator_from_state(ckpt.state["sampler_rng"])
            self.step = step
            self._truncate_metrics(step)
            # the clocks go on from the last logged line (this process's setup counts too: it was paid)
            clocked = [r for r in self._read_metrics() if "train_s" in r]
            if clocked:
                self.train_wall += clocked[-1]["train_s"]
                self.train_cpu += clocked[-1]["train_cpu_s"]
            return
        if checkpoints or self.metrics_path.exists():
            raise ResumeError(
                f"{self.run_dir} already holds a run; resume it with --resume or choose another run directory"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.run_config:
            (self.run_dir / "config.json").write_text(json.dumps(self.run_config, indent=2) + "\n")

    def _checkpoint(self) -> None:
        # Metrics up to this step must be on disk before the checkpoint that claims them.
        state = {"rng": global_rng_state(), "sampler_rng": generator_state(self.rng)}
        save_checkpoint(
            self.checkpoint_dir,
            self.step,
            self.learner.modules(),
            self.learner.optimizers(),
            state,
            policy=getattr(self.learner, "policy", None),
        )

    def _log(self, record: dict[str, Any], writer: Any) -> None:
        with open(self.metrics_path, "a") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
        if writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, int | float):
                    writer.add_scalar(key, value, record["step"])

    def _read_metrics(self) -> list[dict[str, Any]]:
        if not self.metrics_path.exists():
            return []
        lines = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut off by the kill; everything after it is newer than any checkpoint
        return lines

    def _truncate_metrics(self, step: int) -> None:
        """Drop log lines newer than the checkpoint: the resumed run writes them again."""
        kept = [r for r in self._read_metrics() if r.get("step", 0) <= step]
        tmp = self.metrics_path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
        tmp.replace(self.metrics_path)

    def _last_logged(self, key: str) -> float | None:
        values = [r[key] for r in self._read_metrics() if key in r]
        return values[-1] if values else None

    def _summary(self) -> dict[str, Any]:
        """The robomimic protocol (survey row #8): best, last and validation-selected checkpoints."""
        records = self._read_metrics()
        evals = [r for r in records if "eval/return_mean" in r]
        summary: dict[str, Any] = {"steps": self.step}
        if not evals:
            return summary
        last = evals[-1]
        best = max(evals, key=lambda r: r["eval/return_mean"])
        summary["last"] = _eval_entry(last)
        summary["best"] = _eval_entry(best)
        summary["gap_best_minus_last"] = best["eval/return_mean"] - last["eval/return_mean"]
        with_valid = [r for r in evals if "valid_loss" in r]
        if with_valid:
            chosen = min(with_valid, key=lambda r: r["valid_loss"])
            summary["selected_by_valid_loss"] = {**_eval_entry(chosen), "valid_loss": chosen["valid_loss"]}
            summary["gap_best_minus_selected"] = best["eval/return_mean"] - chosen["eval/return_mean"]
        summary["history"] = [_eval_entry(r) for r in evals]
        return summary


def _eval_entry(record: dict[str, Any]) -> dict[str, Any]:
    entry = {"step": record["step"]}
    entry.update({k.removeprefix("eval/"): v for k, v in record.items() if k.startswith("eval/")})
    return entry


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("eval return {task.fields[ret]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


def _tensorboard_writer(run_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional; metrics.jsonl is the record
        return None
    return SummaryWriter(str(run_dir / "tensorboard"))


def _headline_loss(record: dict[str, Any]) -> float:
    """The loss the progress bar shows: "loss", or the first "loss/..." (RL learners log several)."""
    if "loss" in record:
        return float(record["loss"])
    for key, value in record.items():
        if key.startswith("loss/"):
            return float(value)
    return float("nan")
