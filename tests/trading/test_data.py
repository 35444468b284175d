from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from mimetic.data.errors import DatasetError
from mimetic.trading.data import BUNDLED, load_bundled, load_csv, split_days, synthetic_bars

GOOD = "time,open,high,low,close,volume\n" + "\n".join(
    f"2021-01-01 0{h}:00:00,{10 + h},{11 + h},{9 + h},{10.5 + h},100" for h in range(5)
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bars.csv"
    path.write_text(text)
    return path


def test_a_clean_csv_loads(tmp_path: Path) -> None:
    bars = load_csv(write(tmp_path, GOOD))
    assert len(bars) == 5 and bars.num_days == 1
    assert bars.close.tolist() == [10.5, 11.5, 12.5, 13.5, 14.5]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows[:2] + [rows[3], rows[2]] + rows[4:], "row 5: timestamps not sorted"),
        (lambda rows: rows[:3] + [rows[2]] + rows[4:], "row 5: duplicate timestamp"),
        (
            lambda rows: rows[:2] + [rows[2].replace(",12.5,", ",,")] + rows[3:],
            "field 'close': row 4: not a finite number",
        ),
        (
            lambda rows: rows[:2] + [rows[2].replace(",13,11,", ",11,13,")] + rows[3:],
            "field 'high': row 4: high < low",
        ),
        (
            lambda rows: rows[:1] + [rows[1].replace(",11.5,", ",nan,")] + rows[2:],
            "field 'close': row 3: not a finite number",
        ),
    ],
    ids=["unsorted", "duplicate", "empty", "high-below-low", "nan"],
)
def test_each_csv_defect_gives_one_clear_line(tmp_path: Path, edit, expected: str) -> None:
    header, *rows = GOOD.splitlines()
    path = write(tmp_path, "\n".join([header, *edit(rows)]))
    with pytest.raises(DatasetError) as err:
        load_csv(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert expected in message


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "time,open,high,close\n2021-01-01,1,2,1.5\n")
    with pytest.raises(DatasetError, match="missing price columns.*low missing"):
        load_csv(path)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_markets_are_clean_complete_sessions(name: str) -> None:
    bars = load_bundled(name)
    assert np.all(np.diff(bars.time.astype(np.int64)) > 0)
    assert np.all(np.diff(bars.day_bounds) == 24)  # every kept session is whole
    assert np.all(bars.high >= np.maximum(bars.open, bars.close)) and np.all(
        bars.low <= np.minimum(bars.open, bars.close)
    )
    assert np.all(bars.volume > 0)  # zero-volume days were dropped


def test_btc_cleaning_and_splits() -> None:
    bars = load_bundled("btc-usd-1h")
    assert (len(bars), bars.num_days) == (19776, 824)
    dates = bars.session_dates()
    for dropped in ("2017-09-25", "2017-11-12", "2018-02-01", "2018-08-10", "2019-06-20"):
        assert dt.date.fromisoformat(dropped) not in dates
    ranges = {s: split_days(bars, s) for s in ("train", "valid", "test")}
    assert ranges["train"][1] == ranges["valid"][0] and ranges["valid"][1] == ranges["test"][0]
    assert dates[ranges["train"][0]] == dt.date(2017, 7, 2)
    assert dates[ranges["valid"][0]] >= dt.date(2018, 10, 1) and dates[ranges["valid"][1] - 1] <= dt.date(
        2018, 12, 31
    )
    assert dates[ranges["test"][0]] == dt.date(2019, 1, 1)


def test_synthetic_bars_are_seeded_and_valid() -> None:
    a, b, c = synthetic_bars(days=3, seed=1), synthetic_bars(days=3, seed=1), synthetic_bars(days=3, seed=2)
    assert np.array_equal(a.close, b.close) and not np.array_equal(a.close, c.close)
    assert len(a) == 3 * 240 and a.num_days == 3
    assert np.all(a.high >= np.maximum(a.open, a.close)) and np.all(a.low <= np.minimum(a.open, a.close))


def test_planted_pattern_makes_the_morning_predict_the_afternoon() -> None:
    def agreement(bars) -> float:
        b = bars.day_bounds
        morning = bars.close[b[:-1] + 29] - bars.open[b[:-1]]
        afternoon = bars.close[b[1:] - 1] - bars.close[b[:-1] + 29]
        return float(np.mean(np.sign(morning) == np.sign(afternoon)))

    planted = synthetic_bars(days=200, seed=3, planted_pattern=True, pattern_drift=2e-4)
    plain = synthetic_bars(days=200, seed=3)
    assert agreement(planted) > 0.8
    assert agreement(plain) < 0.65
