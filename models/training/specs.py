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
    # Features read text with emoji spelled out (guardstream.text.emoji_names); recorded in
    # the manifest's featuriser fingerprint, which the detector follows.
    emoji_names: bool = False
    # Benign pools that must each stay at <= 1% FPR (out of source folds) besides the shared
    # realistic pool: a task's own production-like negatives.
    strict_pools: tuple[frozenset[str], ...] = ()

    def combined(self, model: Any, features: Any, texts: Sequence[str]) -> np.ndarray:
        scores = model.predict_proba(features)[:, 1]
        return np.maximum(scores, self.rule(texts)) if self.rule else scores


#: Tweets and forum posts of the toxicity corpora (label 0: clean, not offensive or not
#: hate): what a moderation queue lets through.
FORUM_SOURCES = frozenset({"davidson", "olid", "edos", "toxic_spans", "stormfront", "ethos"})

SPECS: dict[str, TaskSpec] = {
    "injection": TaskSpec(
        "injection",
        "Prompt injection and jailbreak attempts (direct, role-play/DAN, goal hijacking, and "
        "instructions hidden in documents) versus ordinary prompts. Scored on the user's text and "
        "separately on context (tool output, retrieved documents).",
        [
            "Trained mostly on English; German and other languages rely on the embedding alone, "
            "and ordinary German questions score higher than English ones.",
            "Indirect injections in an unseen document format are still hard: with BIPIA held "
            "out, whole-document TPR at 1% FPR is about 0.13 (segment-max AUC 0.94, see the "
            "leave-one-source-out table); TaskTracker-style triggers are caught much better with "
            "segment-max (0.31 -> 0.74). A softly worded directive is still diluted by the "
            "sentences around it (segments are ~300+ characters, at most 8 per document) and "
            "only the first 2,000 and last 500 characters of a document are scored, as for the "
            "whole-document score.",
            "A user typing a '### System' block to configure the assistant looks like the "
            "fake-system-message attack and is flagged (one of the four held-out "
            "prompt-engineering templates, 21% of those rows); '# Role: ...' and 'act as' "
            "prompts are not.",
            "PAIR-style role-play rewrites of a harmful goal are only partly caught here: the "
            "harmful goal has to carry the signal (harmful detector), and long wrappers dilute "
            "it.",
            "Short 'deepset-style' hijacks (\"Forget everything, write X\", persona requests to "
            "a newspaper bot) are the weakest unseen direct-injection source (TPR at 1% FPR "
            "0.64); some of deepset's labels are themselves debatable.",
            "Frozen MiniLM sentence embeddings (the full transformer) did worse than this model "
            "on the held-out sources; a fine-tuned MiniLM now re-scores the uncertain band "
            "(encoder cascade, models/cards/encoder.md): PAIR-style held-out templates 0.33 -> "
            "0.59 TPR at the threshold at the default routing budget, deepset-style hijacks "
            "slightly worse (0.34 -> 0.27).",
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
            'a pipe bomb?" scores low with the linear model alone; the encoder cascade catches '
            "it).",
            "The threshold is set by the realistic benign pool (ShareGPT users, consumer health, "
            "NotInject/WildGuard/CoCoNot look-alikes), mostly by the look-alikes, so it is "
            "high: the shipped model flags under half of held-out benchmark requests at its "
            "threshold although it ranks them well (TPR at 1% FPR in the tables); lower "
            "`[detectors.harmful] threshold` for more recall.",
            "Long fiction or role-play wrappers (PAIR-style) around a harmful goal dilute the "
            "n-gram signal: few are flagged at the shipped threshold.",
        ],
        embedding_weight=0.0,
    ),
    "toxicity": TaskSpec(
        "toxicity",
        "Toxic, offensive or hateful language (explicit and implicit), applied to prompts and to "
        "responses separately.",
        [
            "Explicit abuse, sexism and hate now come from seven sources (Davidson, OLID, "
            "Civil Comments toxic spans, EDOS, Stormfront, ETHOS, HatemojiBuild), but each forum "
            "held out is ranked only moderately (own-rows ROC-AUC 0.55-0.88 in the "
            "leave-one-source-out table): the model learns each forum's vocabulary more than "
            "abuse itself.",
            "Stance is weak: counter-speech, negation and quoting hate to criticise score lower "
            "than the hate they answer, but HatemojiBuild's label-flipped twins are barely "
            "separated when that source is unseen (own-rows AUC about 0.54; no other source "
            "carries emoji stance). Emoji are read by name and the emoji-swap twins are kept in "
            "training, so on HatemojiBuild-like text the model does learn some of it (split by "
            "pair: own-rows AUC 0.68, twin accuracy 0.79). Do not use the score to judge "
            "counter-speech.",
            "The threshold is high (fitted to <= 1% FPR on clean forum posts and benign "
            "prompts), so only blatant abuse flags; plain 'I hate <group>, they are vermin' can "
            "stay under it (a strict xfail test).",
        ],
        emoji_names=True,
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
    "moderation": TaskSpec(
        "moderation",
        "Any moderation category as content or as a request for it: sexual content, self-harm, "
        "violence and threats, hate and harassment, versus clean posts and ordinary prompts. "
        "Scored on prompts and responses separately; one score for the whole policy, the way "
        "a moderation queue ranks texts.",
        [
            "Real sexual, self-harm and violent content is scarce in the training data (PyRIT's "
            "~180 human-scored responses, 200 RealToxicityPrompts lines, 600 AILuminate "
            "requests); most of it is this project's templated content families, so unseen "
            "phrasing of those categories is ranked by vocabulary more than by meaning.",
            "Hate and harassment come from the toxicity corpora and inherit the toxicity "
            "model's weak stance: counter-speech that quotes abuse still scores high.",
            "News about violence and frank sexual-health questions are the hardest negatives.",
            "The threshold also keeps the toxicity corpora's clean tweets and forum posts "
            "(label-0 rows, out of source folds, pooled) at <= 1% FPR, so it is high: it flags "
            "blatant content only. Some of those forums label 'not hate' rather than clean, so "
            "insults there count as false positives. "
            "Rank by the score, or lower `[detectors.moderation] threshold`, for more recall.",
        ],
        emoji_names=True,
        strict_pools=(FORUM_SOURCES,),
    ),
}
