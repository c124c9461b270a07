"""Base for detectors backed by a trained model artefact in `guardstream.models`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from guardstream.detectors.base import Detector
from guardstream.models.artefact_errors import ArtefactError
from guardstream.models.fast_linear import fast_proba
from guardstream.models.featuriser import default_featuriser
from guardstream.models.trained_model import TrainedModel, load_model


def positive_proba(estimator: Any, features: Any) -> np.ndarray:
    """P(positive class) as float32; an empty input gives an empty array."""
    if features is None or features.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    return fast_proba(estimator, features)[:, 1].astype(np.float32)


def check_features(model: TrainedModel) -> None:
    """A model is only valid on the features it was trained on; refuse a silent mismatch."""
    expected = model.manifest.get("featuriser")
    actual = default_featuriser().fingerprint()
    if expected != actual:
        raise ArtefactError(
            f"model '{model.name}' was trained on features {expected}, but this build computes "
            f"{actual}; retrain with `guardstream train`"
        )


class TrainedDetector(Detector):
    """Loads `artefact` once at construction; thresholds default to those fitted in training."""

    artefact: ClassVar[str]

    def __init__(self, options: BaseModel | None = None) -> None:
        super().__init__(options)
        self.model: TrainedModel = load_model(self.artefact)
        check_features(self.model)
        self.version = self.model.version  # type: ignore[misc]  # instance narrows ClassVar

    def default_thresholds(self) -> dict[str, float]:
        return {self.name: self.default_threshold} | self.model.thresholds
