"""Online change points on rates and means: thin wrappers over river's ADWIN and PageHinkley.

river's detectors are the tested implementations; what this module adds is the scaling that
lets one PageHinkley threshold serve metrics measured in characters, milliseconds or tokens
(values are divided by the reference's spread), and a record of where each detector fired.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from river import drift

ADWIN_DELTA = 0.002
PH_THRESHOLD = 60.0
PH_DELTA = 0.1
PH_MIN_INSTANCES = 30


@dataclass
class ChangePoint:
    """One river detector over one metric; `fired_at` holds the event counts where it fired."""

    kind: str
    scale: float = 1.0
    centre: float = 0.0
    seen: int = 0
    fired_at: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.detector_ = self._new()

    def _new(self) -> drift.ADWIN | drift.PageHinkley:
        if self.kind == "adwin":
            return drift.ADWIN(delta=ADWIN_DELTA)
        return drift.PageHinkley(
            min_instances=PH_MIN_INSTANCES, delta=PH_DELTA, threshold=PH_THRESHOLD, mode="both"
        )

    def update(self, value: float) -> bool:
        """Feed one value; True when river reports a change at this value."""
        self.seen += 1
        self.detector_.update((value - self.centre) / self.scale)
        if self.detector_.drift_detected:
            self.fired_at.append(self.seen)
            return True
        return False


def for_rate() -> ChangePoint:
    """ADWIN on a 0/1 indicator (refusal, toxic response): adapts to the rate by itself."""
    return ChangePoint("adwin")


def for_mean(centre: float, scale: float) -> ChangePoint:
    """PageHinkley on a mean, in units of the reference's spread (robust scale)."""
    return ChangePoint("page_hinkley", scale=scale or 1.0, centre=centre)
