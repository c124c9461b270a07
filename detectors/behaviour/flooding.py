"""`behaviour.flooding`: a user's request rate far above its own baseline and the app's users."""

from __future__ import annotations

from guardstream.detectors.behaviour.base import Observation
from guardstream.detectors.behaviour.rate_anomaly import RateAnomaly


class Flooding(RateAnomaly):
    name = "behaviour.flooding"
    score_key = "behaviour.flooding"
    category = "abuse.flooding"
    severity = "medium"
    amount_is_count = True

    def amount(self, obs: Observation) -> float:
        return 1.0
