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
