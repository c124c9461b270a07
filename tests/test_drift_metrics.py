"""Per-event drift metrics in every ScoreRecord: what the worker measures once per batch."""

import json

from guardstream.contracts import ScoreRecord
from guardstream.detectors.drift.metrics import PROJECTION_DIMS, language_of, project
from guardstream.detectors.drift.rows import row_from_dict
from guardstream.detectors.pipeline import build_pipeline
from tests.helpers import make_event

GERMAN = "Ich kann Ihnen dabei leider nicht helfen, aber hier sind einige Informationen."


def test_metrics_are_in_every_score_record_and_round_trip() -> None:
    events = [
        make_event(
            "What is the capital of France?",
            "Paris is the capital of France.",
            index=0,
            latency_ms=812.5,
            input_tokens=9,
            output_tokens=8,
            model="m-1",
        ),
        make_event("Wie spät ist es in Berlin?", GERMAN, index=1),
        make_event("prompt only, no response here", None, index=2),
    ]
    records = [v.record for v in build_pipeline({}).run(events)]
    first, german, bare = (r.metrics for r in records)
    assert first.response_chars == 31 and first.prompt_chars == 30
    assert (first.latency_ms, first.input_tokens, first.output_tokens) == (812.5, 9, 8)
    assert first.response_language == "en" and german.response_language == "de"
    assert german.prompt_language == "de"
    assert first.refusal is not None and first.toxicity is not None
    assert len(first.response_embedding) == PROJECTION_DIMS
    assert records[0].model == "m-1"
    assert bare.response_chars == 0 and bare.response_language is None
    assert bare.refusal is None and bare.response_embedding is None
    assert bare.latency_ms is None and bare.output_tokens is None
    wire = ScoreRecord.model_validate_json(records[0].model_dump_json())
    assert wire.metrics == first


def test_drift_row_reads_a_record_dict() -> None:
    record = (
        build_pipeline({})
        .run(
            [
                make_event(
                    "hi",
                    "I'm sorry, but I can't help with that.",
                    input_tokens=3,
                    output_tokens=None,
                    latency_ms=10.0,
                )
            ]
        )[0]
        .record
    )
    row = row_from_dict(json.loads(record.model_dump_json()))
    assert row is not None and row.refusal == 1 and row.tokens == 3.0
    assert row.response_chars == 38 and row.language == "en"
    assert row_from_dict({"event_id": "x", "metrics": None}) is None


def test_language_needs_some_text_and_reads_only_the_prefix() -> None:
    assert language_of("ok") is None
    assert language_of(GERMAN + " " + "English words follow here at length. " * 20) == "de"


def test_projection_is_fixed() -> None:
    import numpy as np

    x = np.eye(4, 128, dtype=np.float32)
    assert np.array_equal(project(x), project(x.copy()))
    assert project(x).shape == (4, PROJECTION_DIMS)


def test_batched_language_id_gives_py3langid_labels() -> None:
    """The batch product reads py3langid 0.4.0's model file: it must give `classify`'s labels."""
    from py3langid.langid import classify

    from guardstream.detectors.drift.language import LanguageId
    from guardstream.streams.drift_traffic import pools

    texts = [t[:48] for pool in pools().values() for t in pool[:60]]
    texts += [
        "Ceci n'est pas une pipe, mais une phrase.",
        "これは日本語の文章です。",
        "ПРИВЕТ МИР КАК ДЕЛА",
    ]
    expected = [classify(t)[0] for t in texts]
    assert LanguageId.classify(texts) == expected
    assert {"fr", "ja", "ru", "en", "de"} <= set(expected)
    cached = LanguageId(cache_size=4)
    assert cached(texts[:10]) == expected[:10] and len(cached.cache) == 4
