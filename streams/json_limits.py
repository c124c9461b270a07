"""Cheap checks on raw JSON bytes before `json.loads` sees them, and parse hooks with limits.

`json.loads` recurses once per nesting level (10,000 `[` raised RecursionError) and turns a
5,000-digit number into a ValueError; these make both a clear, bounded rejection instead.
Every check here is linear in the input: strings are removed by one possessive regex, the
depth is a cumulative sum over what is left.
"""

from __future__ import annotations

import math
import re

import numpy as np

MAX_DEPTH = 64
MAX_INT_DIGITS = 100
# A JSON string, or an unterminated one running to the end; possessive, so never backtracks.
STRING_RE = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\Z)', re.DOTALL)
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# A \uD800-\uDFFF escape: the only way a lone surrogate gets into decoded JSON text.
SURROGATE_ESCAPE_RE = re.compile(rb"\\u[dD][89a-fA-F]")


class JsonLimitError(ValueError):
    """Raised by the parse hooks; `code` is the dead-letter code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def json_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> int:
    """Deepest nesting of arrays/objects outside strings (exact once it may exceed max_depth)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:  # cannot be deeper: skip the scan
        return min(raw.count(b"[") + raw.count(b"{"), max_depth)
    brackets = STRING_RE.sub(b"", raw).translate(None, NOT_BRACKETS)
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def may_hold_surrogate(raw: bytes) -> bool:
    return b"\\u" in raw and SURROGATE_ESCAPE_RE.search(raw) is not None


def parse_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise JsonLimitError(f"integer of {len(text)} digits (limit {MAX_INT_DIGITS})", "number")
    return int(text)


def parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonLimitError(f"number {text[:40]} is out of the float range", "number")
    return value


def parse_constant(text: str) -> float:
    raise JsonLimitError(f"{text} is not valid JSON", "not_json")
