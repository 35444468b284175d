"""Algorithms: one module per method, each a `Config` and a learner the `Trainer` steps."""

from mimetic.algorithms import bc, beso, ppo, sac
from mimetic.algorithms.base import ALGORITHMS, Learner, config_from_dict, config_to_dict

__all__ = ["ALGORITHMS", "Learner", "bc", "beso", "config_from_dict", "config_to_dict", "ppo", "sac"]
