"""Features shared by every trained detector: a static sentence embedding plus hashed character
n-grams. Training and serving call the same `Featuriser.features`, so they cannot drift apart.

One option changes the text a model reads: `emoji_names=True` spells emoji out as their
Unicode names before both feature blocks (see `guardstream.text.emoji_names`). Only models
whose manifest fingerprint records it use it (toxicity); the others keep the plain features,
so turning it on for one model does not invalidate the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import scipy.sparse as sp

from guardstream.text.emoji_names import EMOJI_NAMES_VERSION, has_emoji, name_emoji

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

    def fingerprint(self, emoji_names: bool = False) -> dict[str, object]:
        """What a model trained on these features depends on; stored in every manifest.
        With `emoji_names`, the naming version is part of it (a model trained on named text
        refuses plain features, and the other way round)."""
        base: dict[str, object] = {
            "embedding_dim": self.embedding.dim,
            "embedding_config": self.embedding.config.get("source_model"),
            **self.ngrams.fingerprint(),
            "clip": [HEAD_CHARS, TAIL_CHARS],
            "embedding_weight": EMBEDDING_WEIGHT,
        }
        return base | {"emoji_names": EMOJI_NAMES_VERSION} if emoji_names else base

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embedding.encode([clip(t) for t in texts])

    def features(
        self,
        texts: Sequence[str],
        embedded: np.ndarray | None = None,
        *,
        emoji_names: bool = False,
    ) -> sp.csr_matrix:
        """[embedding | n-grams] as one sparse matrix; pass `embedded` to reuse an embedding
        (of the same text path). `emoji_names`: featurise `named_inputs(texts)` instead."""
        inputs = named_inputs(texts) if emoji_names else [clip(t) for t in texts]
        dense = embedded if embedded is not None else self.embedding.encode(inputs)
        lexical = self.ngrams.transform(inputs)
        return sp.hstack([sp.csr_matrix(dense * EMBEDDING_WEIGHT), lexical], format="csr")

    def emoji_named_features(self, texts: Sequence[str], plain: sp.csr_matrix) -> sp.csr_matrix:
        """`features(texts, emoji_names=True)`, given `plain = features(texts)`: only the rows
        whose text has an emoji are featurised again; the rest are `plain`'s rows (the same
        object back when no text has one, which is the common case)."""
        clipped = [clip(t) for t in texts]
        changed = [i for i, t in enumerate(clipped) if has_emoji(t)]
        if not changed:
            return plain
        fresh = self.features([texts[i] for i in changed], emoji_names=True)
        order = np.arange(len(clipped))
        order[changed] = len(clipped) + np.arange(len(changed))
        return sp.vstack([plain, fresh], format="csr")[order]


def _named(clipped: str) -> str:
    return clip(name_emoji(clipped))


def named_inputs(texts: Sequence[str]) -> list[str]:
    """The text the `emoji_names` features read: clipped, emoji named, clipped again (a text
    of nothing but emoji grows ~20x when named; the second clip keeps the cost bounded)."""
    return [_named(clip(t)) for t in texts]


@cache
def default_featuriser() -> Featuriser:
    """Loaded once per process: the embedding table is verified and read a single time."""
    return Featuriser(StaticEmbedding.load())
