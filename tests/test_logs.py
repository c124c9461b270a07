"""Service logging: JSON lines, errors rate-limited, and no DEBUG root logger under faust."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from guardstream.streams.logs import JsonFormatter, RateLimit, configure_logging


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_records_are_one_json_object_per_line_with_extra_fields(restore_root: None) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    log = logging.getLogger("guardstream.test")
    log.info("scored %d events", 3, extra={"partition": 2})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["msg"] == "scored 3 events" and first["partition"] == 2
    assert first["level"] == "info" and first["logger"] == "guardstream.test"
    assert second["level"] == "error" and "ValueError: boom" in second["exc"]


def test_repeated_errors_are_limited_and_the_gap_is_counted() -> None:
    clock = [0.0]
    limit = RateLimit(burst=2, period_s=60.0, clock=lambda: clock[0])

    def record(msg: str = "send failed: %s") -> logging.LogRecord:
        return logging.LogRecord("x", logging.ERROR, "", 0, msg, ("e",), None)

    assert [limit.filter(record()) for _ in range(10)] == [True, True] + [False] * 8
    assert limit.filter(record("another message"))  # a different template is its own key
    clock[0] = 61.0
    after = record()
    assert limit.filter(after) and after.suppressed == 8  # type: ignore[attr-defined]
    info = logging.LogRecord("x", logging.INFO, "", 0, "m", None, None)
    assert all(limit.filter(info) for _ in range(10))  # below WARNING is never limited


def test_service_worker_keeps_the_root_logger_at_the_configured_level(
    restore_root: None, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from guardstream.streams.app import create_app
    from guardstream.streams.service import ServiceWorker
    from guardstream.streams.settings import load_settings

    settings = load_settings(
        env={"GUARDSTREAM_WORKER__DATA_DIR": str(tmp_path), "GUARDSTREAM_WORKER__WEB_PORT": "0"}
    )
    worker = ServiceWorker(create_app(settings), settings)
    worker._setup_logging()
    root = logging.getLogger()
    assert worker.spinner is None
    assert root.level == logging.WARNING  # faust's spinner set DEBUG here
    assert not logging.getLogger("aiokafka").isEnabledFor(logging.DEBUG)
    assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
