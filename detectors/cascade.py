"""The cascade: the cheap linear model scores every event, the fine-tuned encoder re-scores
the events whose cheap score lies in the task's band (`models/artefacts/encoder`).

Why a band: the encoder reads intent (role-play around a harmful goal, counter-speech) that
static embeddings and n-grams cannot, but costs milliseconds per text. Events the cheap model
scores below the band are ones the encoder would not flag either (the band is calibrated so,
see the encoder card), so only the uncertain share pays for it. One encoder pass gives every
task's probability; the batch keeps them, so injection, harmful and toxicity share the pass.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from guardstream.detectors.batch import EventBatch
from guardstream.errors import ConfigError
from guardstream.models.encoder_model import EncoderModel, shared_encoder
from guardstream.text.emoji_names import name_emoji


class CascadeOptions(BaseModel):
    """Options of a detector that can route to the encoder."""

    model_config = ConfigDict(extra="forbid")

    cascade: bool = Field(
        default=True,
        description="Re-score events in the uncertain band with the fine-tuned encoder.",
    )
    encoder_share: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Share of realistic benign traffic the band routes to the encoder "
        "(its CPU budget); default: the encoder manifest's, per task.",
    )


class Cascade:
    """A detector's encoder and band, fixed at start-up (options checked there)."""

    def __init__(
        self, encoder: EncoderModel, task: str, share: float | None, cheap_threshold: float
    ) -> None:
        self.encoder = encoder
        fitted = encoder.band(task, share)
        # Map onto the shipped linear model's threshold (the band was fitted with the same
        # recipe trained on the encoder's split): a configured threshold keeps its meaning.
        self.band = dataclasses.replace(fitted, cheap_threshold=cheap_threshold)
        self.column = encoder.tasks.index(task)


class CascadeStats:
    """Routed events, texts actually encoded (cache misses) and encoder CPU time in this
    process (read by `guardstream bench`)."""

    rows = 0
    runs = 0
    cpu_s = 0.0

    @classmethod
    def reset(cls) -> None:
        cls.rows, cls.runs, cls.cpu_s = 0, 0, 0.0


def cascade_for(options: CascadeOptions, task: str, cheap_threshold: float) -> Cascade | None:
    """The detector's cascade, or None when its options turn it off; a share outside the
    fitted range is a config error naming the key."""
    if not options.cascade:
        return None
    encoder = shared_encoder()
    if task not in encoder.tasks:
        raise ConfigError(
            f"detectors.{task}.options.cascade",
            f"the shipped encoder ({encoder.version}) has no '{task}' head (it has "
            f"{', '.join(encoder.tasks)}); set it to false",
        )
    try:
        return Cascade(encoder, task, options.encoder_share, cheap_threshold)
    except ValueError as exc:
        raise ConfigError(f"detectors.{task}.options.encoder_share", str(exc)) from exc


def _probabilities(batch: EventBatch, encoder: EncoderModel, rows: np.ndarray) -> np.ndarray:
    """Encoder probabilities of the batch's user texts at `rows`, each row computed once."""
    cache: dict[int, np.ndarray] = batch.__dict__.setdefault("_encoder_rows", {})
    missing = [int(i) for i in rows if int(i) not in cache]
    if missing:
        started, runs = time.process_time(), encoder.runs
        texts = [name_emoji(batch.normalised_user_texts[i]) for i in missing]
        for i, row in zip(missing, encoder.predict(texts), strict=True):
            cache[i] = row
        CascadeStats.rows += len(missing)
        CascadeStats.runs += encoder.runs - runs
        CascadeStats.cpu_s += time.process_time() - started
    return np.array([cache[int(i)] for i in rows], dtype=np.float32).reshape(len(rows), -1)


def cascaded(batch: EventBatch, cascade: Cascade | None, cheap: np.ndarray) -> np.ndarray:
    """`cheap` with the events in the band replaced by the encoder's mapped score."""
    if cascade is None or not len(cheap):
        return cheap
    rows = np.flatnonzero(cascade.band.routed(cheap))
    if not len(rows):
        return cheap
    out = cheap.astype(np.float32, copy=True)
    probabilities = _probabilities(batch, cascade.encoder, rows)[:, cascade.column]
    out[rows] = cascade.band.mapped(probabilities)
    return out
