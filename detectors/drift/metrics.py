"""Per-event drift metrics, computed from the scoring batch (nothing is featurised twice).

Language id is py3langid (its model ships in the wheel) on a clipped prefix: its cost grows with
the bytes read (~40 µs per text at 64 characters, ~150 µs at 1,000), and the opening words already
say which language a text is in (64 and 160 characters agree on every text of the drift
fixture). Repeated openings ("I'm sorry, but I can't ...", prompt templates) hit a cache.
Embeddings are the batch's static embeddings on a fixed random projection, small enough to
travel in every score record, so the report and the worker see the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache

import numpy as np

from guardstream.contracts import EventMetrics
from guardstream.detectors.batch import EventBatch

LANGUAGE_PREFIX_CHARS = 64
LANGUAGE_CACHE = 16_384
MIN_LANGUAGE_CHARS = 8
PROJECTION_DIMS = 16
PROJECTION_SEED = 20261201
EMBEDDING_DECIMALS = 4


@cache
def _identifier():  # type: ignore[no-untyped-def]
    """Loaded once per process (~0.7 s: the model is decompressed from the wheel)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE)


def language_of(text: str, prefix_chars: int = LANGUAGE_PREFIX_CHARS) -> str | None:
    """ISO 639-1 code of the text's opening, or None where there is too little text to say."""
    head = text[:prefix_chars].strip()
    if len(head) < MIN_LANGUAGE_CHARS:
        return None
    return classify_cached(head)


@lru_cache(maxsize=LANGUAGE_CACHE)
def classify_cached(head: str) -> str:
    return str(_identifier().classify(head)[0])


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


def batch_metrics(
    batch: EventBatch,
    columns: Mapping[str, list[float]],
    prefix_chars: int = LANGUAGE_PREFIX_CHARS,
) -> list[EventMetrics]:
    """One `EventMetrics` per event of the batch; `columns` are the batch's rounded scores."""
    prompt_proj = project(batch.user_embeddings).tolist()
    response_proj = project(batch.response_embeddings).tolist()
    refusal = columns.get("refusal")
    toxicity = columns.get("toxicity.response")
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
                response_language=language_of(response, prefix_chars) if response else None,
                prompt_language=language_of(batch.user_texts[i], prefix_chars),
                refusal=refusal[i] if refusal is not None and response else None,
                toxicity=toxicity[i] if toxicity is not None and response else None,
                response_embedding=response_proj[i] if response else None,
                prompt_embedding=prompt_proj[i],
            )
        )
    return out
