"""`mimetic demo`: the smallest real pipeline, end to end, on data generated on the spot.

Scripted CartPole-v1 expert -> demonstrations -> Minari dataset on disk -> load back ->
validate against the env -> summary. Later stages (training, evaluation, the report) join here
as they land.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

import mimetic
from mimetic.data.errors import DatasetError
from mimetic.experts import collect, scripted_expert

DEMO_ENV = "CartPole-v1"
DEMO_DATASET_ID = "mimetic/cartpole-scripted-v0"


def run_demo(out: Path, episodes: int = 50, seed: int = 0) -> Path:
    """Run the demo pipeline into `out` and return the dataset path."""
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

    summary = loaded.summary()
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
    console.print(
        f"load it with minari: MINARI_DATASETS_PATH={(out / 'datasets').resolve()} "
        f"python -c \"import minari; print(minari.load_dataset('{DEMO_DATASET_ID}'))\""
    )
    return path
