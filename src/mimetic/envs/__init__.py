"""Environments mimetic adds, registered with gymnasium when this package is imported.

Entry points are strings, so registering imports nothing heavy: `mimetic.trading` loads only
when someone makes the env.
"""

from __future__ import annotations

import gymnasium as gym

TRADING_ID = "mimetic/Trading-v0"

if TRADING_ID not in gym.registry:
    gym.register(
        id=TRADING_ID,
        entry_point="mimetic.trading.env:TradingEnv",
        vector_entry_point="mimetic.trading.env:TradingVectorEnv",
        disable_env_checker=True,  # the checker's per-step wrapper would cost more than the step itself
    )

AVOIDING_ID = "mimetic/Avoiding-v0"
AVOIDING_GOAL_ID = "mimetic/AvoidingGoal-v0"

if AVOIDING_ID not in gym.registry:
    gym.register(id=AVOIDING_ID, entry_point="mimetic.envs.avoiding:AvoidingEnv", max_episode_steps=200)
if AVOIDING_GOAL_ID not in gym.registry:
    gym.register(
        id=AVOIDING_GOAL_ID,
        entry_point="mimetic.envs.avoiding:AvoidingEnv",
        kwargs={"goal_conditioned": True},
        max_episode_steps=200,
    )

__all__ = ["AVOIDING_GOAL_ID", "AVOIDING_ID", "TRADING_ID"]
