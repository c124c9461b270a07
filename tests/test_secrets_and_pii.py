import pytest

from guardstream.detectors.batch import EventBatch
from guardstream.detectors.pii import PiiDetector, find_pii
from guardstream.detectors.secrets import SecretsDetector, find_secrets
from guardstream.detectors.validators import iban_valid, luhn_valid, us_ssn_valid
from tests.helpers import make_event

SECRETS = {
    "AWSKey": "AKIAIOSFODNN7EXAMPLE",
    "GitHubToken": "ghp_4f8Bq2LmN9xYz1AbCdEfGhIjKlMnOpQrStUv12",
    "Slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "Stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "JwtToken": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "PrivateKey": "-----BEGIN RSA PRIVATE KEY-----",
}


@pytest.mark.parametrize(("kind", "secret"), SECRETS.items())
def test_secret_is_found_and_evidence_never_holds_it(kind: str, secret: str) -> None:
    text = f"here you go: {secret} -- keep it safe"
    found = find_secrets(text, "response")
    assert [e.kind for e in found] == [f"secret.{kind}"]
    evidence = found[0]
    assert (
        text[evidence.start : evidence.end] in secret
        or secret in text[evidence.start : evidence.end]
    )
    assert secret not in evidence.model_dump_json()
    assert evidence.value_sha256 and len(evidence.value_sha256) == 16


@pytest.mark.parametrize(
    "text",
    [
        "How do I kill a Python process that hangs?",
        "The password policy requires twelve characters.",
        "Our internationalization effort covers 14 languages.",
        "Set the environment variable API_KEY before running the script.",
    ],
)
def test_prose_has_no_secrets(text: str) -> None:
    assert find_secrets(text, "prompt") == []


def test_secrets_detector_scores_and_alert_evidence_is_redacted() -> None:
    events = [
        make_event("hi", f"use {SECRETS['AWSKey']}", index=0),
        make_event("hi", "no", index=1),
    ]
    result = SecretsDetector().score(EventBatch(events))
    assert list(result.scores["secrets"]) == [1.0, 0.0]
    assert result.evidence[0][0].field == "response"
    assert SECRETS["AWSKey"] not in str(result.evidence)


def test_checksums() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("0000 0000 0000 0000")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid(
        "GB82 WEST 1234 5698 7654 33"
    )
    assert us_ssn_valid("123-45-6789") and not us_ssn_valid("666-45-6789")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mail jane.roe@example.org today", "pii.email"),
        ("card 4111 1111 1111 1111 exp 12/29", "pii.credit_card"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "pii.iban"),
        ("ssn 123-45-6789", "pii.us_ssn"),
        ("call +44 20 7946 0958", "pii.phone"),
    ],
)
def test_pii_found(text: str, kind: str) -> None:
    found = find_pii(text, "response")
    assert kind in [e.kind for e in found]
    assert all(text[e.start : e.end] not in e.model_dump_json() for e in found)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",  # fails Luhn
        "version 1.2.3 was released in 2024 with 100 fixes",
        "IBAN GB82 WEST 1234 5698 7654 33",  # fails mod-97
        "the year 1999 and 2000",
    ],
)
def test_pii_lookalikes_not_found(text: str) -> None:
    assert find_pii(text, "prompt") == []


def test_pii_scores_are_deterministic() -> None:
    events = [
        make_event("x", "card 4111 1111 1111 1111"),
        make_event("x", "mail a.b@example.com"),
        make_event("x", "nothing here"),
    ]
    scores = PiiDetector().score(EventBatch(events)).scores["pii"]
    assert list(scores) == pytest.approx([1.0, 0.7, 0.0])
