"""The stateful half of judging a batch: behaviour scores and alert suppression, applied to the
score records and alerts the stateless half produced. Kept apart so it can run where the state
is (the worker's event-loop process, next to its faust tables) while per-event scoring runs
wherever it runs (a killable scoring process); offline, both run in one process on a dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from guardstream.contracts import Alert, Evidence, ScoreRecord
from guardstream.detectors.alerts import Flag
from guardstream.detectors.behaviour.base import (
    BehaviourDetector,
    BehaviourScore,
    EventFacts,
    Observation,
)
from guardstream.detectors.behaviour.state import StateStore
from guardstream.detectors.behaviour.windows import from_epoch
from guardstream.detectors.thresholds import Judgement

if TYPE_CHECKING:
    from guardstream.detectors.pipeline import Pipeline


def judge(
    pipeline: Pipeline,
    records: Sequence[ScoreRecord],
    facts: Sequence[EventFacts],
    alerts: Sequence[Sequence[Alert]],
    shards: Sequence[int],
    state: StateStore,
) -> list[list[Alert]]:
    """Add behaviour scores and flags to `records` (in place) and return each record's alerts
    after suppression, in event-time order per key. Inputs are aligned by index."""
    snapshot = pipeline.threshold_state.snapshot()
    out: list[list[Alert]] = [[] for _ in records]
    for index in sorted(range(len(records)), key=lambda i: (facts[i].ts, i)):
        record, fact = records[index], facts[index]
        state.shard = shards[index]
        judgement = snapshot.for_app(record.app_id)
        thresholds, versions = judgement.thresholds, judgement.versions
        stage = pipeline.behaviour
        folded = [pipeline.alerter.fold(alert, state) for alert in alerts[index]]
        if stage.detectors:
            observation = Observation(fact, record.scores, frozenset(record.flags))
            results = stage.observe(observation, state)
            own = {key: result.score for key, result in results.items()}
            record.scores.update(own)
            record.flags.extend(pipeline.flags(own, thresholds))
            record.thresholds.update({k: thresholds[k] for k in own if k in thresholds})
            record.threshold_versions.update({k: versions[k] for k in own if k in versions})
            for detector in stage.detectors:
                result = results.get(detector.score_key)
                key = detector.score_key
                if (
                    result is not None
                    and result.contributed
                    and key in pipeline.alerting
                    and key in record.flags
                ):
                    flag = behaviour_flag(pipeline, fact, detector, result, judgement)
                    folded.append(pipeline.alerter.raise_flag(flag, state))
        out[index] = folded
    return out


def behaviour_flag(
    pipeline: Pipeline,
    fact: EventFacts,
    detector: BehaviourDetector,
    result: BehaviourScore,
    judgement: Judgement,
) -> Flag:
    key = detector.score_key
    thresholds, versions = judgement.thresholds, judgement.versions
    detail = " ".join(f"{k}={v:g}" for k, v in sorted(result.detail.items()))
    return Flag(
        detector=detector.name,
        detector_version=detector.version,
        category=detector.category,
        score=result.score,
        threshold=thresholds[key],
        scope=detector.scope,
        scope_id=result.scope_id,
        app_id=fact.app_id,
        at=from_epoch(fact.ts),
        user_id=fact.user_id,
        session_id=fact.session_id,
        event_ids=result.event_ids,
        event_count=result.event_count,
        window_start=from_epoch(result.window_start_s),
        window_end=from_epoch(result.window_end_s),
        evidence=[Evidence(kind=detector.name, field="prompt", detail=detail)],
        scores={key: result.score},
        thresholds={key: thresholds[key]},
        threshold_versions={key: versions[key]} if key in versions else {},
        severity=pipeline.severities[key],
        trigger_id=fact.event_id,
        severity_override=judgement.severities.get(key),
        suppress_s=judgement.suppress_s.get(key),
    )
