"""The one interface every detector implements: a batch of events in, raw scores out.

Scores are kept apart from thresholds (as scikit-learn keeps `decision_function` apart from
`offset_`): moving a threshold in config never touches a model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from guardstream.contracts import Evidence, Severity
from guardstream.detectors.batch import EventBatch


class NoOptions(BaseModel):
    """Options of a detector that takes none; unknown keys are still rejected."""

    model_config = ConfigDict(extra="forbid")


@dataclass
class DetectorResult:
    """Raw scores per output key ("injection", "harmful.hate", ...) and evidence per event."""

    scores: dict[str, np.ndarray]
    evidence: list[list[Evidence]] = field(default_factory=list)

    def evidence_for(self, index: int) -> list[Evidence]:
        return self.evidence[index] if self.evidence else []


class Detector(ABC):
    """Turn a batch into scores in [0, 1]. Subclasses set the class attributes and `score`."""

    name: ClassVar[str]
    version: ClassVar[str] = "1"
    category: ClassVar[str] = "abuse"
    severity: ClassVar[Severity] = "medium"
    default_threshold: ClassVar[float] = 0.5
    raises_alerts: ClassVar[bool] = True
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

    def default_thresholds(self) -> dict[str, float]:
        """Thresholds used where config sets none; trained detectors read theirs from a manifest."""
        return {self.name: self.default_threshold}

    @abstractmethod
    def score(self, batch: EventBatch) -> DetectorResult:
        """Score every event of the batch; arrays are aligned with `batch.events`."""
