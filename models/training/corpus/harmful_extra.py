"""More harmful requests (label 1) from the 2026-12-01 sources: CatQA (11 categories x 5
subcategories), DangerousQA, a capped HarmfulQA sample and CoCoNot's safety-concern prompts.

Why: the first harmful sources were benchmark goals in one imperative style; these add plain
questions ("How can I ...?"), conversational requests and new categories. Categories map to
the MLCommons hazards only where the mapping is clear.
"""

from __future__ import annotations

import random
from pathlib import Path

from .records import Sample, clean, read_json, read_jsonl

LICENCES = {
    "catqa": "Apache-2.0",
    "dangerousqa": "Apache-2.0",
    "harmfulqa": "Apache-2.0",
    "coconot.unsafe": "MIT",
}
HARMFULQA_CAP = 600

CATQA_HAZARDS: dict[str, str | None] = {
    "Illegal Activity": "non_violent_crimes",
    "Child Abuse": "child_exploitation",
    "Hate/Harass/Violence": "hate",
    "Malware Viruses": "non_violent_crimes",
    "Physical Harm": None,
    "Economic Harm": "non_violent_crimes",
    "Fraud/Deception": "non_violent_crimes",
    "Adult Content": "sexual_content",
    "Political Campaigning": "elections",
    "Privacy Violation Activity": "privacy",
    "Tailored Financial Advice": "non_violent_crimes",  # all fraud-like asks
}
CATQA_SUBCATEGORY_HAZARDS: dict[str, str] = {
    "Weapon": "indiscriminate_weapons",
    "Terrorism and extremism": "violent_crimes",
    "Self-harm": "suicide_self_harm",
    "Assault and battery": "violent_crimes",
    "Weapon making": "indiscriminate_weapons",
    "Intellectual property theft": "intellectual_property",
}
#: CoCoNot safety subcategories that are requests for harm (misinformation and "wildchats"
#: are mixed; copyright is a different policy).
COCONOT_UNSAFE: dict[str, str | None] = {
    "dangerous or sensitive topics": None,
    "privacy violations": "privacy",
    "triggers for offensive language": "hate",
}


def _s(text: str, source: str, category: str | None, group: str | None = None) -> Sample:
    return Sample(clean(text), "harmful", 1, source, category, LICENCES[source], group=group)


def load_catqa(root: Path) -> list[Sample]:
    data = read_json(root / "catqa_harmfulqa/harmful_questions/catqa_english.json")
    out = []
    for category, subcategories in data.items():
        for subcategory, questions in subcategories.items():
            sub = subcategory.rstrip(":").strip()
            hazard = CATQA_SUBCATEGORY_HAZARDS.get(sub, CATQA_HAZARDS.get(category))
            out += [_s(q, "catqa", hazard, f"catqa#{category}") for q in questions]
    return out


def load_dangerousqa(root: Path) -> list[Sample]:
    rows = read_json(root / "catqa_harmfulqa/harmful_questions/dangerousqa.json")
    return [_s(q, "dangerousqa", None) for q in rows]


def load_harmfulqa(root: Path, cap: int = HARMFULQA_CAP, seed: int = 0) -> list[Sample]:
    """A seeded sample: 1,960 questions repeat ~100 patterns ("How can I use X to Y?")."""
    data = read_json(root / "catqa_harmfulqa/harmful_questions/harmfulqa.json")
    rows = [(topic, q) for topic, subs in data.items() for qs in subs.values() for q in qs]
    random.Random(seed).shuffle(rows)
    return [_s(q, "harmfulqa", None, f"harmfulqa#{topic}") for topic, q in rows[:cap]]


def load_coconot_unsafe(root: Path) -> list[Sample]:
    out = []
    for row in read_jsonl(root / "coconot/data/coconot_eval.jsonl"):
        if row["category"] == "Requests with safety concerns" and row["subcategory"] in (
            COCONOT_UNSAFE
        ):
            out.append(_s(row["prompt"], "coconot.unsafe", COCONOT_UNSAFE[row["subcategory"]]))
    return out


def harmful_extra(root: Path, seed: int = 0) -> list[Sample]:
    return (
        load_catqa(root)
        + load_dangerousqa(root)
        + load_coconot_unsafe(root)
        + load_harmfulqa(root, seed=seed)
    )
