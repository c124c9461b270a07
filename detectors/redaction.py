"""Turn a sensitive match into evidence that locates it without revealing it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from guardstream.contracts import Evidence, short_hash


def redacted_evidence(kind: str, field: str, match: re.Match[str]) -> Evidence:
    """Type, position and a hash of the value: enough to find and de-duplicate, never the value."""
    value = match.group()
    return Evidence(
        kind=kind,
        field=field,
        start=match.start(),
        end=match.end(),
        value_sha256=short_hash(value),
        detail=f"{len(value)} chars",
    )


def fields_of(prompt: str, response: str) -> Iterable[tuple[str, str]]:
    yield "prompt", prompt
    yield "response", response
