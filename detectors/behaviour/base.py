"""What a behaviour detector sees per event and what it returns: plain data, no Kafka.

A behaviour detector is a small stateful class, like river's: `update(observation, state)`
folds one event into the state of its key and returns the score after it. Events reach it in
event-time order per key; the windows are event-time windows, so replaying a file gives the
same scores as the live stream.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from guardstream.contracts import LLMEvent, Scope, Severity


class BehaviourOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class EventFacts:
    """What behaviour needs of an event beyond its scores, taken where the event is scored
    (a scoring process, if the worker uses one) and handed on with its score record."""

    event_id: str
    app_id: str
    user_id: str
    session_id: str | None
    ts: float
    tokens: float  # input + output tokens, else text length / 4
    embedding: np.ndarray | None = None  # the user text's static embedding (unit, float32)

    @classmethod
    def of(cls, event: LLMEvent, embedding: np.ndarray | None = None) -> EventFacts:
        if event.input_tokens is None and event.output_tokens is None:
            text = len(event.prompt_text()) + len(event.response or "")
            tokens = float(text // CHARS_PER_TOKEN)
        else:
            tokens = float((event.input_tokens or 0) + (event.output_tokens or 0))
        return cls(
            event.event_id,
            event.app_id,
            event.user_id,
            event.session_id,
            event.timestamp.timestamp(),
            tokens,
            None if embedding is None else np.asarray(embedding, dtype=np.float32),
        )


@dataclass(frozen=True)
class Observation:
    """One scored event as behaviour detectors see it."""

    facts: EventFacts
    scores: Mapping[str, float]
    flags: frozenset[str]

    ts = property(lambda self: self.facts.ts)
    event_id = property(lambda self: self.facts.event_id)
    app_id = property(lambda self: self.facts.app_id)
    user_id = property(lambda self: self.facts.user_id)
    session_id = property(lambda self: self.facts.session_id)
    embedding = property(lambda self: self.facts.embedding)

    @property
    def user_key(self) -> str:
        return f"{self.app_id}\x1f{self.user_id}"


@dataclass(frozen=True)
class BehaviourScore:
    """The score after an event, the window it covers and the events that drove it.

    `contributed` says whether this event itself added to the evidence (an attack, a retry, a
    request): only those may raise or update an alert.
    """

    score: float
    contributed: bool
    scope_id: str
    window_start_s: float  # epoch seconds: turned into datetimes only for an alert
    window_end_s: float
    event_ids: Sequence[str] = ()
    event_count: int = 0
    detail: dict[str, float] = field(default_factory=dict)


class BehaviourDetector(ABC):
    """Subclasses set the class attributes, `key` and `update`."""

    name: ClassVar[str]
    score_key: ClassVar[str]
    version: ClassVar[str] = "1"
    category: ClassVar[str] = "abuse"
    severity: ClassVar[Severity] = "medium"
    scope: ClassVar[Scope] = "user"
    default_threshold: ClassVar[float] = 0.5
    Options: ClassVar[type[BehaviourOptions]] = BehaviourOptions
    # Per-event signals this detector reads; their thresholds decide `Observation.flags`.
    needs_embedding: ClassVar[bool] = False

    def __init__(self, options: BaseModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

    @property
    def namespace(self) -> str:
        """The state namespace (a field of each key's row in the worker's state table)."""
        return self.score_key

    def key(self, obs: Observation) -> str | None:
        """State key of the event (None: this event has no such scope, e.g. no session)."""
        return obs.user_key

    def scope_id(self, obs: Observation) -> str:
        return obs.user_id

    @abstractmethod
    def update(self, obs: Observation, state: dict | None) -> tuple[BehaviourScore, dict | None]:
        """Fold one event into `state` (None for a new key); return the score and new state
        (None deletes the key)."""
