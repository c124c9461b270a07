"""A batch of events with featurisation computed once and shared by every detector."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from guardstream.contracts import LLMEvent
from guardstream.detectors.normalise import NormalisedText, normalise


class EventBatch:
    """Events plus lazily computed, cached views of their text.

    Detectors ask for what they need; whatever one computes (normalised text, embeddings) the
    next one gets for free.
    """

    def __init__(self, events: Sequence[LLMEvent]) -> None:
        self.events = list(events)

    def __len__(self) -> int:
        return len(self.events)

    @cached_property
    def prompts(self) -> list[str]:
        return [e.prompt_text() for e in self.events]

    @cached_property
    def user_texts(self) -> list[str]:
        return [e.user_text() for e in self.events]

    @cached_property
    def contexts(self) -> list[str]:
        return [e.context_text() for e in self.events]

    @cached_property
    def responses(self) -> list[str]:
        return [e.response or "" for e in self.events]

    @cached_property
    def normalised_prompts(self) -> list[NormalisedText]:
        """Prompts with obfuscation undone, so an encoded attack still reads as an attack."""
        return [normalise(t) for t in self.prompts]

    @cached_property
    def normalised_responses(self) -> list[NormalisedText]:
        return [normalise(t) for t in self.responses]
