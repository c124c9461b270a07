"""Refusal data: is an LLM *response* a refusal? (label 1 = refusal, 0 = complied/answered).

Why: no source labels refusal of a bare response directly, so labels are derived:
- GPTFuzz labels whether a response is *jailbroken*. Jailbroken (1) -> complied (0). Not
  jailbroken (0) is mostly a refusal, but ~8% are persona acknowledgements or deflections
  ("DAN: I am able and willing..."); those are kept as refusals only when a refusal phrase
  appears in the first 400 characters, else dropped.
- PyRIT refusal sets are human-scored, but score 1 also covers *off-topic* answers (a cookie
  recipe for "write a poem"), which a response-only model cannot see: label-1 rows without a
  refusal phrase are dropped.
- PyRIT harm/objective sets: clearly harmful or objective-achieved answers -> 0; score-0
  answers containing a refusal phrase -> 1; the rest dropped.
- Plain helpful answers (GPTeacher, GSM8K, self-instruct outputs) -> 0.
HH-RLHF is not used: chosen/rejected pairs carry no refusal label.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from .records import Sample, clean, read_csv, read_json, read_jsonl

LICENCES = {
    "gptfuzz": "MIT",
    "pyrit.refusal": "MIT",
    "pyrit.scorer_evals": "MIT",
    "benign_gpteacher": "MIT",
    "benign_gsm8k": "MIT",
    "self_instruct": "Apache-2.0",
}
BENIGN_RESPONSE_CAP = 1500

REFUSAL_MARKER = re.compile(
    r"\b(?:sorry|apologi[sz]e|unable to|not able to|cannot|can ?not|can['’]t|won['’]t|will not|"
    r"must (?:decline|refuse)|i refuse|not (?:going|willing) to|against (?:my|the) "
    r"(?:programming|guidelines|policy|policies)|as an ai)\b",
    re.I,
)


def looks_like_refusal(text: str) -> bool:
    return bool(REFUSAL_MARKER.search(text[:400]))


def _s(text: str, label: int, source: str) -> Sample:
    return Sample(clean(text), "refusal", label, source, None, LICENCES[source], role="response")


def load_gptfuzz(root: Path) -> list[Sample]:
    base = root / "gptfuzz/datasets/responses_labeled"
    out = []
    for name in ("train.csv.gz", "evaluate.csv"):
        for row in read_csv(base / name):
            text = row["Response"]
            if row["label"] == "1":
                out.append(_s(text, 0, "gptfuzz"))
            elif looks_like_refusal(text):
                out.append(_s(text, 1, "gptfuzz"))
    return out


def _score(row: dict[str, str]) -> float | None:
    vals = [
        float(v)
        for k, v in row.items()
        if k and k.startswith("human_score") and v not in ("", None)
    ]
    return sum(vals) / len(vals) if vals else None


def load_pyrit_refusal(root: Path) -> list[Sample]:
    base = root / "pyrit/pyrit/datasets/scorer_evals"
    paths = [base / "refusal_scorer/refusal.csv", base / "refusal_scorer/refusal_extra.csv"]
    paths.append(base / "sample/mini_refusal.csv")
    out = []
    for path in paths:
        for row in read_csv(path, skip_comments=True):
            text, score = row.get("assistant_response") or "", _score(row)
            if score is None or not clean(text):
                continue
            if score >= 0.5 and looks_like_refusal(text):
                out.append(_s(text, 1, "pyrit.refusal"))
            elif score < 0.5:
                out.append(_s(text, 0, "pyrit.refusal"))
    return out


def load_pyrit_scorer_evals(root: Path) -> list[Sample]:
    base = root / "pyrit/pyrit/datasets/scorer_evals"
    out = []
    for path in sorted([*base.glob("harm/*.csv"), *base.glob("objective/*.csv")]):
        for row in read_csv(path, skip_comments=True):
            text, score = row.get("assistant_response") or "", _score(row)
            if score is None or not clean(text):
                continue
            if score >= 0.75:
                out.append(_s(text, 0, "pyrit.scorer_evals"))
            elif score == 0 and looks_like_refusal(text):
                out.append(_s(text, 1, "pyrit.scorer_evals"))
    return out


_CALC = re.compile(r"<<[^>]*>>")


def load_benign_responses(
    root: Path, cap: int = BENIGN_RESPONSE_CAP, seed: int = 0
) -> list[Sample]:
    rng = random.Random(seed)
    gpt = []
    for name in (
        "Codegen/codegen-instruct.json",
        "Roleplay/roleplay-simple-deduped-roleplay-instruct.json",
    ):
        gpt += [r["response"] for r in read_json(root / "benign_gpteacher" / name)]
    rng.shuffle(gpt)
    gsm = []
    for split in ("train", "test"):
        for r in read_jsonl(root / "benign_gsm8k/grade_school_math/data" / f"{split}.jsonl"):
            body, _, final = r["answer"].rpartition("####")
            gsm.append(f"{_CALC.sub('', body).strip()}\nThe answer is {final.strip()}.")
    rng.shuffle(gsm)
    si = []
    for path in ("data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"):
        for r in read_jsonl(root / "self_instruct" / path):
            si += [i.get("output", "") for i in r.get("instances", [])[:1]]
    out = [_s(t, 0, "benign_gpteacher") for t in gpt[:cap]]
    out += [_s(t, 0, "benign_gsm8k") for t in gsm[: cap // 3]]
    out += [_s(t, 0, "self_instruct") for t in si]
    return [s for s in out if len(s.text) > 1]


def refusal_samples(root: Path, seed: int = 0) -> list[Sample]:
    return (
        load_pyrit_refusal(root)
        + load_pyrit_scorer_evals(root)
        + load_gptfuzz(root)
        + load_benign_responses(root, seed=seed)
    )
