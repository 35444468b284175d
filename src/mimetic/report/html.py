"""A small, self-contained HTML report writer: a title, sections of text, tables and PNG images.

The output is one file with its CSS inline and its images embedded as base64 data URIs, so it
opens anywhere, offline, and can be mailed or archived as it is. Nothing here knows what the
report is about; stages build their reports from these pieces.

    report = HtmlReport("Backtest", subtitle="btc-usd-1h, test split")
    section = report.section("Metrics")
    section.table([{"strategy": "buy-hold", "sharpe": 1.7}])
    section.image(Path("equity.png"), caption="Equity")
    report.write(Path("runs/bt/report.html"))
"""

from __future__ import annotations

import base64
import html
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.1em; } .subtitle { color: #666; margin-top: 0; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
caption { caption-side: top; text-align: left; color: #555; padding-bottom: 0.3em; }
figure { margin: 1em 0; } img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
"""


def format_value(value: Any, float_format: str = "{:.4g}") -> str:
    """How a table cell shows a value: floats through `float_format`, None and NaN as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "\u2014"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return float_format.format(value)
    return str(value)


class Section:
    """A titled part of a report; its blocks render in the order they were added."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list[str] = []

    def text(self, paragraph: str) -> Section:
        """A paragraph of plain text (escaped; no markup)."""
        self.blocks.append(f"<p>{html.escape(paragraph)}</p>")
        return self

    def table(
        self,
        rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
        *,
        caption: str | None = None,
        float_format: str = "{:.4g}",
    ) -> Section:
        """A table from a list of dicts (one row each; columns in first-seen order) or from one
        dict (a two-column key/value table)."""
        if isinstance(rows, Mapping):
            rows = [{"name": k, "value": v} for k, v in rows.items()]
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        parts = ["<table>"]
        if caption:
            parts.append(f"<caption>{html.escape(caption)}</caption>")
        parts.append("<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in columns) + "</tr>")
        for row in rows:
            cells = (html.escape(format_value(row.get(c), float_format)) for c in columns)
            parts.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
        parts.append("</table>")
        self.blocks.append("\n".join(parts))
        return self

    def image(self, png: bytes | str | Path, *, alt: str = "", caption: str | None = None) -> Section:
        """A PNG image (bytes or a file path), embedded in the page as base64."""
        data = png if isinstance(png, bytes) else Path(png).read_bytes()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(f"not a PNG image: {png if not isinstance(png, bytes) else 'bytes'}")
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        figure = f'<figure><img src="{uri}" alt="{html.escape(alt)}">'
        if caption:
            figure += f"<figcaption>{html.escape(caption)}</figcaption>"
        self.blocks.append(figure + "</figure>")
        return self

    def render(self) -> str:
        return f"<section>\n<h2>{html.escape(self.title)}</h2>\n" + "\n".join(self.blocks) + "\n</section>"


class HtmlReport:
    """A whole report: a title, an optional subtitle, and sections."""

    def __init__(self, title: str, *, subtitle: str | None = None) -> None:
        self.title = title
        self.subtitle = subtitle
        self.sections: list[Section] = []

    def section(self, title: str) -> Section:
        section = Section(title)
        self.sections.append(section)
        return section

    def render(self) -> str:
        head = f"<h1>{html.escape(self.title)}</h1>"
        if self.subtitle:
            head += f'\n<p class="subtitle">{html.escape(self.subtitle)}</p>'
        body = "\n".join(s.render() for s in self.sections)
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n"
            f"<body>\n{head}\n{body}\n</body>\n</html>\n"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page atomically (a temporary file renamed into place) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.render())
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path
