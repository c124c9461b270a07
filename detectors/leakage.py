"""System-prompt and canary-token leakage: a response that repeats a registered canary, or a
long stretch of a registered system prompt, has leaked what it was told to keep."""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from guardstream.contracts import Evidence
from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.keyed_hash import key_id, keyed_hash

WORD_RE = re.compile(r"\w+")
SHINGLE = 6


class LeakageOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    canaries: list[str] = Field(default_factory=list, description="Secret marker strings.")
    system_prompts: list[str] = Field(default_factory=list, description="Prompts to protect.")
    min_overlap_words: int = Field(default=12, ge=SHINGLE, description="Words in a row to count.")


def shingles(text: str) -> set[tuple[str, ...]]:
    words = WORD_RE.findall(text.lower())
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


class LeakageDetector(Detector):
    name = "leakage"
    category = "data_leak"
    severity = "high"
    default_threshold = 0.5
    Options = LeakageOptions

    def __init__(self, options: BaseModel | None = None) -> None:
        super().__init__(options)
        opts: LeakageOptions = self.options  # type: ignore[assignment]
        self.canaries = [c for c in opts.canaries if c]
        self.protected = set().union(*(shingles(p) for p in opts.system_prompts))
        # n words in a row share n - SHINGLE + 1 shingles with the source
        self.shingles_needed = opts.min_overlap_words - SHINGLE + 1

    def score(self, batch: EventBatch) -> DetectorResult:
        scores = np.zeros(len(batch), dtype=np.float32)
        evidence: list[list[Evidence]] = []
        for i, response in enumerate(batch.responses):
            found = [
                Evidence(
                    kind="leakage.canary",
                    field="response",
                    start=response.find(c),
                    end=response.find(c) + len(c),
                    value_sha256=keyed_hash(c),
                    value_key_id=key_id(),
                )
                for c in self.canaries
                if c in response
            ]
            shared = len(shingles(response) & self.protected) if self.protected and response else 0
            if shared:
                found.append(
                    Evidence(
                        kind="leakage.system_prompt",
                        field="response",
                        detail=f"{shared} shared {SHINGLE}-word runs",
                    )
                )
            overlap = min(1.0, shared / self.shingles_needed) * 0.9 if shared else 0.0
            scores[i] = 1.0 if any(e.kind == "leakage.canary" for e in found) else overlap
            evidence.append(found)
        return DetectorResult(scores={self.name: scores}, evidence=evidence)
