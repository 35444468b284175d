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

__all__ = ["TRADING_ID"]
