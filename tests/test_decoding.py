import json

import pytest

from guardstream.errors import EventDecodeError
from guardstream.streams.decoding import decode_event

GOOD = {
    "event_id": "e-1",
    "timestamp": "2026-11-24T10:00:00Z",
    "app_id": "a",
    "user_id": "u",
    "prompt": "hi",
}


def test_valid_event_decodes() -> None:
    assert decode_event(json.dumps(GOOD).encode(), 10_000).event_id == "e-1"


@pytest.mark.parametrize(
    ("raw", "code", "reason_part"),
    [
        (b"not json {", "not_json", "not JSON"),
        (b"\xff\xfe", "encoding", "not UTF-8"),
        (b"[1, 2]", "not_object", "got list"),
        (None, "empty", "tombstone"),
        (json.dumps({**GOOD, "user_id": None}).encode(), "schema", "user_id"),
        (
            json.dumps({k: v for k, v in GOOD.items() if k != "app_id"}).encode(),
            "schema",
            "app_id: Field required",
        ),
        (json.dumps({**GOOD, "timestamp": "yesterday"}).encode(), "schema", "timestamp"),
        (
            json.dumps({**GOOD, "prompt": "x" * 20_000}).encode(),
            "oversized",
            "over the 10000 limit",
        ),
    ],
)
def test_bad_input_gets_a_code_and_a_reason(raw: bytes | None, code: str, reason_part: str) -> None:
    with pytest.raises(EventDecodeError) as info:
        decode_event(raw, 10_000)
    assert info.value.code == code
    assert reason_part in info.value.reason


def _with(**change: object) -> bytes:
    return json.dumps({**GOOD, **change}).encode()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"[" * 10_000, "depth"),
        (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "depth"),
        (
            _with(input_tokens=0).replace(b'"input_tokens": 0', b'"input_tokens": ' + b"9" * 5000),
            "number",
        ),
        (_with(latency_ms=0).replace(b'"latency_ms": 0', b'"latency_ms": 1e999'), "number"),
        (_with(latency_ms=0).replace(b'"latency_ms": 0', b'"latency_ms": NaN'), "not_json"),
        (_with(timestamp="9999-12-31T23:59:59-23:59"), "schema"),
        (_with(timestamp="1900-01-01T00:00:00Z"), "schema"),
        (_with(prompt="\ud800 lone surrogate"), "encoding"),
        (_with(metadata={"k\udfff": 1}), "encoding"),
    ],
)
def test_poison_messages_are_decode_errors_not_crashes(raw: bytes, code: str) -> None:
    """Each of these raised RecursionError, ValueError or OverflowError, or reached a detector."""
    with pytest.raises(EventDecodeError) as info:
        decode_event(raw, 1 << 20)
    assert info.value.code == code
    assert info.value.reason


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    raw = _with(prompt="[" * 5_000 + "{" * 5_000)
    assert decode_event(raw, 1 << 20).prompt.startswith("[[[")


def test_valid_surrogate_pair_is_fine() -> None:
    assert decode_event(_with(prompt="😀"), 10_000).prompt == "😀"
