"""Install the deployment's evidence HMAC key at start-up (worker, `score`, demo).

Order: `evidence.hmac_key` from config/env; else the key file (created with a fresh random key,
mode 0600, and a warning, on first use). Workers that should correlate fingerprints must share
the key: set it, or share the file.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from guardstream.keyed_hash import key_id, set_key
from guardstream.streams.settings import Settings

log = logging.getLogger(__name__)


def configure_evidence_key(settings: Settings) -> str:
    """Set the key; return where it came from (for a start-up log line)."""
    if settings.evidence.hmac_key is not None:
        set_key(settings.evidence.hmac_key.get_secret_value().encode())
        return "evidence.hmac_key"
    path = settings.evidence.key_file or Path(settings.worker.data_dir) / "evidence.key"
    if path.exists():
        set_key(bytes.fromhex(path.read_text().strip()))
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker sharing the directory won the race: use its key
        time.sleep(0.2)
        set_key(bytes.fromhex(path.read_text().strip()))
        return str(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    set_key(key)
    log.warning(
        "evidence.hmac_key is not set: generated a key into %s (key id %s); set "
        "GUARDSTREAM_EVIDENCE__HMAC_KEY on every worker so fingerprints match across them",
        path,
        key_id(),
    )
    return str(path)
