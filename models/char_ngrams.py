"""Hashed character n-gram counts, vectorised with numpy.

scikit-learn's HashingVectorizer builds every n-gram as a Python string; on multi-kilobyte
documents that dominated a worker's time. Here each text becomes an array of code points and
all its n-gram hashes come out of a few numpy operations. Training and serving both call this,
so the features are identical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

# Odd 64-bit multipliers (from splitmix64 / golden ratio); unsigned multiplication wraps mod 2^64.
_MIX = np.array(
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
     0xA0761D6478BD642F, 0xE7037ED1A0B428DB],
    dtype=np.uint64,
)  # fmt: skip
_FINAL = np.uint64(0xFF51AFD7ED558CCD)


class CharNgramHasher:
    """Counts of lower-cased character `n`-grams (whitespace collapsed, text padded with one
    space each side), hashed into `n_features` buckets, rows L2-normalised."""

    def __init__(self, n: int = 4, n_features: int = 2**18) -> None:
        if n_features & (n_features - 1) or not 1 <= n <= len(_MIX):
            raise ValueError("n_features must be a power of two and n between 1 and 6")
        self.n = n
        self.n_features = n_features
        self._shift = np.uint64(64 - n_features.bit_length() + 1)

    def fingerprint(self) -> dict[str, object]:
        return {
            "ngram_analyzer": "numpy_char_v1",
            "ngram_range": [self.n, self.n],
            "ngram_features": self.n_features,
        }

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One pass over all texts joined: n-grams that would straddle two texts are dropped."""
        padded = [" " + " ".join(t.split()) + " " for t in texts]
        lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
        joined = "".join(padded).lower()
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        total = len(points) - self.n + 1
        per_text = np.maximum(lengths - self.n + 1, 0)
        indptr = np.zeros(len(padded) + 1, dtype=np.int64)
        np.cumsum(per_text, out=indptr[1:])
        if total <= 0 or indptr[-1] == 0:
            return sp.csr_matrix((len(padded), self.n_features), dtype=np.float32)
        mixed = points[:total] * _MIX[0]
        for offset in range(1, self.n):
            mixed ^= points[offset : offset + total] * _MIX[offset]
        buckets = ((mixed * _FINAL) >> self._shift).astype(np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        # positions of every n-gram that lies inside one text
        keep = np.repeat(starts - np.concatenate(([0], np.cumsum(per_text)[:-1])), per_text)
        keep += np.arange(indptr[-1], dtype=np.int64)
        matrix = self._counts(buckets[keep], per_text)
        # What sklearn's normalize(norm="l2") runs on a float CSR matrix, minus its ~1 ms of
        # per-call input validation (a fixed cost per batch, which small batches feel).
        inplace_csr_row_normalize_l2(matrix)
        return matrix

    def _counts(self, buckets: np.ndarray, per_text: np.ndarray) -> sp.csr_matrix:
        """Count each (text, bucket) once, sorted: one sort of combined row/bucket keys, which
        costs about half of scipy's `sum_duplicates` (a per-row sort of index/value pairs)."""
        rows = len(per_text)
        keys = np.repeat(np.arange(rows, dtype=np.int64), per_text) * self.n_features + buckets
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        unique = keys[starts]
        counts = np.diff(starts, append=len(keys)).astype(np.float32)
        indptr = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(unique // self.n_features, minlength=rows), out=indptr[1:])
        shape = (rows, self.n_features)
        matrix = sp.csr_matrix((counts, unique % self.n_features, indptr), shape=shape)
        matrix.has_canonical_format = True  # sorted, no duplicates
        return matrix
