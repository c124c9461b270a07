"""Language id for a whole batch with py3langid's own model (it ships in the wheel).

py3langid's `classify` scores one text at a time: a Python DFA walk over the bytes, then a
numpy product per text. Here the DFA walk is py3langid's (`visit_counts`), and the products of
a whole batch are one sparse-times-dense product over only the feature rows the batch uses:
the same labels (tested against `classify`) at about half the cost. The model is read from
py3langid 0.4.0's own file (pyproject pins it) into numpy arrays walked through memoryviews:
py3langid's loader copies the 39 MB transition table into an `array` and builds Python lists,
which cost ~37 MB more at peak and ~8 MB more for good in every scoring process.
"""

from __future__ import annotations

import lzma
import shutil
import tempfile
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

PREFIX_CHARS = 48
MIN_CHARS = 8
CACHE_SIZE = 16_384


@dataclass(frozen=True)
class CompactModel:
    """py3langid's model as arrays: `nextmove`, `rowbase` and `output` are memoryviews, which
    index to Python ints as fast as py3langid's `array`/`list` do."""

    nb_ptc: np.ndarray  # (features, classes) float16
    nb_pc: np.ndarray  # (classes,) float32
    nb_classes: list[str]
    nextmove: memoryview  # distinct 256-entry DFA rows, flattened
    rowbase: memoryview  # state -> offset of its row in `nextmove`
    output: memoryview  # state -> feature index, or -1


@cache
def compact_model() -> CompactModel:
    """Loaded once per process (~0.7 s) from the wheel's `model.npz.xz`, via a temporary file (as
    py3langid does) so the 68 MB uncompressed archive is never resident."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(Path(MODEL_DIR) / MODEL_FILE) as source:
            shutil.copyfileobj(source, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            rows = data["nextmove_row"].astype(np.uint32) << 8
            return CompactModel(
                nb_ptc=data["ptc"],
                nb_pc=data["pc"],
                nb_classes=data["classes"].tolist(),
                nextmove=memoryview(data["nextmove"]),
                rowbase=memoryview(rows),
                output=memoryview(data["out_feat"]),
            )


def _encode(text: str) -> bytes:
    """py3langid's own input normalisation: all-caps lowered, NFC, UTF-8."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


class LanguageId:
    """ISO 639-1 code of each text's opening (None under `MIN_CHARS`), cached by opening."""

    def __init__(self, prefix_chars: int = PREFIX_CHARS, cache_size: int = CACHE_SIZE) -> None:
        self.prefix_chars = prefix_chars
        self.cache_size = cache_size
        self.cache: OrderedDict[str, str] = OrderedDict()

    def head(self, text: str) -> str | None:
        head = text[: self.prefix_chars].strip()
        return head if len(head) >= MIN_CHARS else None

    def __call__(self, texts: Sequence[str]) -> list[str | None]:
        heads = [self.head(t) for t in texts]
        known = {h: self.cache[h] for h in heads if h is not None and h in self.cache}
        misses = sorted({h for h in heads if h is not None and h not in known})
        if misses:
            known |= dict(zip(misses, self.classify(misses), strict=True))
            self.cache.update((h, known[h]) for h in misses)
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        return [None if h is None else known[h] for h in heads]

    @staticmethod
    def classify(texts: Sequence[str]) -> list[str]:
        """Labels of `texts` as py3langid's `classify` gives them, in one product."""
        from py3langid.langid import visit_counts

        model = compact_model()
        indptr, features, counts = [0], [], []
        for text in texts:
            visits = visit_counts(model.nextmove, model.rowbase, model.output, _encode(text))
            if visits:
                features.extend(visits.keys())
                counts.extend(visits.values())
            indptr.append(len(features))
        if not features:
            return [model.nb_classes[int(np.argmax(model.nb_pc))]] * len(texts)
        used, columns = np.unique(np.asarray(features, dtype=np.intp), return_inverse=True)
        weights = np.log1p(np.asarray(counts, dtype=np.float32))
        matrix = sp.csr_matrix((weights, columns, indptr), shape=(len(texts), len(used)))
        scores = matrix @ model.nb_ptc[used].astype(np.float32) + model.nb_pc
        # Aliased labels (srl -> sr) share a name, so the best column's name is the label.
        return [model.nb_classes[int(i)] for i in np.argmax(scores, axis=1)]
