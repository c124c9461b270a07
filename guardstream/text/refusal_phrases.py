"""First-person refusal openings ("I'm sorry, but I can't help with that").

Refusals are formulaic: a lexicon catches the common ones exactly, the trained model catches
paraphrases. Used by the refusal detector and by its training evaluation alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

HEAD_CHARS = 300
LEXICON_SCORE = 0.9
ACTIONS = (
    r"(?:help|assist|provide|comply|do (?:that|this)|create|generate|write|answer|fulfil+|support|"
    r"engage|give|share|produce|complete|continue|participate|offer|discuss)"
)
REFUSAL_RE = re.compile(
    r"\b(?:I(?:'m| am) sorry|I apologi[sz]e|sorry)\b[^.!?\n]{0,80}?"
    r"\b(?:can(?:no|'|’)?t|can not|won(?:'|’)t|will not|unable|not able|must decline)\b"
    rf"|\bI (?:can(?:no|'|’)t|can not|won(?:'|’)t|will not|am unable to|am not able to|must "
    rf"(?:decline|refuse)|refuse to|do not feel comfortable|don(?:'|’)t feel comfortable)"
    rf"(?: \w+){{0,3}} {ACTIONS}\b"
    r"|\bas an AI(?: language model)?,? I (?:can(?:no|'|’)t|cannot|do not|don(?:'|’)t|am not)\b",
    re.IGNORECASE,
)


def refusal_lexicon_scores(responses: Sequence[str]) -> np.ndarray:
    """LEXICON_SCORE where a refusal opening appears near the start, else 0."""
    return np.array(
        [LEXICON_SCORE if r and REFUSAL_RE.search(r[:HEAD_CHARS]) else 0.0 for r in responses],
        dtype=np.float32,
    )
