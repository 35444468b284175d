"""Policies: the `Policy` protocol and its implementations."""

from mimetic.policies.base import Policy

__all__ = ["Policy"]
