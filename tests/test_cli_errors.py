"""Every CLI command without a broker says so in one line (no traceback); `publish` reports bad
lines by number; `score` turns invalid UTF-8 and poison lines into DLQ records, not a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guardstream.streams.broker import free_port

GOOD = {"event_id": "e-1", "timestamp": "2026-11-24T10:00:00Z", "app_id": "a", "user_id": "u",
        "prompt": "hi"}  # fmt: skip


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardstream.streams.cli", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
        env={"GUARDSTREAM_WORKER__DATA_DIR": str(cwd or Path.cwd()), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b"[" * 5000 + b"\n\xff\xfe oops\n")
    return path


@pytest.mark.parametrize(
    "command", [("tail", "alerts", "--idle-exit", "1"), ("publish", "--skip-invalid")]
)
def test_no_broker_is_one_clear_line(command: tuple[str, ...], events: Path) -> None:
    args = [*command, str(events)] if command[0] == "publish" else list(command)
    result = run(*args, "--bootstrap", f"127.0.0.1:{free_port()}", cwd=events.parent)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert errors and errors[-1].startswith("guardstream: error: cannot reach Kafka at 127.0.0.1")
    assert "Traceback" not in result.stderr and "Unclosed" not in result.stderr


def test_publish_names_each_bad_line_without_traceback(events: Path) -> None:
    result = run("publish", str(events), "--bootstrap", "127.0.0.1:9", cwd=events.parent)
    assert result.returncode == 1
    assert "line 2" in result.stderr and "[depth]" in result.stderr
    assert "line 3" in result.stderr and "[encoding]" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_dead_letters_poison_lines(events: Path, tmp_path: Path) -> None:
    out, dlq = tmp_path / "scores.jsonl", tmp_path / "dlq.jsonl"
    result = run("score", str(events), "--out", str(out), "--dlq", str(dlq), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [json.loads(x)["event_id"] for x in out.read_text().splitlines()] == ["e-1"]
    letters = [json.loads(x) for x in dlq.read_text().splitlines()]
    assert sorted((d["line"], d["code"]) for d in letters) == [(2, "depth"), (3, "encoding")]
