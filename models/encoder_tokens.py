"""WordPiece ids for the cascade encoder, the same at build and at run time.

Why head + tail: injections and role-play goals sit at either end of long prompts, so a long
text keeps its first `HEAD` tokens and its last ones (with [CLS] and [SEP]) up to `MAX_TOKENS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MAX_TOKENS = 128
HEAD = 96


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


def token_ids(
    tok: Tokenizer, texts: Sequence[str], max_tokens: int = MAX_TOKENS
) -> list[list[int]]:
    """Ids per text, head + tail when longer than `max_tokens`."""
    out = []
    for enc in tok.encode_batch(list(texts)):
        ids = enc.ids
        if len(ids) > max_tokens:
            head = min(HEAD, max_tokens - 1)
            ids = ids[:head] + ids[len(ids) - (max_tokens - head) :]
        out.append(ids)
    return out


def pad(batch: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, mask) int64 arrays, right-padded with 0 to the longest row."""
    width = max(len(ids) for ids in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for i, row in enumerate(batch):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def length_batches(lengths: Sequence[int], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of rows of similar length (little padding), in shuffled order."""
    order = rng.permutation(len(lengths))
    chunks = [order[i : i + size * 50] for i in range(0, len(order), size * 50)]
    batches = []
    for chunk in chunks:
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches
