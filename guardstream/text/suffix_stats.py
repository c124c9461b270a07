"""Cheap token statistics of a text's tail, for spotting optimised adversarial suffixes.

Why: GCG-style attacks append 15-30 tokens that a search chose for their effect on the model,
not for meaning: word fragments glued to punctuation ("similarlyNow", "oppositeley.]("), runs
of brackets, capitals inside words, no vowels. Code and maths are punctuation-heavy too, but
evenly; a suffix is a sudden change at the end. So every statistic is taken on the tail, and
some are also compared with the head. Regex counts only (C speed), no vocabulary lookups.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

TAIL_CHARS = 200
HEAD_CHARS = 200
FEATURES = (
    "tail_punct",
    "tail_odd_punct",
    "tail_runs_per_char",
    "tail_inner_capitals",
    "tail_glued_tokens",
    "tail_vowelless_tokens",
    "tail_short_tokens",
    "punct_shift",
    "runs_shift",
    "log_length",
    "tail_lone_punct",
    "tail_unknown_words",
    "unknown_shift",
    "end_odd_punct",
    "end_glued_tokens",
    "end_unknown_words",
    "end_inner_capitals",
    "tail_newlines",
)
END_CHARS = 80

_PUNCT = re.compile(r"[^\w\s]")
_ODD = re.compile(r"[\[\]{}()\\`|~^<>*_=+#@$%]")
_RUNS = re.compile(r"[A-Za-z]+|\d+|[^\w\s]+|[^\W\d_A-Za-z]+")
_INNER_CAPS = re.compile(r"[a-z][A-Z]")
_GLUED = re.compile(r"[A-Za-z][^\w\s'’-]+[A-Za-z]|[^\w\s'’\"(-]{1}[A-Za-z]{2,}[^\w\s.,!?;:'’\")-]")
_VOWELLESS = re.compile(r"\b[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]{3,}\b")
_WORDS = re.compile(r"\S+")
#: Markdown line markers (headings, bullets, numbered items, quotes) are layout, not noise.
_LINE_MARKERS = re.compile(r"(?m)^[ \t]*(?:#{1,6}|[-*+>]|\d{1,3}[.)])[ \t]+")
#: Social-post markup (links, @mentions, #hashtag chains, the corpora's URL/USER placeholders,
#: query strings of links that a tokeniser split: "watch ? v = KrdyCxpB4fs") is how tweets and
#: forum posts are written, not noise: a tweet ending in "#MAGA#KAG URL" was the main false
#: positive on clean forum text. Removed before any statistic is taken.
_SOCIAL = re.compile(
    r"https?://\S+|www\.\S+|\[(?:URL|USER)\]|\b(?:URL|USER)\b"
    r"|(?<![\w@#])[@#][A-Za-z_]\w*(?:#\w+)*"
    r"|\s\?\s\w+\s=\s\S+(?:\s[&_=]\s\S+)*"
)
_SOCIAL_HINT = re.compile(r"[@#]|://|www\.|URL|USER|\s\?\s\w+\s=|``|''")
#: Treebank-tokenised quotes (``like this'') as forum corpora write them: one plain quote each.
_TREEBANK_QUOTES = re.compile(r"``|''")
_ALPHA = re.compile(r"[A-Za-z]{2,}")
_LONE_PUNCT = re.compile(r"(?:^|\s)[^\w\s]{1,3}(?=\s|$)")


_GATE = re.compile(r"[\[\]{}()\\`|~^<>*_=+#@$%]|[a-z][A-Z]")


def without_social_markup(text: str) -> str:
    """`text` without links, mentions, hashtags and treebank quotes (skipped when none occur)."""
    if _SOCIAL_HINT.search(text) is None:
        return text
    return _TREEBANK_QUOTES.sub('"', _SOCIAL.sub(" ", text)).rstrip()


def has_suffix_signs(text: str) -> bool:
    """Gate: a tail with no odd punctuation and no inner capital is never scored (score 0).
    Every optimised suffix seen here has one; most prose has neither, which keeps this cheap.
    Social markup does not count (`without_social_markup`)."""
    text = without_social_markup(text[-(TAIL_CHARS * 2) :])
    return _GATE.search(text, max(0, len(text) - TAIL_CHARS)) is not None


def _ratio(pattern: re.Pattern[str], text: str, per: float) -> float:
    return len(pattern.findall(text)) / per if per else 0.0


def _unknown(text: str, vocab: frozenset[str]) -> float:
    """Share of alphabetic runs that are not whole words of the vocabulary (lower-cased)."""
    words = _ALPHA.findall(text)
    if not words:
        return 0.0
    return sum(1 for w in words if w.lower() not in vocab) / len(words)


def suffix_features(text: str, vocab: frozenset[str] = frozenset()) -> list[float]:
    """The FEATURES of one text, in order; `vocab` = known lower-case words."""
    length = len(text)
    text = without_social_markup(text[-(TAIL_CHARS * 3) :])
    newlines = text.count("\n", max(0, length - TAIL_CHARS)) / TAIL_CHARS * 100
    text = _LINE_MARKERS.sub("", text[-(TAIL_CHARS + HEAD_CHARS) :])
    tail = text[-TAIL_CHARS:]
    head = (
        text[max(0, len(text) - TAIL_CHARS - HEAD_CHARS) : -TAIL_CHARS]
        if len(text) > TAIL_CHARS
        else ""
    )
    n = max(len(tail), 1)
    tokens = _WORDS.findall(tail)
    k = max(len(tokens), 1)
    tail_punct = _ratio(_PUNCT, tail, n)
    tail_runs = _ratio(_RUNS, tail, n)
    head_punct = _ratio(_PUNCT, head, len(head)) if head else tail_punct
    head_runs = _ratio(_RUNS, head, len(head)) if head else tail_runs
    short = sum(1 for t in tokens if len(t) <= 2) / k
    tail_unknown = _unknown(tail, vocab)
    head_unknown = _unknown(head, vocab) if head else tail_unknown
    return [
        tail_punct,
        _ratio(_ODD, tail, n),
        tail_runs,
        _ratio(_INNER_CAPS, tail, k),
        _ratio(_GLUED, tail, k),
        _ratio(_VOWELLESS, tail, k),
        short,
        tail_punct - head_punct,
        tail_runs - head_runs,
        math.log1p(length),
        _ratio(_LONE_PUNCT, tail, k),
        tail_unknown,
        tail_unknown - head_unknown,
        *_end_features(text[-END_CHARS:], vocab),
        newlines,
    ]


def _end_features(end: str, vocab: frozenset[str]) -> list[float]:
    """The last few tokens alone: a short suffix is diluted in a 200-character tail."""
    k = max(len(_WORDS.findall(end)), 1)
    return [
        _ratio(_ODD, end, max(len(end), 1)),
        _ratio(_GLUED, end, k),
        _unknown(end, vocab),
        _ratio(_INNER_CAPS, end, k),
    ]


def suffix_matrix(texts: list[str], vocab: frozenset[str] = frozenset()) -> np.ndarray:
    return np.array([suffix_features(t, vocab) for t in texts], dtype=np.float64).reshape(
        len(texts), len(FEATURES)
    )


def gated_scores(estimator: Any, texts: list[str], vocab: frozenset[str]) -> np.ndarray:
    """P(suffix) from a fitted classifier over FEATURES, 0 where the gate fails: what
    `obfuscation.adversarial_suffix` scores, and what its training evaluates."""
    scores = np.zeros(len(texts))
    keep = [i for i, text in enumerate(texts) if has_suffix_signs(text)]
    if keep:
        features = suffix_matrix([texts[i] for i in keep], vocab)
        scores[keep] = estimator.predict_proba(features)[:, 1]
    return scores


def word_vocabulary(tokenizer_vocab: dict[str, int] | list[str]) -> frozenset[str]:
    """Whole words (no '##' pieces, no [special] tokens) of a WordPiece vocabulary."""
    return frozenset(t for t in tokenizer_vocab if t.isalpha() and not t.startswith("##"))
