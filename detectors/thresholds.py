"""Which threshold is in force for a score key and an app, and where it came from.

Precedence, highest first: an app's control record, the global control record, config, the
detector's shipped default (its model manifest). A key is flagged when `score >= threshold`.
Pure and Kafka-free: `streams/control.py` feeds it records from `guardstream.control`.

Readers on the scoring thread take a `ThresholdSnapshot`, which never changes; `apply` builds
a new one, so a batch is judged against one consistent set of values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from guardstream.contracts import Severity, ThresholdRecord, threshold_key

Source = Literal["control", "config", "manifest"]


@dataclass(frozen=True)
class InForce:
    """One key's value in force for one app (None = that key does not flag), for `show`."""

    score_key: str
    threshold: float | None
    enabled: bool
    source: Source
    version: int
    app_id: str | None = None
    set_by: str | None = None
    at: datetime | None = None
    reason: str | None = None
    severity: Severity | None = None  # alert overrides from control, if any
    suppress_s: float | None = None


@dataclass(frozen=True)
class Judgement:
    """What the pipeline needs for one event: values that flag, and the version of each key."""

    thresholds: dict[str, float]
    versions: dict[str, int]
    severities: dict[str, Severity] = field(default_factory=dict)
    suppress_s: dict[str, float] = field(default_factory=dict)


def threshold_problem(score_key: str, value: float | None, known: Collection[str]) -> str | None:
    """The one check of a threshold, shared by config and the control CLI; None when valid."""
    if score_key not in known:
        return f"unknown score key {score_key!r}; known: {', '.join(sorted(known))}"
    if value is not None and not 0.0 <= value <= 1.0:
        return f"threshold for {score_key!r} must be within [0, 1], got {value}"
    return None


@dataclass
class ThresholdSnapshot:
    """Control records (latest per key) over config/manifest values; read-only once built."""

    base: Mapping[str, float]
    sources: Mapping[str, Source]
    records: Mapping[str, ThresholdRecord]
    _cache: dict[str | None, Judgement] = field(default_factory=dict, repr=False)

    def resolve(self, score_key: str, app_id: str | None) -> InForce | None:
        """The winning level for one key (with its alert overrides), or None if none knows it."""
        levels = [threshold_key(score_key, app_id)] if app_id else []
        levels.append(threshold_key(score_key))
        found = self._threshold(score_key, levels)
        if found is None:
            return None
        records = [r for r in map(self.records.get, levels) if r is not None]
        severity = next((r.severity for r in records if r.severity is not None), None)
        suppress_s = next((r.suppress_s for r in records if r.suppress_s is not None), None)
        return replace(found, severity=severity, suppress_s=suppress_s)

    def _threshold(self, score_key: str, levels: list[str]) -> InForce | None:
        for level in levels:
            record = self.records.get(level)
            if record is None or (record.enabled and record.threshold is None):
                continue  # no record, or an `enable` that defers to the level below
            return InForce(
                score_key=score_key,
                threshold=record.threshold if record.enabled else None,
                enabled=record.enabled,
                source="control",
                version=record.version,
                app_id=record.app_id,
                set_by=record.set_by,
                at=record.at,
                reason=record.reason,
            )
        if score_key in self.base:
            source = self.sources.get(score_key, "manifest")
            return InForce(score_key, self.base[score_key], True, source, 0)
        return None

    def keys_for(self, app_id: str | None) -> list[str]:
        keys = set(self.base)
        keys.update(r.score_key for r in self.records.values() if r.app_id in (None, app_id))
        return sorted(keys)

    def in_force(self, app_id: str | None = None) -> list[InForce]:
        found = (self.resolve(key, app_id) for key in self.keys_for(app_id))
        return [entry for entry in found if entry is not None]

    def for_app(self, app_id: str | None) -> Judgement:
        """Thresholds and versions for events of `app_id`; computed once per app and snapshot."""
        judged = self._cache.get(app_id)
        if judged is None:
            entries = self.in_force(app_id)
            judged = Judgement(
                thresholds={e.score_key: e.threshold for e in entries if e.threshold is not None},
                versions={e.score_key: e.version for e in entries},
                severities={e.score_key: e.severity for e in entries if e.severity},
                suppress_s={e.score_key: e.suppress_s for e in entries if e.suppress_s},
            )
            self._cache[app_id] = judged
        return judged


class ThresholdState:
    """The live thresholds a pipeline judges with; `apply` control records as they arrive."""

    def __init__(
        self, base: Mapping[str, float], sources: Mapping[str, Source] | None = None
    ) -> None:
        self._snapshot = ThresholdSnapshot(dict(base), dict(sources or {}), {})

    def snapshot(self) -> ThresholdSnapshot:
        return self._snapshot

    def replace_snapshot(self, snapshot: ThresholdSnapshot) -> None:
        """Adopt another state's snapshot whole (the scoring subprocess follows the worker's)."""
        self._snapshot = snapshot

    def apply(self, records: Iterable[ThresholdRecord]) -> int:
        """Take each record as the latest for its key (topic order); return how many applied."""
        merged = dict(self._snapshot.records)
        count = 0
        for record in records:
            merged[record.key] = record
            count += 1
        if count:
            old = self._snapshot
            self._snapshot = ThresholdSnapshot(old.base, old.sources, merged)
        return count

    def for_app(self, app_id: str | None) -> Judgement:
        return self._snapshot.for_app(app_id)

    def in_force(self, app_id: str | None = None) -> list[InForce]:
        return self._snapshot.in_force(app_id)
