"""How each detector is configured: on/off, thresholds, severity and its own options."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from guardstream.contracts import Severity


class DetectorConfig(BaseModel):
    """One detector's settings; `threshold` is its main key's, `thresholds` any sub-key's."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    thresholds: dict[str, float] = Field(default_factory=dict)
    severity: Severity | None = None
    alerts: bool | None = Field(default=None, description="Raise alerts (default: per detector).")
    suppress_s: float | None = Field(
        default=None, gt=0, description="Suppression window of this detector's alerts, seconds."
    )
    options: dict[str, Any] = Field(default_factory=dict)


class SeverityBandConfig(BaseModel):
    """From `min_score` up, alerts get `severity` (the highest band at or under the score)."""

    model_config = ConfigDict(extra="forbid")

    min_score: float = Field(ge=0.0, le=1.0)
    severity: Severity


class AlertConfig(BaseModel):
    """How flags become alerts: suppression window and the score/category -> severity map.

    `severity` keys are a category (`harmful.weapons`), a parent category (`harmful`) or a
    detector name; the most specific one present applies.
    """

    model_config = ConfigDict(extra="forbid")

    suppress_s: float = Field(default=1800.0, gt=0, description="Default suppression window, s.")
    max_event_ids: int = Field(default=50, ge=1, le=10_000)
    severity: dict[str, list[SeverityBandConfig]] = Field(default_factory=dict)
