"""Keyed fingerprints of sensitive values (HMAC-SHA256 with a per-deployment secret).

An unkeyed sha256 prefix of an SSN was brute-forced in 1.45 s (10^9 candidates); with a secret
key an attacker who sees alerts cannot test candidates offline, while equal values still give
equal fingerprints across alerts, workers and restarts of one deployment (same key).

The key is set once at start-up (`set_key`, from `evidence.hmac_key` or the key file, see
`streams/evidence_key.py`). A process that never sets one gets a random key and a warning: its
fingerprints correlate within that process only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

log = logging.getLogger(__name__)
FINGERPRINT_HEX = 16
_key: bytes | None = None
_key_id: str | None = None


def set_key(key: bytes) -> None:
    global _key, _key_id
    if len(key) < 16:
        raise ValueError("the evidence HMAC key must be at least 16 bytes")
    _key, _key_id = key, None


def current_key() -> bytes:
    global _key
    if _key is None:
        log.warning(
            "no evidence HMAC key configured (evidence.hmac_key / GUARDSTREAM_EVIDENCE__HMAC_KEY): "
            "using a random key for this process; value fingerprints will not match elsewhere"
        )
        _key = secrets.token_bytes(32)
    return _key


def key_id() -> str:
    """Names the key without revealing it, so a reader knows which fingerprints compare."""
    global _key_id
    if _key_id is None:
        _key_id = hashlib.sha256(b"guardstream-key-id\x00" + current_key()).hexdigest()[:8]
    return _key_id


def keyed_hash(value: str) -> str:
    """First 16 hex of HMAC-SHA256(key, value)."""
    digest = hmac.new(current_key(), value.encode("utf-8", "surrogatepass"), hashlib.sha256)
    return digest.hexdigest()[:FINGERPRINT_HEX]
