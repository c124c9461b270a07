"""Run the enabled behaviour detectors over scored events, in event-time order, on a store."""

from __future__ import annotations

from collections.abc import Sequence

from guardstream.detectors.behaviour.base import BehaviourDetector, BehaviourScore, Observation
from guardstream.detectors.behaviour.rate_anomaly import RateAnomaly
from guardstream.detectors.behaviour.state import StateStore


class BehaviourStage:
    """Folds each observation into every detector's state and returns the scores after it."""

    def __init__(self, detectors: Sequence[BehaviourDetector]) -> None:
        self.detectors = list(detectors)
        self.needs_embedding = any(d.needs_embedding for d in self.detectors)

    @property
    def namespaces(self) -> list[str]:
        """Every state namespace the stage writes (fields of one table's rows in the worker)."""
        names = [d.namespace for d in self.detectors]
        names += [d.population_namespace for d in self.detectors if isinstance(d, RateAnomaly)]
        return names

    def observe(self, obs: Observation, store: StateStore) -> dict[str, BehaviourScore]:
        results: dict[str, BehaviourScore] = {}
        for detector in self.detectors:
            if isinstance(detector, RateAnomaly):
                results[detector.score_key] = detector.observe(obs, store)
                continue
            key = detector.key(obs)
            if key is None:
                continue
            before = store.get(detector.namespace, key)
            score, state = detector.update(obs, before)
            if state is not None:
                store.put(detector.namespace, key, state)
            elif before is not None:  # nothing left in the window: forget the key
                store.delete(detector.namespace, key)
            results[detector.score_key] = score
        return results
