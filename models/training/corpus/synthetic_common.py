"""Types and string helpers shared by the synthetic attack generators."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .dedupe import normalise


@dataclass(frozen=True, slots=True)
class Goal:
    """A harmful goal: `request` is a full sentence, `action` an infinitive verb phrase."""

    request: str
    action: str | None
    source: str
    category: str | None


@dataclass(frozen=True, slots=True)
class Generated:
    text: str
    family: str
    lang: str
    category: str | None
    goal: Goal | None = None


Builder = Callable[[random.Random], tuple[str, Goal | None]]


# --------------------------------------------------------------------------- helpers
def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _low(s: str) -> str:
    return s[:1].lower() + s[1:] if not s[:2].isupper() else s


def _pick(rng: random.Random, seq: Sequence[str]) -> str:
    return seq[rng.randrange(len(seq))]


def _vary(text: str, rng: random.Random) -> str:
    """Casing and terminal-punctuation noise (people type attacks carelessly)."""
    r = rng.random()
    if r < 0.16:
        text = text.lower()
    elif r < 0.21:
        text = text.upper()
    text = text.rstrip()
    r = rng.random()
    if r < 0.12:
        text = text.rstrip(".!?")
    elif r < 0.2 and text.endswith("."):
        text = text[:-1] + "!"
    elif r < 0.24:
        text = text.rstrip(".") + "!!"
    return text


def _end(s: str) -> str:
    return s if s[-1:] in ".!?:\"'»”)" else s + "."


def _collect(
    family: str,
    n: int,
    build: Builder,
    seed: int,
    lang: str,
    category: str | None,
    vary: bool = True,
) -> list[Generated]:
    """Call `build` until `n` distinct (normalised) texts exist; seeded per family."""
    rng = random.Random(f"{seed}:{family}:{lang}")
    seen: set[str] = set()
    out: list[Generated] = []
    for _ in range(n * 30):
        if len(out) >= n:
            break
        text, goal = build(rng)
        if vary:
            text = _vary(text, rng)
        key = normalise(text)
        if not key or key in seen:
            continue
        seen.add(key)
        cat = goal.category if category == "<goal>" and goal else category
        out.append(Generated(text, family, lang, None if cat == "<goal>" else cat, goal))
    return out


# --------------------------------------------------------------------------- English parts


def _join_lead(lead: str, body: str) -> str:
    if lead and not lead.endswith((": ", ". ", "\n", "! ")):
        body = _low(body)
    return lead + body


# --------------------------------------------------------------------------- template data
def _frozen(value: object) -> object:
    """JSON lists back to the tuples the generators were written with (hashable, immutable)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items()}
    return value


def load_tables(name: str) -> dict[str, Any]:
    """Template tables of a generator, kept in `data/<name>` so code files stay code."""
    path = Path(__file__).with_name("data") / name
    return {k: _frozen(v) for k, v in json.loads(path.read_text("utf-8")).items()}
