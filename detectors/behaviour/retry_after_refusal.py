"""`behaviour.retry_after_refusal`: a refused request rephrased until it gets through.

Keeps the user's recently refused prompts (their static embeddings, int8, already computed for
the batch) and counts later prompts within the window whose cosine similarity to one of them is
at least `min_similarity`. Score = n / (n + half): 0.5 at `half` close retries (default 3).
"""

from __future__ import annotations

import base64
import math

import numpy as np
from pydantic import Field

from guardstream.detectors.behaviour.base import (
    BehaviourDetector,
    BehaviourOptions,
    BehaviourScore,
    Observation,
)
from guardstream.detectors.behaviour.robust import squash


class RetryOptions(BehaviourOptions):
    refusal_key: str = "refusal"
    window_s: float = Field(default=900.0, gt=0)
    min_similarity: float = Field(default=0.6, ge=-1, le=1)
    half: float = Field(default=3.0, gt=0, description="close retries that score 0.5")
    max_refused: int = Field(default=4, ge=1, description="refused prompts remembered per user")
    max_event_ids: int = Field(default=50, ge=1)


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b with ufuncs, not BLAS. numpy releases the GIL around every BLAS call however
    small, and this runs in the worker's stateful half, next to faust's consumer thread (and,
    under the throughput profile, on a thread of its own beside the event loop): each release
    queued it behind another thread for up to a GIL switch interval, several times per event.
    Ufuncs on a few hundred floats keep the GIL."""
    return float(np.multiply(a, b).sum())


def norm(vector: np.ndarray) -> float:
    """Euclidean norm through `dot` (no BLAS call, see there)."""
    return math.sqrt(dot(vector, vector))


def pack(vector: np.ndarray) -> str:
    """Unit vector as int8 base64: ~1 byte per dimension in the table, cosine error < 1%."""
    length = norm(vector) or 1.0
    quantised = np.clip(np.round(vector / length * 127), -127, 127).astype(np.int8)
    return base64.b64encode(quantised.tobytes()).decode()


def unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.int8).astype(np.float32) / 127


_UNPACKED: dict[str, tuple[np.ndarray, float]] = {}
_UNPACKED_MAX = 4096  # a user keeps at most `max_refused` vectors: a small, hot set


def unpacked(text: str) -> tuple[np.ndarray, float]:
    """`unpack` and the vector's norm, memoised: every later prompt of a user who was refused
    is compared with the same few stored vectors."""
    found = _UNPACKED.get(text)
    if found is None:
        if len(_UNPACKED) >= _UNPACKED_MAX:
            _UNPACKED.clear()
        vector = unpack(text)
        found = _UNPACKED[text] = (vector, norm(vector))
    return found


def max_cosine(a: np.ndarray, packed: list[str]) -> float:
    """max over `packed` of cosine(a, unpack(p)), with a's norm computed once."""
    norm_a = norm(a)
    best = -np.inf
    for text in packed:
        b, norm_b = unpacked(text)
        denominator = float(norm_a * norm_b)
        best = max(best, dot(a, b) / denominator if denominator else 0.0)
    return float(best)


class RetryAfterRefusal(BehaviourDetector):
    name = "behaviour.retry_after_refusal"
    score_key = "behaviour.retry_after_refusal"
    category = "abuse.retry_after_refusal"
    severity = "medium"
    needs_embedding = True
    Options = RetryOptions
    options: RetryOptions

    def update(self, obs: Observation, state: dict | None) -> tuple[BehaviourScore, dict | None]:
        opts = self.options
        refused: list[list] = list(state["r"]) if state else []
        retries: list[list] = list(state["x"]) if state else []
        since = obs.ts - opts.window_s
        refused = [r for r in refused if r[0] >= since]
        retries = [x for x in retries if x[0] >= since]
        event_id = obs.event_id
        similarity = 0.0
        retry = False
        if obs.embedding is not None:
            earlier = [r for r in refused if r[1] != event_id and r[0] <= obs.ts]
            if earlier:
                similarity = max_cosine(obs.embedding, [r[2] for r in earlier])
            retry = similarity >= opts.min_similarity
            if retry and all(x[1] != event_id for x in retries):
                retries.append([obs.ts, event_id])
            if opts.refusal_key in obs.flags and all(r[1] != event_id for r in refused):
                refused = [*refused, [obs.ts, event_id, pack(obs.embedding)]][-opts.max_refused :]
        first = min([r[0] for r in refused] + [x[0] for x in retries] + [obs.ts])
        ids = [r[1] for r in refused] + [x[1] for x in retries]
        score = BehaviourScore(
            score=round(squash(len(retries), opts.half), 6),
            contributed=retry,
            scope_id=obs.user_id,
            window_start_s=first,
            window_end_s=obs.ts,
            event_ids=ids[-opts.max_event_ids :],
            event_count=len(ids),
            detail={"retries": float(len(retries)), "similarity": round(similarity, 4)},
        )
        new_state = {"r": refused, "x": retries} if refused or retries else None
        return score, new_state
