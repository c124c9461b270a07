"""The installed `guardstream` command, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from guardstream.streams.demo_traffic import sample_events
from guardstream.streams.settings import Settings
from tests.conftest import read_topic


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardstream.streams.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_events(path: Path, count: int) -> list[dict]:
    events = sample_events(count, seed=5)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return events


def test_score_writes_one_line_per_event_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    events = write_events(source, 40)
    with source.open("a") as handle:
        handle.write("not json\n")
    out, dlq = tmp_path / "scores.jsonl", tmp_path / "rejected.jsonl"
    result = run_cli("score", str(source), "--out", str(out), "--dlq", str(dlq))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["event_id"] for line in lines] == [e["event_id"] for e in events]
    assert all(set(line) >= {"event_id", "scores", "flags"} for line in lines)
    assert all(isinstance(v, float) for line in lines for v in line["scores"].values())
    assert any(line["flags"] for line in lines)
    rejected = [json.loads(line) for line in dlq.read_text().splitlines()]
    assert rejected == [{"line": 41, "code": "not_json", "reason": rejected[0]["reason"]}]
    strict = run_cli("score", str(source), "--out", str(out), "--strict")
    assert strict.returncode == 1


def test_schema_prints_the_contracts() -> None:
    result = run_cli("schema")
    assert result.returncode == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) >= {"LLMEvent", "ScoreRecord", "Alert", "ThresholdRecord", "Feedback"}
    assert "prompt" in schemas["LLMEvent"]["properties"]
    assert run_cli("schema", "Nope").returncode != 0


def test_config_error_is_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "guardstream.toml"
    config.write_text('[detectors.pii]\nthreshold = "high"\n')
    result = run_cli("score", str(config), "--out", str(tmp_path / "o"), "--config", str(config))
    assert result.returncode == 2
    assert "detectors.pii.threshold" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.kafka
def test_publish_validates_then_sends_and_tail_reads_back(
    tmp_path: Path, stack_env: dict[str, str], stack_settings: Settings
) -> None:
    source = tmp_path / "events.jsonl"
    events = write_events(source, 25)
    broken = tmp_path / "broken.jsonl"
    broken.write_text(source.read_text() + '{"event_id": "x"}\n')
    refused = run_cli("publish", str(broken), env=stack_env)
    assert refused.returncode == 1 and "line 26" in refused.stderr
    sent = run_cli("publish", str(source), env=stack_env)
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["published"] == 25
    records = read_topic(stack_settings, stack_settings.topics.events, lambda r: len(r) >= 25)
    assert sorted(json.loads(r.value)["event_id"] for r in records) == sorted(
        e["event_id"] for e in events
    )
    tailed = run_cli("tail", "dlq", "--json", "--idle-exit", "2", env=stack_env)
    assert tailed.returncode == 0 and tailed.stdout == ""


@pytest.mark.kafka
def test_demo_runs_end_to_end() -> None:
    result = run_cli("demo", "--events", "40", "--quiet", "--timeout-s", "120", timeout=240)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    assert summary["events published"] == "40"
    assert summary["score records"] == "40"
    assert "not_json=1" in summary["dead letters"]
    assert "injection=" in summary["alerts"]


def test_worker_without_kafka_says_so_and_exits() -> None:
    from guardstream.streams.broker import free_port

    result = run_cli(
        "worker", env={"GUARDSTREAM_BOOTSTRAP": f"127.0.0.1:{free_port()}"}, timeout=90
    )
    assert result.returncode == 2
    assert "cannot reach Kafka" in result.stderr
