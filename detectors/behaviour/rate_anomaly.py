"""Shared by flooding and token burn: a user's amount per event-time window, far above both the
user's own history and the app's population (robust z-scores on median/MAD).

State per user: amount buckets (`step_s`) over the window and `history` windows before it, plus
the first time the user was seen (no history before that). Population per (app, shard): the
latest window amount of up to `population` recently active users, most recent first; a user is
never compared with itself. A new user (fewer than `min_history` past windows) is compared with
the population only. z = min(z_self, z_population); score = z / (z + z_half), 0 under
`min_amount`; under it neither z is computed (the common case: most users' windows are far
below it), so an alert's detail carries z only where the score could be non-zero.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from guardstream.detectors.behaviour.base import (
    BehaviourDetector,
    BehaviourOptions,
    BehaviourScore,
    Observation,
)
from guardstream.detectors.behaviour.robust import robust_z, squash
from guardstream.detectors.behaviour.state import StateStore
from guardstream.detectors.behaviour.windows import (
    BucketSums,
    add,
    bucket_start,
    prune,
    total,
)


class RateOptions(BehaviourOptions):
    window_s: float = Field(default=300.0, gt=0)
    step_s: float = Field(default=60.0, gt=0)
    history: int = Field(default=12, ge=1, description="past windows in the user's baseline")
    min_history: int = Field(default=3, ge=1)
    population: int = Field(default=64, ge=2, description="active users kept per app and shard")
    min_population: int = Field(default=5, ge=1)
    min_amount: float = Field(default=30.0, ge=0, description="below this, never anomalous")
    min_scale: float = Field(default=1.0, gt=0, description="floor of the robust scale")
    z_half: float = Field(default=6.0, gt=0, description="robust z that scores 0.5")
    max_event_ids: int = Field(default=20, ge=1)


class RateAnomaly(BehaviourDetector):
    """Subclasses say what amount an event adds (`amount`) and their names."""

    Options: ClassVar[type[RateOptions]] = RateOptions
    options: RateOptions
    # Flooding's amount is the request count: no second bucket list for the count.
    amount_is_count: ClassVar[bool] = False

    def amount(self, obs: Observation) -> float:
        raise NotImplementedError

    @property
    def population_namespace(self) -> str:
        return f"{self.score_key}.population"

    def observe(self, obs: Observation, store: StateStore) -> BehaviourScore:
        """Update user and population state; the stage calls this instead of `update`."""
        user_key = obs.user_key
        score, user_state = self.update(obs, store.get(self.namespace, user_key))
        store.put(self.namespace, user_key, user_state)
        pop_key = f"{obs.app_id}\x1f{store.shard}"
        population = store.get(self.population_namespace, pop_key) or {"u": []}
        entries = [e for e in population["u"] if e[0] != user_key]
        current = score.detail["amount"]
        eligible = current >= self.options.min_amount  # below it the score is 0 whatever z is
        z_pop = None
        if eligible:
            recent = obs.ts - self.options.window_s
            others = [e[1] for e in entries if e[2] >= recent]
            if len(others) >= self.options.min_population:
                z_pop = robust_z(current, others, self.options.min_scale)
        z_self = score.detail.get("z_self")
        zs = [z for z in (z_self, z_pop) if z is not None]
        z = min(zs) if zs else 0.0
        value = squash(z, self.options.z_half) if eligible else 0.0
        population["u"] = [[user_key, current, obs.ts], *entries][: self.options.population]
        store.put(self.population_namespace, pop_key, population)
        detail = {**score.detail, "z": round(z, 4)}
        if z_pop is not None:
            detail["z_population"] = round(z_pop, 4)
        return BehaviourScore(
            score=round(value, 6),
            contributed=score.contributed,
            scope_id=score.scope_id,
            window_start_s=score.window_start_s,
            window_end_s=score.window_end_s,
            event_ids=score.event_ids,
            event_count=score.event_count,
            detail=detail,
        )

    def update(self, obs: Observation, state: dict | None) -> tuple[BehaviourScore, dict | None]:
        """The user's own part: window amount and z against the user's past windows."""
        opts = self.options
        state = state or {"b": [], "since": bucket_start(obs.ts, opts.step_s), "i": []}
        buckets = add(state["b"], obs.ts, opts.step_s, self.amount(obs))
        end = bucket_start(obs.ts, opts.step_s) + opts.step_s
        horizon = end - opts.window_s * (opts.history + 1)
        buckets = prune(buckets, horizon)
        counts = (
            None
            if self.amount_is_count
            else prune(add(state.get("n", []), obs.ts, opts.step_s, 1), horizon)
        )
        since = min(state["since"], bucket_start(obs.ts, opts.step_s))
        start = end - opts.window_s
        current = total(buckets, start, end)
        detail = {"amount": current}
        if current >= opts.min_amount:  # most users, most windows: no baseline needed
            history = BucketSums(buckets).block_totals(start, opts.window_s, opts.history, since)
            if len(history) >= opts.min_history:
                detail["z_self"] = round(robust_z(current, history, opts.min_scale), 4)
        ids = [*state["i"], obs.event_id][-opts.max_event_ids :]
        score = BehaviourScore(
            score=0.0,
            contributed=True,
            scope_id=obs.user_id,
            window_start_s=start,
            window_end_s=end,
            event_ids=ids,
            event_count=int(current if counts is None else total(counts, start, end)),
            detail=detail,
        )
        new_state = {"b": buckets, "since": since, "i": ids}
        if counts is not None:
            new_state["n"] = counts
        return score, new_state
