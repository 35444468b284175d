"""Policies: the `Policy` protocol, the learned torch policies, their registry, save and load."""

from mimetic.policies import diffusion  # registers "beso"
from mimetic.policies.base import Policy
from mimetic.policies.config import PolicyConfig
from mimetic.policies.layout import ObsLayout
from mimetic.policies.learned import POLICIES, TorchPolicy, build_policy, load

__all__ = [
    "POLICIES",
    "ObsLayout",
    "Policy",
    "PolicyConfig",
    "TorchPolicy",
    "build_policy",
    "diffusion",
    "load",
]
