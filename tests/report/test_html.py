from __future__ import annotations

import base64
import io
import math
from pathlib import Path

import pytest

from mimetic.report.html import HtmlReport, format_value


def tiny_png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_a_report_is_one_self_contained_file(tmp_path: Path) -> None:
    png = tiny_png()
    (tmp_path / "plot.png").write_bytes(png)
    report = HtmlReport("Run <1>", subtitle="seed 0 & 1")
    section = report.section("Results")
    section.text("a < b").table(
        [{"method": "bc", "score": 0.12345}, {"method": "gail", "steps": 10}], caption="scores"
    )
    section.table({"lr": 3e-4, "loss": math.nan})
    report.section("Plots").image(tmp_path / "plot.png", alt="curve", caption="the curve").image(png)
    path = report.write(tmp_path / "out" / "report.html")
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "Run &lt;1&gt;" in page and "seed 0 &amp; 1" in page and "a &lt; b" in page  # escaped
    assert "<th>method</th><th>score</th><th>steps</th>" in page  # columns in first-seen order
    assert (
        "<td>0.1235</td>" in page and "<td>\u2014</td>" in page
    )  # floats formatted, missing shown as a dash
    encoded = base64.b64encode(png).decode()
    assert page.count(f"data:image/png;base64,{encoded}") == 2
    assert 'src="http' not in page and "<link" not in page and "<script" not in page
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]  # no temporary file left


def test_images_must_be_png() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        HtmlReport("x").section("s").image(b"GIF89a")


def test_format_value() -> None:
    assert format_value(None) == format_value(math.nan) == "\u2014"
    assert format_value(1234.5678) == "1235" and format_value(7) == "7" and format_value(True) == "True"
