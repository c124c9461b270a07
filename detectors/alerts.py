"""The one place flags become `Alert`s: per-event, behaviour and drift detectors all call
`Alerter.raise_flag`, so suppression, updates, ids and severity work the same everywhere.

Contract:
- `alert_id` = hash(detector, version, scope, scope_id, app, user, suppression-window start).
  Suppression windows are epoch-aligned tumbling windows of event time (`suppress_s`, default
  30 min, per detector), so the id follows from the flag alone: a crash, a redelivery or the
  offline path compute the same id.
- The first flag of a (detector, scope, scope_id) in a window opens the alert (`status: open`,
  `occurrences: 1`); later ones publish an update with the same id, `occurrences` + 1 and
  `last_seen` moved. The count lives in the state store (a faust table in the worker), so a
  restart continues the count instead of re-opening.
- Per-event detectors suppress per (detector, user): pass `suppress_scope=("user", user_id)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from guardstream.contracts import Alert, Evidence, Scope, Severity, stable_id
from guardstream.detectors.behaviour.state import StateStore
from guardstream.detectors.behaviour.windows import bucket_start, epoch, from_epoch

NAMESPACE = "alerts"
DEFAULT_SUPPRESS_S = 1800.0
SEVERITY_ORDER: tuple[Severity, ...] = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class Flag:
    """A detector fired: everything an alert needs, before suppression decides open/update."""

    detector: str
    detector_version: str
    category: str
    score: float
    threshold: float
    scope: Scope
    scope_id: str
    app_id: str
    at: datetime
    user_id: str | None = None
    session_id: str | None = None
    event_ids: Sequence[str] = ()
    event_count: int | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    evidence: Sequence[Evidence] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    thresholds: Mapping[str, float] = field(default_factory=dict)
    threshold_versions: Mapping[str, int] = field(default_factory=dict)
    severity: Severity = "medium"
    suppress_scope: tuple[str, str] | None = None
    trigger_id: str | None = None
    # Live overrides from the control topic (ThresholdRecord.severity / .suppress_s): beat config.
    severity_override: Severity | None = None
    suppress_s: float | None = None

    @property
    def suppression_key(self) -> str:
        scope, scope_id = self.suppress_scope or (self.scope, self.scope_id)
        return "\x1f".join((self.detector, scope, self.app_id, scope_id))


def alert_id(
    detector: str,
    version: str,
    scope: str,
    scope_id: str,
    window_start: float,
    app_id: str = "",
    user_id: str | None = None,
) -> str:
    """Deterministic: the same flag identity and window give the same id, in any process."""
    return stable_id(
        detector, version, scope, scope_id, app_id, user_id or "", f"{window_start:.3f}"
    )


@dataclass(frozen=True)
class SeverityBand:
    min_score: float
    severity: Severity


@dataclass(frozen=True)
class AlertPolicy:
    """Suppression windows and the score-and-category -> severity mapping, from config.

    `severity` maps a category ("harmful.weapons"), a parent category ("harmful") or a detector
    name to score bands; the most specific match wins, the highest band at or under the score
    applies, and the detector's own severity is the fallback.
    """

    suppress_s: float = DEFAULT_SUPPRESS_S
    detector_suppress_s: Mapping[str, float] = field(default_factory=dict)
    severity: Mapping[str, Sequence[SeverityBand]] = field(default_factory=dict)
    max_event_ids: int = 50

    def suppression_for(self, detector: str) -> float:
        return self.detector_suppress_s.get(detector, self.suppress_s)

    def severity_for(self, flag: Flag) -> Severity:
        parts = flag.category.split(".")
        candidates = [".".join(parts[:n]) for n in range(len(parts), 0, -1)] + [flag.detector]
        for name in candidates:
            bands = self.severity.get(name)
            if bands:
                fitting = [b for b in bands if flag.score >= b.min_score]
                if fitting:
                    return max(fitting, key=lambda b: b.min_score).severity
                return flag.severity
        return flag.severity


class Alerter:
    """Turns flags into open alerts or updates, remembering open alerts in a `StateStore`.

    Without a store (`state=None`) every flag opens its alert: ids are still deterministic.
    """

    def __init__(self, policy: AlertPolicy | None = None) -> None:
        self.policy = policy or AlertPolicy()

    def raise_flag(self, flag: Flag, state: StateStore | None = None) -> Alert:
        suppress_s = flag.suppress_s or self.policy.suppression_for(flag.detector)
        at = epoch(flag.at)
        window = bucket_start(at, suppress_s)
        scope, scope_id = flag.suppress_scope or (flag.scope, flag.scope_id)
        ident = alert_id(
            flag.detector, flag.detector_version, scope, scope_id, window, flag.app_id, flag.user_id
        )
        key = flag.suppression_key
        record = state.get(NAMESPACE, key) if state is not None else None
        if record is None or record["id"] != ident:
            record = {"id": ident, "n": 0, "f": at, "l": at, "e": [], "c": 0, "t": None}
        redelivered = flag.trigger_id is not None and flag.trigger_id == record["t"]
        if not redelivered:
            record["n"] += 1
            record["f"] = min(record["f"], at)
            record["l"] = max(record["l"], at)
            ids = [i for i in flag.event_ids if i not in record["e"]]
            record["e"] = (record["e"] + ids)[: self.policy.max_event_ids]
            record["c"] = max(record["c"] + len(ids), flag.event_count or 0)
            record["t"] = flag.trigger_id
            if state is not None:
                state.put(NAMESPACE, key, record)
        return self._alert(flag, record)

    def fold(self, alert: Alert, state: StateStore | None) -> Alert:
        """Suppression for an alert raised without state (by a scoring process): the same
        record as `raise_flag` with a store would have produced. Per-event alerts fold per
        (detector, user)."""
        if state is None:
            return alert
        per_event = alert.scope == "event"
        scope, scope_id = (
            ("user", alert.user_id or "") if per_event else (alert.scope, alert.scope_id)
        )
        key = "\x1f".join((alert.detector, scope, alert.app_id, scope_id))
        at = epoch(alert.last_seen or alert.window_end)
        record = state.get(NAMESPACE, key)
        if record is None or record["id"] != alert.alert_id:
            record = {"id": alert.alert_id, "n": 0, "f": at, "l": at, "e": [], "c": 0, "t": None}
        trigger = alert.event_ids[-1] if per_event and alert.event_ids else None
        if trigger is None or trigger != record["t"]:
            record["n"] += 1
            record["f"], record["l"] = min(record["f"], at), max(record["l"], at)
            ids = [i for i in alert.event_ids if i not in record["e"]]
            record["e"] = (record["e"] + ids)[: self.policy.max_event_ids]
            record["c"] = max(record["c"] + len(ids), alert.event_count or 0)
            record["t"] = trigger
            state.put(NAMESPACE, key, record)
        event_ids = list(record["e"])
        return alert.model_copy(
            update={
                "status": "open" if record["n"] <= 1 else "update",
                "occurrences": record["n"],
                "first_seen": from_epoch(record["f"]),
                "last_seen": from_epoch(record["l"]),
                "event_ids": event_ids,
                "event_count": max(record["c"], len(event_ids)),
                "window_start": from_epoch(record["f"]) if per_event else alert.window_start,
                "window_end": from_epoch(record["l"]) if per_event else alert.window_end,
            }
        )

    def _alert(self, flag: Flag, record: dict) -> Alert:
        event_ids = list(record["e"]) or list(flag.event_ids)[: self.policy.max_event_ids]
        return Alert(
            alert_id=record["id"],
            detector=flag.detector,
            detector_version=flag.detector_version,
            category=flag.category,
            severity=flag.severity_override or self.policy.severity_for(flag),
            score=flag.score,
            threshold=flag.threshold,
            scope=flag.scope,
            scope_id=flag.scope_id,
            app_id=flag.app_id,
            user_id=flag.user_id,
            session_id=flag.session_id,
            event_ids=event_ids,
            event_count=max(record["c"], flag.event_count or 0, len(event_ids)),
            window_start=flag.window_start or from_epoch(record["f"]),
            window_end=flag.window_end or from_epoch(record["l"]),
            evidence=list(flag.evidence)[:20],
            status="open" if record["n"] <= 1 else "update",
            occurrences=record["n"],
            first_seen=from_epoch(record["f"]),
            last_seen=from_epoch(record["l"]),
            scores=dict(flag.scores),
            thresholds=dict(flag.thresholds),
            threshold_versions=dict(flag.threshold_versions),
        )
