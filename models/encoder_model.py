"""The cascade encoder at run time: fine-tuned MiniLM-L6, int8 ONNX, on onnxruntime.

Why a manifest check first: like the linear models, a file whose sha256 differs from its
manifest is refused before onnxruntime parses it. One thread per session: the worker runs
one scoring process per core, so intra-op threads would only fight each other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .artefact_errors import ArtefactError
from .encoder_tokens import load_tokenizer, pad, token_ids
from .trained_model import ARTEFACT_ROOT, MANIFEST_FILE, sha256_of

ENCODER = "encoder"
BATCH_ROWS = 16
#: Texts are clipped to their head and tail before tokenising; the tokens kept (head + tail,
#: `encoder_tokens.MAX_TOKENS`) lie well inside, so clipping only bounds tokeniser cost.
CLIP_HEAD, CLIP_TAIL = 4000, 2000


@dataclass(frozen=True)
class Band:
    """Where the cascade sends a task's events to the encoder, and how its score is merged.

    Events whose cheap score is in [lo, hi] take the encoder's probability, mapped piecewise
    linearly so that `encoder_threshold` lands on the cheap model's shipped threshold: the
    detector's configured threshold keeps its meaning, and at the default threshold the
    cascade flags exactly what the encoder flags on routed events.
    """

    lo: float
    hi: float
    encoder_threshold: float
    cheap_threshold: float

    def routed(self, cheap: np.ndarray) -> np.ndarray:
        return (cheap >= self.lo) & (cheap <= self.hi)

    def mapped(self, probability: np.ndarray) -> np.ndarray:
        e, c = self.encoder_threshold, self.cheap_threshold
        below = probability * (c / e)
        above = c + (probability - e) * ((1.0 - c) / (1.0 - e))
        return np.where(probability < e, below, above).astype(np.float32)


def clip_for_encoder(text: str) -> str:
    if len(text) <= CLIP_HEAD + CLIP_TAIL:
        return text
    return text[:CLIP_HEAD] + " " + text[-CLIP_TAIL:]


class EncoderModel:
    """Token ids -> P(task) for each task in the manifest, batched by length."""

    def __init__(self, directory: Path, manifest: dict[str, Any]) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(directory / manifest["file"]), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = load_tokenizer(directory / manifest["tokenizer"])
        self.manifest = manifest
        self.tasks: tuple[str, ...] = tuple(manifest["tasks"])
        self.max_tokens = int(manifest["max_tokens"])
        self.bands = {t: Band(**b) for t, b in manifest["bands"].items()}

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), len(tasks)) float32 probabilities; rows of similar length share a run."""
        out = np.zeros((len(texts), len(self.tasks)), dtype=np.float32)
        if not texts:
            return out
        ids = token_ids(self.tokenizer, [clip_for_encoder(t) for t in texts], self.max_tokens)
        order = np.argsort([len(x) for x in ids], kind="stable")
        for start in range(0, len(order), BATCH_ROWS):
            chosen = order[start : start + BATCH_ROWS]
            x, m = pad([ids[i] for i in chosen])
            logits = self.session.run(["logits"], {"ids": x, "mask": m})[0]
            out[chosen] = 1.0 / (1.0 + np.exp(-logits))
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
        file = directory / name
        if not file.is_file():
            raise ArtefactError(f"model '{ENCODER}': {file} is missing")
        actual = sha256_of(file)
        if actual != expected:
            raise ArtefactError(
                f"model '{ENCODER}': {file} sha256 {actual[:12]}… does not match the manifest "
                f"({expected[:12]}…); refusing to load a modified model"
            )
    return manifest


def load_encoder(root: Path = ARTEFACT_ROOT) -> EncoderModel:
    directory = root / ENCODER
    return EncoderModel(directory, _verified(directory))


@cache
def shared_encoder() -> EncoderModel:
    """One session per process, shared by the detectors that route to it."""
    return load_encoder()
