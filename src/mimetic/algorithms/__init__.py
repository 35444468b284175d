"""Algorithms: one module per method, each a `Config` and a learner the `Trainer` steps."""

from mimetic.algorithms import airl, bc, beso, dac, dagger, gail, hg_dagger, iq_learn, ppo, rlif, sac, sqil
from mimetic.algorithms.base import ALGORITHMS, Learner, config_from_dict, config_to_dict

__all__ = [
    "ALGORITHMS",
    "Learner",
    "airl",
    "bc",
    "beso",
    "config_from_dict",
    "config_to_dict",
    "dac",
    "dagger",
    "gail",
    "hg_dagger",
    "iq_learn",
    "ppo",
    "rlif",
    "sac",
    "sqil",
]
