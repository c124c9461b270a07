"""The cascade encoder at run time: fine-tuned MiniLM-L6, int8 ONNX, on onnxruntime.

Why a manifest check first: like the linear models, a file whose sha256 differs from its
manifest is refused before onnxruntime parses it. One thread per session: the worker runs
one scoring process per core, so intra-op threads would only fight each other.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .artefact_errors import ArtefactError
from .encoder_tokens import load_tokenizer, pad, token_ids
from .trained_model import ARTEFACT_ROOT, MANIFEST_FILE, verify_file

ENCODER = "encoder"
#: Texts whose probabilities are kept (LRU); 0 turns the cache off.
CACHE_TEXTS = 4096
#: Texts are clipped to their head and tail before tokenising; the tokens kept (head + tail,
#: `encoder_tokens.MAX_TOKENS`) lie well inside, so clipping only bounds tokeniser cost.
CLIP_HEAD, CLIP_TAIL = 4000, 2000


@dataclass(frozen=True)
class Band:
    """Which of a task's events the encoder re-scores, and how its score is merged.

    Events whose cheap score lies in [lo, hi) take the encoder's probability, mapped
    piecewise linearly so that `encoder_threshold` lands on the cheap model's shipped
    threshold: the detector's configured threshold keeps its meaning, and at the default
    threshold the cascade flags exactly what the encoder flags on routed events. `lo` is the
    cheap score that a chosen share of realistic benign traffic reaches (the routing budget);
    at or above `hi` (0.9, or the cheap threshold if higher) the cheap model keeps its
    decision: the encoder misjudges some blatant short requests and injections.
    """

    lo: float
    encoder_threshold: float
    cheap_threshold: float
    hi: float = 1.0

    def routed(self, cheap: np.ndarray) -> np.ndarray:
        return (cheap >= self.lo) & (cheap < self.hi)

    def mapped(self, probability: np.ndarray) -> np.ndarray:
        e, c = self.encoder_threshold, self.cheap_threshold
        below = probability * (c / e)
        above = c + (probability - e) * ((1.0 - c) / (1.0 - e))
        return np.where(probability < e, below, above).astype(np.float32)

    def merged(self, cheap: np.ndarray, probability: np.ndarray) -> np.ndarray:
        """The cascade's score for every row: mapped encoder probability where routed, the
        cheap score elsewhere (run time computes the encoder on routed rows only)."""
        return np.where(self.routed(cheap), self.mapped(probability), cheap)


def band_at_share(fitted: dict[str, Any], share: float | None = None) -> Band:
    """The band whose `lo` routes `share` of realistic benign traffic (the manifest's
    default share if None), interpolated between the shares fitted at build time."""
    table = sorted((float(k), float(v)) for k, v in fitted["lo_by_share"].items())
    share = float(fitted["default_share"]) if share is None else share
    shares, los = zip(*table, strict=True)
    if not shares[0] <= share <= shares[-1]:
        raise ValueError(f"encoder_share must be within [{shares[0]}, {shares[-1]}]")
    lo = float(np.interp(share, shares, los))
    return Band(
        lo,
        float(fitted["encoder_threshold"]),
        float(fitted["cheap_threshold"]),
        float(fitted.get("hi", 1.0)),
    )


def clip_for_encoder(text: str) -> str:
    if len(text) <= CLIP_HEAD + CLIP_TAIL:
        return text
    return text[:CLIP_HEAD] + " " + text[-CLIP_TAIL:]


class EncoderModel:
    """Text -> P(task) for each task in the manifest. The onnxruntime session opens on first
    use: a worker's parent process builds the pipeline but never scores, and the session
    is ~70 MB of its memory."""

    def __init__(self, directory: Path, manifest: dict[str, Any]) -> None:
        self.directory = directory
        self.tokenizer = load_tokenizer(directory / manifest["tokenizer"])
        self.manifest = manifest
        self.tasks: tuple[str, ...] = tuple(manifest["tasks"])
        self.max_tokens = int(manifest["max_tokens"])
        self.fitted_bands: dict[str, dict[str, Any]] = manifest["bands"]
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = CACHE_TEXTS
        self.runs = 0

    def band(self, task: str, share: float | None = None) -> Band:
        return band_at_share(self.fitted_bands[task], share)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickled (a pipeline sent to a scoring process) as its directory: the receiving
        process loads, verifies and shares its own session, which cannot be pickled."""
        return (_shared_at, (str(self.directory),))

    @cached_property
    def session(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = False  # one text per run: the arena only holds memory
        return ort.InferenceSession(
            str(self.directory / self.manifest["file"]), options, providers=["CPUExecutionProvider"]
        )

    def clear_cache(self) -> None:
        self._cache.clear()

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(tasks)) float32 probabilities, each text independent of the rest.

        Recent texts are answered from an LRU cache (retries, templated prompts and repeated
        attacks are common in LLM traffic); `runs` counts the texts actually encoded."""
        out = np.zeros((len(texts), len(self.tasks)), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            hit = self._cache.get(text)
            if hit is None:
                todo.setdefault(text, []).append(i)
            else:
                self._cache.move_to_end(text)
                out[i] = hit
        if not todo:
            return out
        unique = list(todo)
        ids = token_ids(self.tokenizer, [clip_for_encoder(t) for t in unique], self.max_tokens)
        # One text per run: dynamic int8 quantisation scales each activation tensor by its own
        # range, so rows run together (and their padding) would change each other's scores.
        for text, row in zip(unique, ids, strict=True):
            x, m = pad([row])
            logits = self.session.run(["logits"], {"ids": x, "mask": m})[0][0]
            probabilities = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
            out[todo[text]] = probabilities
            self._cache[text] = probabilities
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        self.runs += len(unique)
        return out


def _verified(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    if not path.is_file():
        raise ArtefactError(f"model '{ENCODER}': {path} is missing")
    try:
        manifest = json.loads(path.read_text())
        files = {
            manifest["file"]: manifest["sha256"],
            manifest["tokenizer"]: manifest["tokenizer_sha256"],
        }
    except (ValueError, KeyError) as exc:
        raise ArtefactError(f"model '{ENCODER}': manifest {path} is unreadable: {exc}") from exc
    for name, expected in files.items():
        verify_file(ENCODER, directory / name, expected, "; run `make train-encoder`")
    return manifest


def load_encoder(root: Path = ARTEFACT_ROOT) -> EncoderModel:
    directory = root / ENCODER
    return EncoderModel(directory, _verified(directory))


@cache
def _shared_at(directory: str) -> EncoderModel:
    return load_encoder(Path(directory).parent)


def shared_encoder() -> EncoderModel:
    """One session per process, shared by the detectors that route to it."""
    return _shared_at(str(ARTEFACT_ROOT / ENCODER))
