"""Property fuzzing (hypothesis): whatever bytes arrive, `decode_event` raises only
EventDecodeError, `process_batch` yields exactly one score record or one dead letter with a
reason per message, and every detector returns finite scores in [0, 1] for every event."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.errors import EventDecodeError
from guardstream.streams.decoding import decode_event
from guardstream.streams.processing import RawMessage, process_batch
from tests.helpers import make_event

GOOD = {
    "event_id": "e-1",
    "timestamp": "2026-11-24T10:00:00Z",
    "app_id": "a",
    "user_id": "u",
    "prompt": "hi",
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
# Events that are almost right: every field of GOOD replaced by anything JSON can hold.
near_events = st.dictionaries(
    st.sampled_from([*GOOD, "response", "tool_calls", "metadata", "input_tokens"]), json_values
).map(
    lambda changes: json.dumps({**GOOD, **changes}, allow_nan=True).encode("utf-8", "surrogatepass")
)
adversarial_bytes = st.one_of(
    st.binary(max_size=300),
    near_events,
    st.integers(1, 3000).map(lambda n: b"[" * n),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n),
    st.integers(1, 6000).map(
        lambda n: (
            json.dumps({**GOOD, "input_tokens": 0})
            .replace('"input_tokens": 0', '"input_tokens": ' + "7" * n)
            .encode()
        )
    ),
    st.text().map(lambda t: json.dumps({**GOOD, "prompt": t}).encode("utf-8", "surrogatepass")),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline({})


@FUZZ
@given(adversarial_bytes)
def test_decode_raises_only_decode_errors(raw: bytes) -> None:
    try:
        decode_event(raw, 1 << 20)
    except EventDecodeError as exc:
        assert exc.reason and exc.code


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(adversarial_bytes | st.none(), min_size=1, max_size=8))
def test_every_message_yields_one_score_or_one_dead_letter(
    pipeline: Pipeline, values: list[bytes | None]
) -> None:
    messages = [RawMessage(v, "t", 0, i) for i, v in enumerate(values)]
    output = process_batch(messages, pipeline, 1 << 20)
    assert len(output.scores) + len(output.dead_letters) == len(messages)
    assert all(letter.reason for letter in output.dead_letters)
    handled = {s.event_id for s in output.scores}
    assert len(handled) <= len(output.scores)


texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]) | st.sampled_from("/@a_0 -.:=+\u200b"),
    max_size=400,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(texts, texts | st.none()), min_size=1, max_size=4))
def test_every_detector_scores_any_text_in_range(
    pipeline: Pipeline, pairs: list[tuple[str, str | None]]
) -> None:
    from guardstream.detectors.batch import EventBatch

    events = [make_event(p or "x", r, index=i) for i, (p, r) in enumerate(pairs)]
    batch = EventBatch(events)
    for detector in pipeline.detectors:
        result = detector.score(batch)
        for key, values in result.scores.items():
            assert len(values) == len(events), key
            assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in map(float, values)), key


def test_huge_prompt_and_huge_chat_each_yield_one_score(pipeline: Pipeline) -> None:
    big_prompt = json.dumps({**GOOD, "prompt": "ab " * 3_500_000}).encode()  # ~10 MB
    chat = [{"role": "user" if i % 2 else "tool", "content": f"m{i}"} for i in range(100_000)]
    big_chat = json.dumps({**GOOD, "event_id": "chat", "prompt": chat}).encode()
    messages = [RawMessage(big_prompt, "t", 0, 0), RawMessage(big_chat, "t", 0, 1)]
    output = process_batch(messages, pipeline, 16 << 20)
    assert sorted(s.event_id for s in output.scores) == ["chat", "e-1"]
    too_big = process_batch(messages[:1], pipeline, 1 << 20)
    assert [d.code for d in too_big.dead_letters] == ["oversized"]
