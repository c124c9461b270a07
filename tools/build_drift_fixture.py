"""Build streams/drift_data/drift_texts.json.gz from ../shared/data (run once, by hand).

The product and its tests read only the generated file; this script documents where every text
came from. Usage: .venv/bin/python tools/build_drift_fixture.py [../shared/data]
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import random
import re
import sys
from pathlib import Path

from guardstream.models.training.corpus._parquet import read_parquet
from guardstream.text.refusal_phrases import REFUSAL_RE

SEED = 11
OUT = Path(__file__).resolve().parents[1] / "streams" / "drift_data" / "drift_texts.json.gz"
TURN = re.compile(r"\n\n(Human|Assistant): ")


def turns(dialogue: str) -> list[tuple[str, str]]:
    parts = TURN.split(dialogue)
    return [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]


def hh_rlhf(root: Path) -> tuple[list[str], list[str]]:
    prompts, responses = [], []
    with gzip.open(root / "hh_rlhf/harmless-base/test.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            dialogue = turns(json.loads(line)["chosen"])
            if len(dialogue) < 2 or dialogue[0][0] != "Human" or dialogue[1][0] != "Assistant":
                continue
            prompt, response = dialogue[0][1], dialogue[1][1]
            if 20 <= len(prompt) <= 400:
                prompts.append(prompt)
            if 60 <= len(response) <= 1200 and not REFUSAL_RE.search(response[:300]):
                responses.append(response)
    return prompts, responses


def gptfuzz_refusals(root: Path) -> list[str]:
    path = root / "gptfuzz/datasets/responses_labeled/evaluate.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        r["Response"].strip()
        for r in rows
        if r["label"] == "0"
        and 40 <= len(r["Response"]) <= 700
        and REFUSAL_RE.search(r["Response"][:300])
    ]


def deepset_german(root: Path) -> list[str]:
    import py3langid

    texts: list[str] = []
    for path in sorted((root / "deepset_prompt_injections/data/raw").glob("*.parquet")):
        table = read_parquet(path)
        texts += [
            t.strip()
            for t, label in zip(table["text"], table["label"], strict=True)
            if label == 0 and len(t) >= 30 and py3langid.classify(t)[0] == "de"
        ]
    return texts


def pubmed(root: Path) -> list[str]:
    path = root / (
        "benign_pubmedqa/scripts/eval/local_data/reading_comprehension/pubmed_qa_labeled.jsonl"
    )
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r["context"].removeprefix("Context: ").strip()[:1500] for r in rows]


def gsm8k(root: Path) -> list[str]:
    path = root / "benign_gsm8k/grade_school_math/data/test.jsonl"
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8")]


def sample(texts: list[str], n: int, rng: random.Random) -> list[str]:
    unique = sorted(set(texts))
    rng.shuffle(unique)
    return unique[:n]


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data").resolve()
    rng = random.Random(SEED)
    prompts, chat = hh_rlhf(root)
    pools = {
        "prompts": sample(prompts, 800, rng),
        "chat": sample(chat, 900, rng),
        "refusals": sample(gptfuzz_refusals(root), 300, rng),
        "german": sample(deepset_german(root), 400, rng),
        "medical": sample(pubmed(root), 500, rng),
        "maths_prompts": sample(gsm8k(root), 500, rng),
    }
    sources = {
        "prompts": "hh_rlhf/harmless-base/test.jsonl.gz: first Human turn (MIT)",
        "chat": "hh_rlhf/harmless-base/test.jsonl.gz: first Assistant turn, no refusal (MIT)",
        "refusals": "gptfuzz/datasets/responses_labeled/evaluate.csv: label 0 refusals (MIT)",
        "german": "deepset_prompt_injections/data/raw/*.parquet: benign German (Apache-2.0)",
        "medical": "benign_pubmedqa/.../pubmed_qa_labeled.jsonl: abstract contexts (MIT)",
        "maths_prompts": "benign_gsm8k/grade_school_math/data/test.jsonl: questions (MIT)",
    }
    blob = json.dumps({"seed": SEED, "sources": sources, "pools": pools}, ensure_ascii=False)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:
        f.write(blob.encode("utf-8"))
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(json.dumps({k: len(v) for k, v in pools.items()}), OUT, digest)


if __name__ == "__main__":
    main()
