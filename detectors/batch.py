"""A batch of events with featurisation computed once and shared by every detector."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from guardstream.contracts import LLMEvent
from guardstream.models.featuriser import Featuriser, default_featuriser
from guardstream.text.normalise import NormalisedText, normalise
from guardstream.text.segments import segments

# Every text a detector sees is clipped once, here, to this many characters (configurable via
# `limits.max_text_chars`): detector cost per event is bounded whatever the event's size.
DEFAULT_MAX_TEXT_CHARS = 100_000


class EventBatch:
    """Events plus lazily computed, cached views of their text.

    Detectors ask for what they need; whatever one computes (normalised text, embeddings) the
    next one gets for free. The four text views are clipped to `max_chars`.
    """

    def __init__(
        self,
        events: Sequence[LLMEvent],
        featuriser: Featuriser | None = None,
        max_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self.events = list(events)
        self._featuriser = featuriser
        self.max_chars = max_chars

    @property
    def featuriser(self) -> Featuriser:
        if self._featuriser is None:
            self._featuriser = default_featuriser()
        return self._featuriser

    def __len__(self) -> int:
        return len(self.events)

    @cached_property
    def prompts(self) -> list[str]:
        return [(e.prompt_text())[: self.max_chars] for e in self.events]

    @cached_property
    def user_texts(self) -> list[str]:
        return [(e.user_text())[: self.max_chars] for e in self.events]

    @cached_property
    def contexts(self) -> list[str]:
        return [(e.context_text())[: self.max_chars] for e in self.events]

    @cached_property
    def responses(self) -> list[str]:
        return [(e.response or "")[: self.max_chars] for e in self.events]

    @cached_property
    def normalised_users(self) -> list[NormalisedText]:
        """What the user typed (for chats: the user turns), de-obfuscated, so an encoded attack
        still reads as an attack."""
        return [normalise(t) for t in self.user_texts]

    @cached_property
    def normalised_contexts(self) -> list[NormalisedText]:
        """Documents, tool output and system turns, de-obfuscated: where indirect attacks hide."""
        return [normalise(t) for t in self.contexts]

    @cached_property
    def normalised_responses(self) -> list[NormalisedText]:
        return [normalise(t) for t in self.responses]

    @cached_property
    def normalised_user_texts(self) -> list[str]:
        return [n.text for n in self.normalised_users]

    @cached_property
    def user_embeddings(self) -> np.ndarray:
        return self.featuriser.embed(self.normalised_user_texts)

    @cached_property
    def user_features(self) -> sp.csr_matrix:
        return self.featuriser.features(self.normalised_user_texts, self.user_embeddings)

    @cached_property
    def user_features_emoji_named(self) -> sp.csr_matrix:
        """`user_features` with emoji spelled out (for models trained that way: toxicity);
        rows of texts without emoji are shared with `user_features`."""
        return self.featuriser.emoji_named_features(self.normalised_user_texts, self.user_features)

    def user_features_for(self, emoji_names: bool) -> sp.csr_matrix:
        return self.user_features_emoji_named if emoji_names else self.user_features

    @cached_property
    def response_embeddings(self) -> np.ndarray:
        return self.featuriser.embed([n.text for n in self.normalised_responses])

    @cached_property
    def response_features(self) -> sp.csr_matrix:
        texts = [n.text for n in self.normalised_responses]
        return self.featuriser.features(texts, self.response_embeddings)

    @cached_property
    def response_features_emoji_named(self) -> sp.csr_matrix:
        texts = [n.text for n in self.normalised_responses]
        return self.featuriser.emoji_named_features(texts, self.response_features)

    def response_features_for(self, emoji_names: bool) -> sp.csr_matrix:
        return self.response_features_emoji_named if emoji_names else self.response_features

    @cached_property
    def context_features(self) -> tuple[np.ndarray, sp.csr_matrix | None]:
        """Indices of events that have context, and the features of those contexts only."""
        indices = np.array([i for i, t in enumerate(self.contexts) if t], dtype=int)
        if not len(indices):
            return indices, None
        texts = [self.normalised_contexts[i].text for i in indices]
        return indices, self.featuriser.features(texts)

    @cached_property
    def context_segment_features(self) -> tuple[np.ndarray, sp.csr_matrix | None]:
        """Event index of each context segment, and the segments' features (segment-max
        scoring of documents; see guardstream.text.segments)."""
        owners: list[int] = []
        texts: list[str] = []
        for i, context in enumerate(self.normalised_contexts):
            if not context.text:
                continue
            parts = segments(context.text)
            if len(parts) > 1:  # one segment is the whole context, already scored
                owners.extend([i] * len(parts))
                texts.extend(parts)
        if not texts:
            return np.zeros(0, dtype=int), None
        return np.array(owners, dtype=int), self.featuriser.features(texts)
