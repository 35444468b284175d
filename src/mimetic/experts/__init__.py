"""Experts that make demonstrations: scripted controllers (and, later, the shipped zoo)."""

from mimetic.experts.collect import collect
from mimetic.experts.scripted import SCRIPTED_EXPERTS, scripted_expert

__all__ = ["SCRIPTED_EXPERTS", "collect", "scripted_expert"]
