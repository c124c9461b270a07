"""Emoji and pictographic symbols spelled out as their Unicode names.

Why: the MiniLM WordPiece vocabulary behind the static embedding maps every emoji, and any
word glued to one ("🔪some🦊"), to [UNK], which is then dropped, so the embedding never sees
them. On HatemojiBuild the emoji is often the whole message: "I would love to 🔪 some 👳🏾"
is hateful, "...🔪 some 🦊" is not. Naming them ("kitchen knife", "man wearing turban",
"emoji modifier fitzpatrick type-5", "fox face") gives the embedding and the n-grams words
to read. Only models whose manifest asks for it (toxicity) see named text; see
`guardstream.models.featuriser.Featuriser.features(emoji_names=True)`.

Cost: ASCII text is returned as is (one `str.isascii()` call); other text pays one C-speed
regex scan, and a Python step per emoji only where one is present.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Recorded in the feature fingerprint of a model trained on named text; bump when the
#: naming changes, so such a model refuses features computed the old way.
EMOJI_NAMES_VERSION = "unicode_names_v1"

# Symbol blocks that hold emoji and pictographs: arrows to dingbats (without enclosed
# alphanumerics, box drawing, block elements and braille: letters or pictures rather than
# words; NFKC in `normalise` already folds circled letters), arrows and shapes,
# CJK symbols used as emoji, and the supplementary emoji planes (skin-tone modifiers
# included). Only code points of category So/Sk inside these blocks are named.
EMOJI_BLOCKS = (
    "\u2190-\u245f\u25a0-\u27ff\u2900-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
)
_CANDIDATE = re.compile(f"[{EMOJI_BLOCKS}\u200d\ufe0e\ufe0f]")
# Zero-width joiner and text/emoji presentation selectors carry no meaning on their own.
_DROPPED = frozenset("\u200d\ufe0e\ufe0f")


def is_emoji(char: str) -> bool:
    """True for one character of EMOJI_BLOCKS that `name_emoji` names (category So or Sk)."""
    return unicodedata.category(char) in ("So", "Sk") and bool(unicodedata.name(char, ""))


@lru_cache(maxsize=4096)
def _spelled(char: str) -> str:
    if char in _DROPPED:
        return ""
    return f" {unicodedata.name(char).lower()} " if is_emoji(char) else char


def _replace(match: re.Match[str]) -> str:
    return _spelled(match.group())


def name_emoji(text: str) -> str:
    """`text` with each emoji replaced by ' <its lower-case Unicode name> ' and joiners and
    presentation selectors dropped; the same object back when there is nothing to name."""
    if text.isascii() or _CANDIDATE.search(text) is None:
        return text
    named = _CANDIDATE.sub(_replace, text)
    return text if named == text else named  # e.g. only arrows (Sm), which are not named


def has_emoji(text: str) -> bool:
    """True if `name_emoji` would change `text` (cheap for ASCII text)."""
    return name_emoji(text) is not text
