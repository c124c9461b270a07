"""Per-user and per-session behaviour detectors: stateful, event-time windowed, Kafka-free."""

from __future__ import annotations

from guardstream.detectors.behaviour.base import BehaviourDetector
from guardstream.detectors.behaviour.flooding import Flooding
from guardstream.detectors.behaviour.repeated_attacks import (
    RepeatedAttacks,
    SessionRepeatedAttacks,
)
from guardstream.detectors.behaviour.retry_after_refusal import RetryAfterRefusal
from guardstream.detectors.behaviour.token_burn import TokenBurn

# Config name (`[detectors."<name>"]`) -> class. The name is also the score key.
BEHAVIOUR_DETECTORS: dict[str, type[BehaviourDetector]] = {
    cls.score_key: cls
    for cls in (RepeatedAttacks, SessionRepeatedAttacks, RetryAfterRefusal, Flooding, TokenBurn)
}
