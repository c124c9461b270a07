"""Base for detectors backed by a trained model artefact in `guardstream.models`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from guardstream.detectors.base import Detector, DetectorResult
from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import Cascade, CascadeOptions, cascade_for
from guardstream.models.artefact_errors import ArtefactError
from guardstream.models.fast_linear import fast_proba
from guardstream.models.featuriser import default_featuriser
from guardstream.models.trained_model import TrainedModel, load_model


def positive_proba(estimator: Any, features: Any) -> np.ndarray:
    """P(positive class) as float32; an empty input gives an empty array."""
    if features is None or features.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    return fast_proba(estimator, features)[:, 1].astype(np.float32)


def wants_emoji_names(model: TrainedModel) -> bool:
    """True if the model was trained on text with emoji named (its fingerprint says which
    naming; `check_features` refuses any other)."""
    expected = model.manifest.get("featuriser")
    return isinstance(expected, dict) and "emoji_names" in expected


def check_features(model: TrainedModel, supports_emoji_names: bool = False) -> None:
    """A model is only valid on the features it was trained on; refuse a silent mismatch.
    A model trained on emoji-named text is refused by a detector that cannot feed it so."""
    expected = model.manifest.get("featuriser")
    named = wants_emoji_names(model)
    if named and not supports_emoji_names:
        raise ArtefactError(
            f"model '{model.name}' was trained on emoji-named text, which this detector does "
            "not compute; retrain it without emoji names"
        )
    actual = default_featuriser().fingerprint(emoji_names=named)
    if expected != actual:
        raise ArtefactError(
            f"model '{model.name}' was trained on features {expected}, but this build computes "
            f"{actual}; retrain with `guardstream train`"
        )


class TrainedDetector(Detector):
    """Loads `artefact` once at construction; thresholds default to those fitted in training.

    A detector whose `Options` is a `CascadeOptions` gets `self.cascade` (the encoder and
    its band, or None when turned off), mapped onto its main key's shipped threshold."""

    artefact: ClassVar[str]
    #: Whether `score` feeds `batch.*_features_for(self.emoji_names)`, so a model trained on
    #: emoji-named text (its manifest says so) can be served.
    supports_emoji_names: ClassVar[bool] = False

    def __init__(self, options: BaseModel | None = None) -> None:
        super().__init__(options)
        self.model: TrainedModel = load_model(self.artefact)
        check_features(self.model, self.supports_emoji_names)
        self.emoji_names = wants_emoji_names(self.model)
        self.version = self.model.version  # type: ignore[misc]  # instance narrows ClassVar
        self.cascade: Cascade | None = None
        if isinstance(self.options, CascadeOptions):
            threshold = self.default_thresholds()[self.name]
            self.cascade = cascade_for(self.options, self.name, threshold)

    def default_thresholds(self) -> dict[str, float]:
        return {self.name: self.default_threshold} | self.model.thresholds

    def response_scores(self, batch: EventBatch) -> np.ndarray:
        """P(positive) of each event's response; 0 where the event has none."""
        has_response = np.array([bool(r) for r in batch.responses])
        features = batch.response_features_for(self.emoji_names)
        return (positive_proba(self.model.estimator, features) * has_response).astype(np.float32)

    def prompt_and_response(self, prompt: np.ndarray, response: np.ndarray) -> DetectorResult:
        """The main key is the worse of the two; both are kept as sub-keys."""
        return DetectorResult(
            scores={
                self.name: np.maximum(prompt, response),
                f"{self.name}.prompt": prompt,
                f"{self.name}.response": response,
            }
        )
