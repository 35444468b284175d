"""`mimetic sweep`: grids of `mimetic train` runs over algorithms × envs × data × seeds, on Ray."""

from mimetic.sweep.run import SweepError, SweepResult, run_sweep
from mimetic.sweep.spec import SpecError, SweepSpec, Trial, load_spec

__all__ = ["SpecError", "SweepError", "SweepResult", "SweepSpec", "Trial", "load_spec", "run_sweep"]
