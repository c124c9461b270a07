"""Realistic benign prompts (label 0): real chat-assistant users, consumer health questions and
benign look-alikes built to trip over-defensive filters.

Why: the first benign pools were benchmark questions and intents; real users paste documents,
configure their own assistants ("# Role: You are ...") and ask about drugs, attacks and
wars in good faith. These sources set the thresholds (see `train.REALISTIC_BENIGN`).
ShareGPT is unfiltered, so the jailbreak attempts in it are removed first, and every turn is
grouped by its conversation so folds never split one conversation.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Iterable
from pathlib import Path

from ._xlsx import read_xlsx
from .records import HARD_NEGATIVE, Sample, clean, read_json, read_jsonl

LICENCES: dict[str, str] = {
    "benign_sharegpt": "unspecified (research use)",
    "notinject": "MIT",
    "wildguard.benign": "ODC-BY",
    "coconot.contrast": "MIT",
    "coconot.pref": "MIT",
    "coconot.benign": "MIT",
    "consumer_health.meqsum": "CC-BY-4.0",
    "consumer_health.medicationqa": "unspecified (research use)",
}
SHAREGPT_CAP = 12000
SHAREGPT_GROUPS = 6

#: Jailbreak and unfiltered-persona markers: ShareGPT turns matching one are not benign. The
#: persona acronyms are case-sensitive ("I aim to", "Dan" the name are fine).
JAILBREAK_NAMES = re.compile(r"\b(?:DAN|DUDE|STAN|AIM|BetterDAN|UCAR|APOPHIS)\b")
JAILBREAK = re.compile(
    r"jail ?break|do anything now|developer mode|filter improvement mode|"
    r"ignore (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier) "
    r"(?:instructions|prompts|rules|directions)|"
    r"disregard (?:all |any )?(?:the |your )?(?:previous|prior) instructions?|"
    r"(?:no|without|free of|not bound by|ignore) (?:any )?(?:ethical|moral|content) "
    r"(?:guidelines|restrictions|limits|policy|policies|filters)|"
    r"\bunfiltered\b|\buncensored\b|\bunrestricted (?:ai|mode)\b|openai(?:'s)? (?:content )?polic|"
    r"anti-?gpt|evil (?:confidant|ai|bot)|opposite mode",
    re.I,
)


def is_jailbreak_like(text: str) -> bool:
    """Dropped from the benign pools: jailbreaks, and "ignore previous instructions" prompt
    boilerplate, which is ambiguous enough to be neither a clean negative nor a positive."""
    return bool(JAILBREAK.search(text) or JAILBREAK_NAMES.search(text))


def _group(source: str, key: str, groups: int) -> str:
    return f"{source}#{zlib.crc32(key.encode()) % groups}"


def sharegpt_turns(root: Path) -> list[tuple[str, str]]:
    """(conversation id, text) for every human turn that is not a jailbreak attempt."""
    out = []
    for row in read_jsonl(root / "benign_sharegpt/sharegpt_v3_human_turns.jsonl.gz"):
        text = clean(row.get("text"))
        if text and not is_jailbreak_like(text):
            out.append((str(row["id"]).split("_")[0], text))
    return out


def load_sharegpt(root: Path, task: str, cap: int = SHAREGPT_CAP, seed: int = 0) -> list[Sample]:
    """A seeded sample of whole conversations up to `cap` turns, grouped by conversation."""
    by_conversation: dict[str, list[str]] = {}
    for conversation, text in sharegpt_turns(root):
        by_conversation.setdefault(conversation, []).append(text)
    order = sorted(by_conversation)
    random.Random(seed).shuffle(order)
    out: list[Sample] = []
    for conversation in order:
        if len(out) >= cap:
            break
        group = _group("benign_sharegpt", conversation, SHAREGPT_GROUPS)
        for text in by_conversation[conversation]:
            out.append(
                Sample(
                    text,
                    task,
                    0,
                    "benign_sharegpt",
                    None,
                    LICENCES["benign_sharegpt"],
                    group=group,
                )
            )
    return out[:cap]


def _notinject(root: Path) -> Iterable[str]:
    for part in ("one", "two", "three"):
        for row in read_json(root / f"injecguard_notinject/datasets/NotInject_{part}.json"):
            yield row["prompt"]


def _wildguard(root: Path) -> Iterable[str]:
    for row in read_json(root / "injecguard_notinject/datasets/wildguard.json"):
        if int(row.get("label", 0)) == 0:
            yield row["prompt"]


def _coconot_contrast(root: Path) -> Iterable[str]:
    for row in read_jsonl(root / "coconot/data/coconot_contrast_eval.jsonl"):
        yield row["prompt"]


def _coconot_pref(root: Path) -> Iterable[str]:
    for row in read_jsonl(root / "coconot/data/coconot_pref.jsonl.gz"):
        yield row["prompt"]


def _coconot_benign(root: Path) -> Iterable[str]:
    """CoCoNot eval rows outside 'requests with safety concerns' (underspecified, false
    presupposition, subjective, unsupported modality...): not harmful, often odd."""
    for row in read_jsonl(root / "coconot/data/coconot_eval.jsonl"):
        if row["category"] != "Requests with safety concerns":
            yield row["prompt"]


def _meqsum(root: Path) -> Iterable[str]:
    path = root / "benign_consumer_health/MeQSum/MeQSum_ACL2019_BenAbacha_Demner-Fushman.xlsx"
    for row in read_xlsx(path):
        yield row.get("CHQ", "")


def _medicationqa(root: Path) -> Iterable[str]:
    base = root / "benign_consumer_health/Medication_QA_MedInfo2019"
    for row in read_xlsx(base / "MedInfo2019-QA-Medications.xlsx"):
        yield row.get("Question", "")


_READERS = {
    "notinject": _notinject,
    "wildguard.benign": _wildguard,
    "coconot.contrast": _coconot_contrast,
    "coconot.pref": _coconot_pref,
    "coconot.benign": _coconot_benign,
    "consumer_health.meqsum": _meqsum,
    "consumer_health.medicationqa": _medicationqa,
}
#: Sources built to look unsafe: tagged hard negatives.
_LOOKALIKES = frozenset({"notinject", "wildguard.benign", "coconot.contrast", "coconot.pref"})


def realistic_benign(root: Path, task: str, seed: int = 0) -> list[Sample]:
    """ShareGPT plus the smaller real or look-alike benign sources, in priority order."""
    out = load_sharegpt(root, task, seed=seed)
    for source, reader in _READERS.items():
        seen: set[str] = set()
        category = HARD_NEGATIVE if source in _LOOKALIKES else None
        for text in map(clean, reader(root)):
            if text and text not in seen:
                seen.add(text)
                out.append(Sample(text, task, 0, source, category, LICENCES[source]))
    return out
