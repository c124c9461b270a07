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
    options: dict[str, Any] = Field(default_factory=dict)
