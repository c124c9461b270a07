"""The drift report: built from a scores file by the CLI, then rendered in real headless
Chromium, which must draw every plot (non-zero containers with an SVG) and a non-blank page."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guardstream.streams.cli import app
from guardstream.streams.drift_traffic import drift_events, metrics_pipeline, score_records

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("drift-report")
    records = score_records(drift_events("length", 3200, 2400, seed=3), metrics_pipeline())
    scores = folder / "scores.jsonl"
    scores.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    out = folder / "report.html"
    result = CliRunner().invoke(
        app, ["drift", "report", "--app", "bench-app", "--scores", str(scores), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert '"drift.response_chars"' in result.output
    return out


def test_report_is_one_self_contained_file(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<script src=" not in text
    assert not re.search(r"""<(?:script|link)[^>]+(?:src|href)=["']https?:""", text)
    assert "Plotly.newPlot" in text and text.count('class="plotly-graph-div"') == 16
    table = text[text.index("<table>") : text.index("</table>")]
    assert "drift.response_chars" in table and "DRIFT" in table


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip(
            "headless Chromium not found (Debian package `chromium`; `make test` installs it "
            "when run as root with apt-get)"
        )
    return found


def png_is_blank(png: bytes) -> bool:
    """True when the screenshot's pixels are all one value (decoded with zlib, no imaging lib)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return len(set(pixels[1:4096:3]) | set(pixels[-4096::7])) <= 2 and pixels.count(
        255
    ) > 0.995 * len(pixels)


def test_chromium_draws_every_plot(report: Path, tmp_path: Path) -> None:
    binary = chromium()
    base = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [*base, "--virtual-time-budget=15000", "--dump-dom", report.as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    ).stdout  # fmt: skip
    plots = re.search(r'data-plots="(\d+)"', dom)
    drawn = re.search(r'data-plots-drawn="(\d+)"', dom)
    assert plots and drawn, "the report's check script did not run"
    assert int(plots.group(1)) == 16 and int(drawn.group(1)) == 16
    shot = tmp_path / "report.png"
    subprocess.run(
        [*base, "--window-size=1300,2000", f"--screenshot={shot}", report.as_uri()],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    assert shot.stat().st_size > 20_000 and not png_is_blank(shot.read_bytes())
