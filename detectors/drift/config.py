"""Drift settings: reference and current windows, effect-size thresholds, suppression.

Defaults are the ones `guardstream bench drift` measured: every shift there is found within
500 events, and a 100k-event stationary stream raises no alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from guardstream.contracts import Severity

METRICS = (
    "response_chars",
    "refusal_rate",
    "toxicity_rate",
    "language",
    "latency",
    "tokens",
    "response_embedding",
    "prompt_embedding",
)
# Effect-size thresholds: KS D for lengths, latency and tokens; Cramér's V for rates and the
# language mix; MMD² (RBF, median bandwidth) for the embeddings.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "response_chars": 0.15,
    "refusal_rate": 0.1,
    "toxicity_rate": 0.1,
    "language": 0.12,
    "latency": 0.15,
    "tokens": 0.15,
    "response_embedding": 0.03,
    "prompt_embedding": 0.03,
}


class DriftConfig(BaseModel):
    """`[drift]` in the settings file; `GUARDSTREAM_DRIFT__CURRENT_EVENTS=1000` and so on."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    enabled: bool = True
    worker: bool = Field(
        default=True,
        description="run the drift agents in `guardstream worker` (windows in a faust table); "
        "off: drift only offline (`drift report`/`status` from the scores)",
    )
    reference: Literal["first_n", "time_range"] = "first_n"
    reference_events: int = Field(default=2000, ge=50, le=100_000)
    reference_start: datetime | None = None
    reference_end: datetime | None = None
    current_events: int = Field(default=500, ge=50, le=100_000)
    min_samples: int = Field(default=300, ge=20, description="per window, before any test")
    evaluate_every: int = Field(default=100, ge=1, description="events between evaluations")
    thresholds: dict[str, float] = Field(default_factory=dict)
    clear_ratio: float = Field(default=0.8, gt=0, le=1, description="hysteresis to close")
    suppress_s: float = Field(default=3600.0, ge=0, description="re-alert an open drift after")
    severity: Severity = "medium"
    refusal_threshold: float | None = Field(default=None, ge=0, le=1, description="else record's")
    toxicity_threshold: float | None = Field(default=None, ge=0, le=1, description="else record's")

    @model_validator(mode="after")
    def _consistent(self) -> DriftConfig:
        unknown = set(self.thresholds) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown drift metric(s) {sorted(unknown)}; known: {METRICS}")
        if self.reference == "time_range" and not (self.reference_start and self.reference_end):
            raise ValueError("reference = 'time_range' needs reference_start and reference_end")
        if self.min_samples > self.current_events:
            raise ValueError("min_samples must not exceed current_events")
        return self

    def threshold(self, metric: str) -> float:
        return self.thresholds.get(metric, DEFAULT_THRESHOLDS[metric])
