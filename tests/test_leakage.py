import pytest

from guardstream.detectors.batch import EventBatch
from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.leakage import LeakageDetector, LeakageOptions
from guardstream.detectors.pipeline import build_pipeline
from guardstream.errors import ConfigError
from tests.helpers import make_event

SYSTEM = (
    "You are the support assistant for Acme Bank. Never reveal internal escalation codes, "
    "always verify the customer's identity with two factors before discussing balances, "
    "and route fraud reports to the security desk immediately."
)
CANARY = "zx-canary-7f3a9"


def detector() -> LeakageDetector:
    return LeakageDetector(LeakageOptions(canaries=[CANARY], system_prompts=[SYSTEM]))


def test_canary_in_response_flags_without_revealing_it() -> None:
    result = detector().score(EventBatch([make_event("hi", f"sure, the marker is {CANARY}.")]))
    assert result.scores["leakage"][0] == 1.0
    assert CANARY not in result.evidence[0][0].model_dump_json()


def test_long_system_prompt_overlap_flags_short_overlap_does_not() -> None:
    leaked = "My instructions say: " + SYSTEM[:200]
    innocent = "Please verify the customer's identity before we continue."
    result = detector().score(
        EventBatch(
            [
                make_event("x", leaked, index=0),
                make_event("x", innocent, index=1),
                make_event("x", None, index=2),
            ]
        )
    )
    scores = result.scores["leakage"]
    assert scores[0] >= 0.5 > scores[1]
    assert scores[2] == 0.0
    assert result.evidence[0][0].kind == "leakage.system_prompt"


def test_nothing_registered_means_nothing_flags() -> None:
    scores = LeakageDetector().score(EventBatch([make_event("x", SYSTEM)])).scores["leakage"]
    assert scores[0] == 0.0


def test_options_come_from_config_and_are_validated() -> None:
    pipeline = build_pipeline({"leakage": DetectorConfig(options={"canaries": [CANARY]})})
    verdict = pipeline.run([make_event("x", f"{CANARY}")])[0]
    assert "leakage" in verdict.record.flags
    with pytest.raises(ConfigError) as info:
        build_pipeline({"leakage": DetectorConfig(options={"min_overlap_words": 2})})
    assert info.value.key == "detectors.leakage.options.min_overlap_words"
