"""Indirect injections in agent tool outputs (InjecAgent) and TaskTracker trigger phrases
planted in ordinary documents.

Why: BIPIA and the synthetic documents plant directives in prose; agents read JSON tool
responses (product reviews, e-mails, calendar notes) where the attacker text sits in one
field, and attackers lead with attention grabbers ("Disregard any prior directives...").
Each poisoned response has a clean twin whose field holds ordinary text (data/
agent_fillers.json), and each planted document its clean original. Folds group InjecAgent by
attacker case and TaskTracker by trigger, so a phrasing never sits on both sides of a fold.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from .indirect import plant
from .records import Sample, clean, read_json, read_jsonl

LICENCES = {"injecagent": "MIT", "tasktracker": "MIT"}
DATA = Path(__file__).with_name("data")
INJECAGENT_CAP = 900
TASKTRACKER_DOCS = 700
_SLOT = "<Attacker Instruction>"


def _fillers() -> list[str]:
    return json.loads((DATA / "agent_fillers.json").read_text("utf-8"))["fillers"]


def _sample(text: str, source: str, label: int, group: str) -> Sample:
    category = "indirect_injection" if label else None
    return Sample(clean(text), "injection", label, source, category, LICENCES[source], group=group)


def load_injecagent(root: Path, cap: int = INJECAGENT_CAP, seed: int = 0) -> list[Sample]:
    rng = random.Random(seed)
    fillers = _fillers()
    cases = []
    for name in ("dh_base", "dh_enhanced", "ds_base", "ds_enhanced"):
        cases += read_json(root / "injecagent/data" / f"test_cases_{name}.json")
    rng.shuffle(cases)
    out: list[Sample] = []
    for case in cases[:cap]:
        group = f"injecagent#{case['Attacker Instruction'][:60]}"
        response = str(case["Tool Response"]).strip('"')
        twin = str(case["Tool Response Template"]).replace(_SLOT, rng.choice(fillers))
        out.append(_sample(response, "injecagent", 1, group))
        out.append(_sample(twin, "injecagent", 0, group))
    return out


def _triggers(root: Path) -> list[str]:
    base = root / "tasktracker/task_tracker/dataset_creation/datasets"
    lines: list[str] = []
    for name in ("saved_injections.txt", "saved_injections_test.txt"):
        lines += (base / name).read_text("utf-8").splitlines()
    return [t for t in map(clean, lines) if t]


def _tasks(root: Path) -> list[str]:
    base = root / "tasktracker/task_tracker/dataset_creation/datasets"
    tasks = []
    for line in (base / "trivia_pairs.txt").read_text("utf-8").splitlines():
        question = clean(line.split(" Answer:")[0].removeprefix("Question:"))
        if question:
            tasks.append(f"Answer this question: {question}")
    tasks += [
        clean(t)
        for t in (base / "translated_secondary_tasks.txt").read_text("utf-8").splitlines()
        if clean(t)
    ]
    return tasks


def _abstracts(root: Path) -> list[str]:
    path = root / "benign_pubmedqa/scripts/eval/local_data/reading_comprehension"
    out = []
    for row in read_jsonl(path / "pubmed_qa_labeled.jsonl"):
        ctx = row["context"].split("\nQuestion:")[0].removeprefix("Context: ")
        out.append(clean(ctx))
    return [t for t in out if len(t) > 200]


_WRAPS = (
    "{doc}",
    '{{"title": "Search result", "snippet": {doc_json}}}',
    "Retrieved passage:\n{doc}",
    "<html><body><p>{doc}</p></body></html>",
)


def load_tasktracker(root: Path, docs: int = TASKTRACKER_DOCS, seed: int = 0) -> list[Sample]:
    """Trigger + secondary task planted at the start, middle or end of a PubMed abstract."""
    rng = random.Random(seed + 7)
    triggers, tasks, abstracts = _triggers(root), _tasks(root), _abstracts(root)
    rng.shuffle(abstracts)
    out: list[Sample] = []
    for doc in abstracts[:docs]:
        index = rng.randrange(len(triggers))
        attack = f"{triggers[index]} {rng.choice(tasks)}"
        attacked = plant(doc, attack, rng.randrange(3), ". ")
        wrap = rng.choice(_WRAPS)
        group = f"tasktracker#{index % 10}"
        for text, label in ((attacked, 1), (doc, 0)):
            out.append(
                _sample(
                    wrap.format(doc=text, doc_json=json.dumps(text)), "tasktracker", label, group
                )
            )
    return out


def agent_injection_samples(root: Path, seed: int = 0) -> list[Sample]:
    return load_injecagent(root, seed=seed) + load_tasktracker(root, seed=seed)
