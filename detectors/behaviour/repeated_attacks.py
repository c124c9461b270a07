"""`behaviour.repeated_attacks`: one user (or session) sending attack after attack.

Counts events flagged by the listed per-event detectors in the latest hopping event-time window
(default 15 min, 1 min step). Score = n / (n + half): 0.5 at `half` attacks (default 3), so the
default threshold 0.5 fires at the third attack. Attacks are kept by event id, so a redelivered
event is not counted twice.
"""

from __future__ import annotations

from pydantic import Field

from guardstream.detectors.behaviour.base import (
    BehaviourDetector,
    BehaviourOptions,
    BehaviourScore,
    Observation,
)
from guardstream.detectors.behaviour.robust import squash
from guardstream.detectors.behaviour.windows import hopping_window


class RepeatedAttacksOptions(BehaviourOptions):
    detectors: list[str] = Field(default_factory=lambda: ["injection", "harmful"])
    window_s: float = Field(default=900.0, gt=0)
    step_s: float = Field(default=60.0, gt=0)
    half: float = Field(default=3.0, gt=0, description="attacks in a window that score 0.5")
    max_event_ids: int = Field(default=50, ge=1)


class RepeatedAttacks(BehaviourDetector):
    name = "behaviour.repeated_attacks"
    score_key = "behaviour.repeated_attacks"
    category = "abuse.repeated_attacks"
    severity = "high"
    Options = RepeatedAttacksOptions
    options: RepeatedAttacksOptions

    def is_attack(self, obs: Observation) -> bool:
        return any(flag.split(".", 1)[0] in self.options.detectors for flag in obs.flags)

    def update(self, obs: Observation, state: dict | None) -> tuple[BehaviourScore, dict | None]:
        opts = self.options
        attacks: list[list] = list(state["a"]) if state else []
        attack = self.is_attack(obs)
        if attack and all(eid != obs.event_id for _, eid in attacks):
            attacks.append([obs.ts, obs.event_id])
            attacks.sort(key=lambda a: a[0])
        start, end = hopping_window(obs.ts, opts.window_s, opts.step_s)
        newest = max([obs.ts, *(t for t, _ in attacks)])
        attacks = [a for a in attacks if a[0] >= newest - opts.window_s - opts.step_s]
        inside = [eid for t, eid in attacks if start <= t < end]
        score = BehaviourScore(
            score=round(squash(len(inside), opts.half), 6),
            contributed=attack,
            scope_id=self.scope_id(obs),
            window_start_s=start,
            window_end_s=end,
            event_ids=inside[-opts.max_event_ids :],
            event_count=len(inside),
            detail={"attacks": float(len(inside))},
        )
        return score, ({"a": attacks} if attacks else None)


class SessionRepeatedAttacks(RepeatedAttacks):
    """The same count per (app, session): an attacker rotating user ids inside one session."""

    score_key = "behaviour.repeated_attacks.session"
    scope = "session"

    def key(self, obs: Observation) -> str | None:
        if not obs.session_id:
            return None
        return f"{obs.app_id}\x1f{obs.session_id}"

    def scope_id(self, obs: Observation) -> str:
        return obs.session_id or ""
