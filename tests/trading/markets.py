"""Hand-made markets for the trading tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mimetic.trading.data import Bars, bars_from_frame


def frame_from_closes(closes: list[float], session: list[str] | None = None) -> pd.DataFrame:
    """Hourly bars whose open is the previous close and whose high/low straddle open and close."""
    c = np.asarray(closes, dtype=np.float64)
    o = np.concatenate([[c[0]], c[:-1]])
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2021-03-01 00:00", periods=len(c), freq="h"),
            "open": o,
            "high": np.maximum(o, c) + 0.5,
            "low": np.minimum(o, c) - 0.5,
            "close": c,
        }
    )
    if session is not None:
        frame["session"] = session
    return frame


def bars_from_closes(closes: list[float]) -> Bars:
    return bars_from_frame(frame_from_closes(closes))


# Three sessions of four bars (open, high, low, close), made by hand for Dual Thrust.
DAYS = [
    [(10, 12, 9, 11), (11, 13, 10, 12), (12, 12, 8, 9), (9, 10, 8, 10)],  # H 13, L 8, C 10
    [(10, 11, 9, 10), (10, 14, 10, 13), (13, 13, 11, 12), (12, 12, 10, 11)],  # H 14, L 9, C 11
    [(12, 13, 11, 12.5), (12.5, 16, 12, 15.5), (15.5, 15.5, 9, 9.5), (9.5, 10, 9, 10)],
]


def hand_bars() -> Bars:
    rows = [bar for day in DAYS for bar in day]
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame["time"] = pd.date_range("2021-01-04", periods=3, freq="D").repeat(4) + pd.to_timedelta(
        np.tile(np.arange(4), 3), unit="h"
    )
    return bars_from_frame(frame)
