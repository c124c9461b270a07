"""Turn a sensitive match into evidence that locates it without revealing it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np

from guardstream.contracts import Evidence
from guardstream.keyed_hash import key_id, keyed_hash


def redacted_evidence(kind: str, field: str, match: re.Match[str]) -> Evidence:
    """Type, position and a hash of the value: enough to find and de-duplicate, never the value."""
    return redacted_span(kind, field, match.string, match.start(), match.end())


def redacted_span(kind: str, field: str, text: str, start: int, end: int) -> Evidence:
    value = text[start:end]
    return Evidence(
        kind=kind,
        field=field,
        start=start,
        end=end,
        value_sha256=keyed_hash(value),
        value_key_id=key_id(),
        detail=f"{len(value)} chars",
    )


def fields_of(prompt: str, response: str) -> Iterable[tuple[str, str]]:
    yield "prompt", prompt
    yield "response", response


def drop_overlapping(found: list[Evidence]) -> list[Evidence]:
    """Two patterns matching the same stretch of text report one finding (the longer)."""
    kept: list[Evidence] = []
    for evidence in sorted(found, key=lambda e: (e.start or 0, -(e.end or 0))):
        if kept and (evidence.start or 0) < (kept[-1].end or 0):
            continue
        kept.append(evidence)
    return kept


def scan_fields(
    prompts: list[str],
    responses: list[str],
    find: Callable[[str, str], list[Evidence]],
    score: Callable[[list[Evidence]], float],
) -> tuple[np.ndarray, list[list[Evidence]]]:
    """Run a span finder over each event's prompt and response; score each event from its hits."""
    scores = np.zeros(len(prompts), dtype=np.float32)
    evidence: list[list[Evidence]] = []
    for i, (prompt, response) in enumerate(zip(prompts, responses, strict=True)):
        hits = [e for field, text in fields_of(prompt, response) for e in find(text, field)]
        scores[i] = score(hits)
        evidence.append(hits)
    return scores, evidence
