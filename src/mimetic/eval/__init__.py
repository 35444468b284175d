"""Evaluation: seeded vectorized rollouts and expert-normalized scores from one reference table."""

from mimetic.eval.reference import REFERENCE_RETURNS, ReferenceReturns, expert_normalized_score
from mimetic.eval.rollout import EvalResult, evaluate

__all__ = ["REFERENCE_RETURNS", "EvalResult", "ReferenceReturns", "evaluate", "expert_normalized_score"]
