"""Small seeded markets for the trading tests (no files needed)."""

from __future__ import annotations

import pytest

from mimetic.trading.data import Bars, synthetic_bars


@pytest.fixture(scope="session")
def minute_bars() -> Bars:
    """12 sessions of 60 one-minute bars."""
    return synthetic_bars(days=12, bars_per_day=60, seed=7)
