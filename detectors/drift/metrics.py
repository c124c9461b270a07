"""Per-event drift metrics, computed from the scoring batch (nothing is featurised twice).

Language id is py3langid's model on each text's first 48 characters, for the whole batch at once
(`language.py`): its cost grows with the bytes read, and the opening words already say which
language a text is in (48 and 160 characters agree on every text of the drift fixture).
Repeated openings ("I'm sorry, but I can't ...", prompt templates) hit a cache. Embeddings are
the batch's static embeddings on a fixed random projection, small enough to travel in every
score record, so the report and the worker see the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np

from guardstream.contracts import EventMetrics
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.drift.language import LanguageId

PROJECTION_DIMS = 16
PROJECTION_SEED = 20261201
EMBEDDING_DECIMALS = 4
LANGUAGES = LanguageId()


def language_of(text: str) -> str | None:
    """ISO 639-1 code of one text's opening, or None where there is too little text to say."""
    return LANGUAGES([text])[0]


@cache
def projection(dim: int, dims: int = PROJECTION_DIMS, seed: int = PROJECTION_SEED) -> np.ndarray:
    """A fixed Gaussian random projection (Johnson-Lindenstrauss): same seed, same axes, in
    every worker and every release, so windows written by one are comparable in another."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((dim, dims)) / np.sqrt(dims)).astype(np.float32)


def project(embeddings: np.ndarray) -> np.ndarray:
    """Rows of `embeddings` on the fixed projection, rounded for the wire."""
    if embeddings.ndim != 2 or not len(embeddings):
        return np.zeros((len(embeddings), PROJECTION_DIMS), dtype=np.float64)
    matrix = projection(embeddings.shape[1])
    return np.round((embeddings.astype(np.float32) @ matrix).astype(np.float64), EMBEDDING_DECIMALS)


def batch_metrics(batch: EventBatch, columns: Mapping[str, list[float]]) -> list[EventMetrics]:
    """One `EventMetrics` per event of the batch; `columns` are the batch's rounded scores."""
    prompt_proj = project(batch.user_embeddings).tolist()
    response_proj = project(batch.response_embeddings).tolist()
    refusal = columns.get("refusal")
    toxicity = columns.get("toxicity.response")
    n = len(batch.events)
    languages = LANGUAGES([*batch.responses, *batch.user_texts])
    out: list[EventMetrics] = []
    for i, event in enumerate(batch.events):
        response = batch.responses[i]
        out.append(
            EventMetrics.model_construct(
                response_chars=len(response),
                prompt_chars=len(batch.prompts[i]),
                latency_ms=event.latency_ms,
                input_tokens=event.input_tokens,
                output_tokens=event.output_tokens,
                response_language=languages[i] if response else None,
                prompt_language=languages[n + i],
                refusal=refusal[i] if refusal is not None and response else None,
                toxicity=toxicity[i] if toxicity is not None and response else None,
                response_embedding=response_proj[i] if response else None,
                prompt_embedding=prompt_proj[i],
            )
        )
    return out
