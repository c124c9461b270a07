"""Torch-free run-time loader for the distilled MiniLM static embedding.

The artefact (see ``models/training/distil_embedding.py``) is a float16 table with one row
per tokenizer token. A sentence vector is the mean of its tokens' rows, L2-normalised:
exactly what ``model2vec.StaticModel.encode`` computes, but with only numpy and
``tokenizers`` so detectors can embed text at stream rate without torch or model2vec.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from tokenizers import Tokenizer

from .artefact_errors import ArtefactError

DEFAULT_ARTEFACT_DIR = Path(__file__).parent / "artefacts" / "minilm_static"
MANIFEST_NAME = "manifest.json"
REQUIRED_FILES = ("config.json", "embeddings.npy", "tokenizer.json")
FORMAT_NAME = "guardstream-static-embedding"
SUPPORTED_FORMAT_VERSION = 1

# Texts holding a character that str.split() treats as whitespace but BERT's normaliser deletes
# as a control character (VT, FF, the four ASCII separators, NEL) skip the word cache: for
# them a whitespace chunk is not a BERT word. Every other character (accents, CJK, other
# controls) is handled per character by BERT, so a chunk tokenises the same wherever it is.
_UNSAFE_FOR_CACHE = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
_WORD_CACHE_LIMIT = 1 << 17


def _is_bert_wordpiece(tokenizer: Tokenizer) -> bool:
    """True if the tokenizer is the BERT pipeline the word cache is exact for."""
    spec = json.loads(tokenizer.to_str())
    normalizer, pre_tokenizer, model = (
        spec.get("normalizer") or {},
        spec.get("pre_tokenizer") or {},
        spec.get("model") or {},
    )
    return (
        normalizer.get("type") == "BertNormalizer"
        and pre_tokenizer.get("type") == "BertPreTokenizer"
        and model.get("type") == "WordPiece"
    )


def _read_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """Return manifest.json's file table, or raise ArtefactError saying what is wrong."""
    manifest_path = directory / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ArtefactError(f"{MANIFEST_NAME} is missing from {directory}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtefactError(f"{MANIFEST_NAME} in {directory} is unreadable: {exc}") from exc
    if not isinstance(files, dict):
        raise ArtefactError(f"{MANIFEST_NAME} in {directory} has no 'files' table")
    for name in REQUIRED_FILES:
        if name not in files:
            raise ArtefactError(f"{name} is not listed in {MANIFEST_NAME} in {directory}")
    return files


def _read_verified(directory: Path, name: str, entry: Any) -> bytes:
    """Read a file once and check its sha256 against the manifest (no check-then-read race)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise ArtefactError(f"{MANIFEST_NAME} entry for {name} has no sha256")
    if Path(name).name != name or name in ("", ".", ".."):
        raise ArtefactError(f"{MANIFEST_NAME} names a file outside the artefact: {name!r}")
    path = directory / name
    if not path.is_file():
        raise ArtefactError(f"{name} is missing from {directory}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtefactError(f"{name} in {directory} cannot be read: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry["sha256"].lower():
        raise ArtefactError(
            f"{name} in {directory} failed its sha256 check (expected {entry['sha256']}, "
            f"got {digest}): the file was modified or corrupted; rebuild the artefact with "
            "models/training/distil_embedding.py"
        )
    return data


class StaticEmbedding:
    """Mean-pooled static token embeddings; output matches model2vec's encode."""

    def __init__(
        self,
        vectors: np.ndarray,
        tokenizer: Tokenizer,
        *,
        max_length: int | None = 512,
        median_token_length: int | None = None,
        unk_token_id: int | None = None,
        normalize: bool = True,
        config: dict[str, Any] | None = None,
    ) -> None:
        """Wrap an embedding table and its tokenizer; prefer :meth:`load` for artefacts.

        ``median_token_length`` reproduces model2vec's pre-cut of each text to
        ``max_length * median_token_length`` characters, which also keeps huge inputs cheap.
        """
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be 2-D, got shape {vectors.shape}")
        if tokenizer.get_vocab_size() != vectors.shape[0]:
            raise ValueError(
                f"tokenizer has {tokenizer.get_vocab_size()} tokens but the table has "
                f"{vectors.shape[0]} rows"
            )
        # float32 at run time: gathering and summing float16 rows is slower and less exact.
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._tokenizer = tokenizer
        # encode_batch_fast (tokenizers >= 0.20) skips computing character offsets.
        self._encode_batch = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
        self._tokenizer.no_padding()
        if max_length is None:
            self._tokenizer.no_truncation()
        else:
            self._tokenizer.enable_truncation(max_length)
        self._max_chars = (
            max_length * median_token_length if max_length and median_token_length else None
        )
        self._max_length = max_length
        self._unk_token_id = unk_token_id
        self._normalize = normalize
        self._config = dict(config or {})
        # Word -> token ids, only for BERT-style tokenizers where a whitespace-free chunk
        # always tokenises the same wherever it appears (see _token_ids).
        self._word_cache: dict[str, tuple[int, ...]] | None = (
            {} if _is_bert_wordpiece(tokenizer) else None
        )

    def vocabulary(self) -> list[str]:
        """The tokenizer's tokens (for detectors that need to know which words are known)."""
        return list(self._tokenizer.get_vocab())

    @classmethod
    def load(cls, path: Path | None = None) -> StaticEmbedding:
        """Load and verify an artefact directory (default: the packaged MiniLM one).

        Every file listed in manifest.json is sha256-checked before use, so a truncated
        download or an edited table fails loudly here instead of skewing detector scores.
        """
        directory = Path(path) if path is not None else DEFAULT_ARTEFACT_DIR
        if not directory.is_dir():
            raise ArtefactError(f"artefact directory {directory} does not exist")
        files = _read_manifest(directory)
        blobs = {name: _read_verified(directory, name, entry) for name, entry in files.items()}

        try:
            config = json.loads(blobs["config.json"].decode("utf-8"))
        except ValueError as exc:
            raise ArtefactError(f"config.json in {directory} is not valid JSON: {exc}") from exc
        version = config.get("format_version")
        if config.get("format") != FORMAT_NAME or version != SUPPORTED_FORMAT_VERSION:
            raise ArtefactError(
                f"config.json in {directory} is not a {FORMAT_NAME} "
                f"v{SUPPORTED_FORMAT_VERSION} artefact"
            )
        if config.get("pooling") != "mean" or config.get("add_special_tokens", False):
            raise ArtefactError(f"config.json in {directory} asks for unsupported pooling")
        try:
            vectors = np.load(io.BytesIO(blobs["embeddings.npy"]), allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ArtefactError(
                f"embeddings.npy in {directory} is not a numpy array: {exc}"
            ) from exc
        try:
            tokenizer = Tokenizer.from_str(blobs["tokenizer.json"].decode("utf-8"))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise ArtefactError(f"tokenizer.json in {directory} cannot be parsed: {exc}") from exc
        if vectors.ndim != 2 or vectors.shape[1] != config.get("dim"):
            raise ArtefactError(
                f"embeddings.npy in {directory} has shape {vectors.shape}, "
                f"config.json says dim={config.get('dim')}"
            )
        if vectors.shape[0] != tokenizer.get_vocab_size():
            raise ArtefactError(
                f"embeddings.npy in {directory} has {vectors.shape[0]} rows but tokenizer.json "
                f"has {tokenizer.get_vocab_size()} tokens"
            )
        return cls(
            vectors,
            tokenizer,
            max_length=config.get("max_length", 512),
            median_token_length=config.get("median_token_length"),
            unk_token_id=config.get("unk_token_id"),
            normalize=bool(config.get("normalize", True)),
            config=config,
        )

    @property
    def dim(self) -> int:
        """Width of every vector :meth:`encode` returns."""
        return int(self._vectors.shape[1])

    @property
    def config(self) -> dict[str, Any]:
        """A copy of the artefact's config.json (source model, pca dims, versions)."""
        return dict(self._config)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as float32 ``[len(texts), dim]``; texts with no known token get zeros.

        Batch for throughput: tokenisation and pooling cost a fixed ~100 us per call, so one
        call per message is ~10x slower per text than batches of a few hundred. Pooling is a
        handful of vectorised numpy calls per token position, never a Python loop per token.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings; wrap a single text in a list")
        count = len(texts)
        if count == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        cut = self._max_chars
        batch = [text[:cut] for text in texts] if cut else list(texts)
        id_lists = self._token_ids(batch)
        lengths = np.fromiter(map(len, id_lists), dtype=np.intp, count=count)
        flat = np.fromiter(
            itertools.chain.from_iterable(id_lists), dtype=np.intp, count=int(lengths.sum())
        )
        owner: np.ndarray | None = None
        limit = self._max_length
        if limit is not None and flat.size and int(lengths.max()) > limit:
            # Word-cache ids are not truncated per text yet: keep each text's first tokens.
            owner = np.repeat(np.arange(count), lengths)
            position = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            keep = position < limit
            flat, owner = flat[keep], owner[keep]
            lengths = np.minimum(lengths, limit)
        if self._unk_token_id is not None:
            # model2vec drops [UNK] before averaging rather than averaging its row in.
            keep = flat != self._unk_token_id
            if not keep.all():
                if owner is None:
                    owner = np.repeat(np.arange(count), lengths)
                flat = flat[keep]
                lengths = np.bincount(owner[keep], minlength=count).astype(np.intp)
        out = self._mean_pool(flat, lengths)
        if self._normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _token_ids(self, batch: list[str]) -> list[Sequence[int]]:
        """Token ids per text (no special tokens), via a word cache where that is exact.

        The Rust tokenizer costs ~40 us per short sentence, most of it per call overhead
        and per-word work repeated for common words. For BERT tokenizers, str.split() finds
        the same whitespace as BertPreTokenizer (except for the characters in
        _UNSAFE_FOR_CACHE) and the normaliser works one character at a time, so a chunk's ids
        do not depend on its neighbours: ids are cached per chunk and concatenated. Texts
        with an unsafe character go through the tokenizer as is.
        """
        cache = self._word_cache
        if cache is None:
            return [enc.ids for enc in self._encode_batch(batch, add_special_tokens=False)]
        if _UNSAFE_FOR_CACHE.search("".join(batch)) is None:
            fast = list(range(len(batch)))
            slow: list[int] = []
        else:
            fast, slow = [], []
            for index, text in enumerate(batch):
                (slow if _UNSAFE_FOR_CACHE.search(text) else fast).append(index)
        result: list[Sequence[int]] = [()] * len(batch)
        if slow:
            encodings = self._encode_batch([batch[i] for i in slow], add_special_tokens=False)
            for index, encoding in zip(slow, encodings, strict=True):
                result[index] = encoding.ids
        if fast:
            splits = [batch[i].split() for i in fast]
            needed = set(itertools.chain.from_iterable(splits))
            missing = needed.difference(cache)
            if missing:
                if len(cache) + len(missing) > _WORD_CACHE_LIMIT:
                    # Bounded memory for streams full of one-off tokens. Swap in a new dict
                    # rather than clear(): a concurrent call may still be reading the old one.
                    # The new dict starts empty, so every word of this batch is missing from it.
                    cache = {}
                    self._word_cache = cache
                    missing = needed
                words = list(missing)
                encodings = self._encode_batch(words, add_special_tokens=False)
                cache.update(zip(words, (tuple(enc.ids) for enc in encodings), strict=True))
            lookup = cache.__getitem__
            chain = itertools.chain.from_iterable
            for index, words_of_text in zip(fast, splits, strict=True):
                result[index] = list(chain(map(lookup, words_of_text)))
        return result

    def _mean_pool(self, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Mean of each text's token rows: a sparse [texts, vocab] matrix of ones times the
        vectors, then a division by the length.

        One C loop over the tokens, in token order and in float32, so the sums are bitwise
        those of adding the rows one position at a time (the previous form). That form cost a
        numpy call per token position of the longest text, ~0.5 ms per batch whatever its size:
        a fixed cost that small streaming batches felt. ``np.add.reduceat`` over the gathered
        rows was slower still and materialised every row at once.
        """
        count = lengths.size
        if count == 0 or flat.size == 0:
            return np.zeros((count, self.dim), dtype=np.float32)
        indptr = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        ones = np.ones(flat.size, dtype=np.float32)
        tokens = sp.csr_matrix((ones, flat, indptr), shape=(count, self._vectors.shape[0]))
        sums = np.ascontiguousarray(tokens @ self._vectors, dtype=np.float32)
        nonempty = lengths > 0
        sums[nonempty] /= lengths[nonempty, None].astype(np.float32)
        return sums
