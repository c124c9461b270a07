"""Features shared by every trained detector: a static sentence embedding plus hashed character
n-grams. Training and serving call the same `Featuriser.features`, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import scipy.sparse as sp

from .char_ngrams import CharNgramHasher
from .static_embedding import StaticEmbedding

HEAD_CHARS = 2000
TAIL_CHARS = 500
NGRAM_FEATURES = 2**18
EMBEDDING_WEIGHT = 1.0


def clip(text: str) -> str:
    """Long prompts keep their start and end: attacks sit at either, the middle is payload."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + " … " + text[-TAIL_CHARS:]


class Featuriser:
    """Dense semantic features (the embedding) next to sparse lexical ones (hashed character
    4-grams: as accurate as 3-5-grams on held-out sources here, and far cheaper)."""

    def __init__(self, embedding: StaticEmbedding) -> None:
        self.embedding = embedding
        self.ngrams = CharNgramHasher(n=4, n_features=NGRAM_FEATURES)

    def fingerprint(self) -> dict[str, object]:
        """What a model trained on these features depends on; stored in every manifest."""
        return {
            "embedding_dim": self.embedding.dim,
            "embedding_config": self.embedding.config.get("source_model"),
            **self.ngrams.fingerprint(),
            "clip": [HEAD_CHARS, TAIL_CHARS],
            "embedding_weight": EMBEDDING_WEIGHT,
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedding.encode([clip(t) for t in texts])

    def features(self, texts: Sequence[str], embedded: np.ndarray | None = None) -> sp.csr_matrix:
        """[embedding | n-grams] as one sparse matrix; pass `embedded` to reuse an embedding."""
        clipped = [clip(t) for t in texts]
        dense = embedded if embedded is not None else self.embedding.encode(clipped)
        lexical = self.ngrams.transform(clipped)
        return sp.hstack([sp.csr_matrix(dense * EMBEDDING_WEIGHT), lexical], format="csr")


@cache
def default_featuriser() -> Featuriser:
    """Loaded once per process: the embedding table is verified and read a single time."""
    return Featuriser(StaticEmbedding.load())
