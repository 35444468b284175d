"""Shared by the benchmark scripts: replace one script's marked section of a Markdown page.

Each script owns the text between `<!-- name:start -->` and `<!-- name:end -->` in
docs/benchmarks.md and rewrites only that, so scripts run in any order without clobbering
each other's tables.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HEADER = "# Benchmarks\n\nEvery number here was measured by the script named beside it.\n"
PAPERS_HEADER = """# Papers: what they claim, and what we measure at our scale

One row per method: the paper's claim, the command that tests it on this machine (2 CPU cores, minutes),
and our number from that command's last run. Rows are written by the benchmark scripts, never by hand.

| method | paper's claim | command that tests it at our scale | our number |
|---|---|---|---|
"""
"""The top of docs/papers.md, written by whichever benchmark creates the page first."""


def atomic_write_text(path: Path, text: str) -> None:
    """Write a results file or page whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_section(doc: Path, start: str, end: str, section: str, header: str = DEFAULT_HEADER) -> None:
    """Put `section` (which begins with `start` and ends with `end`) into `doc`, replacing the old one."""
    text = doc.read_text() if doc.exists() else header
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    atomic_write_text(doc, text)


def upsert_row(page: Path, prefix: str, row: str, header: str) -> None:
    """Replace the table row of `page` that starts with `prefix`, or append `row` (creating the page)."""
    text = page.read_text() if page.exists() else header
    lines = text.rstrip("\n").split("\n")
    if any(line.startswith(prefix) for line in lines):
        lines = [row if line.startswith(prefix) else line for line in lines]
    else:
        lines.append(row)
    atomic_write_text(page, "\n".join(lines) + "\n")
