"""Evidence never carries user text, and value fingerprints are keyed (HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from guardstream import keyed_hash
from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.evidence_key import configure_evidence_key
from guardstream.streams.settings import load_settings
from tests.helpers import make_event

SSN = "078-05-1120"
PLANTED = f"contact j a n e d o e at jane.doe@example.com, ssn {SSN}, key AKIAIOSFODNN7EXAMPLE"
RAW_FRAGMENTS = ("janedoe", "j.a.n.e", "j a n e", "jane.doe", SSN, "AKIAIOSFODNN7EXAMPLE")


def test_alerts_and_scores_carry_no_planted_value_or_despaced_fragment() -> None:
    verdicts = build_pipeline({}).run([make_event(PLANTED, PLANTED.upper())])
    wire = json.dumps(
        [v.record.model_dump(mode="json") for v in verdicts]
        + [a.model_dump(mode="json") for v in verdicts for a in v.alerts]
    ).lower()
    assert verdicts[0].alerts, "the planted values must raise alerts for this test to mean much"
    for fragment in RAW_FRAGMENTS:
        assert fragment.lower() not in wire, fragment


def test_fingerprint_is_keyed_and_stable_per_key() -> None:
    keyed_hash.set_key(b"k" * 32)
    first = keyed_hash.keyed_hash(SSN)
    assert first == keyed_hash.keyed_hash(SSN)
    assert first != hashlib.sha256(SSN.encode()).hexdigest()[:16]  # not the brute-forceable one
    keyed_hash.set_key(b"j" * 32)
    assert keyed_hash.keyed_hash(SSN) != first


def test_key_comes_from_settings_else_a_generated_file(tmp_path: Path) -> None:
    env = {"GUARDSTREAM_EVIDENCE__HMAC_KEY": "s" * 32}
    assert configure_evidence_key(load_settings(env=env)) == "evidence.hmac_key"
    settings = load_settings(env={"GUARDSTREAM_WORKER__DATA_DIR": str(tmp_path)})
    source = configure_evidence_key(settings)
    first = keyed_hash.keyed_hash(SSN)
    assert Path(source).stat().st_mode & 0o777 == 0o600
    keyed_hash.set_key(b"x" * 32)
    configure_evidence_key(settings)  # a restart reads the same file: same fingerprints
    assert keyed_hash.keyed_hash(SSN) == first
