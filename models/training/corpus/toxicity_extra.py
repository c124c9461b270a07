"""Toxicity sources added 2026-12-01: contrastive hate (HatemojiBuild), sexism (EDOS), explicit
abuse with typed spans (Civil Comments toxic spans), offensive tweets (OLID), same-forum hate
vs not (Stormfront) and ETHOS comments.

Why: Davidson tweets were the only explicit-abuse source, and nothing taught that quoting,
negating or condemning hate is not hate. Every source here brings its own clean texts from
the same place (same forum, same platform, label-flipped twins), so the model must learn the
stance, not the topic. HatemojiBuild twins share a fold group so a pair is never split.
"""

from __future__ import annotations

import csv
import io
import random
import tarfile
from collections import defaultdict
from pathlib import Path

from .records import Sample, clean, open_text, read_csv

LICENCES = {
    "hatemoji_build": "CC-BY-4.0",
    "edos": "CC0-1.0",
    "toxic_spans": "CC0-1.0",
    "olid": "unspecified (research use)",
    "stormfront": "CC-BY-SA-3.0",
    "ethos": "GPL-3.0",
}
#: Per source and class, so no forum outweighs the rest.
CLASS_CAP = 3000


def _s(text: str, source: str, label: int, category: str | None, group: str | None = None):
    return Sample(clean(text), "toxicity", label, source, category, LICENCES[source], group=group)


def _capped(rows: list[Sample], seed: int, cap: int = CLASS_CAP) -> list[Sample]:
    by_label: dict[int, list[Sample]] = defaultdict(list)
    for row in rows:
        if row.text:
            by_label[row.label].append(row)
    out: list[Sample] = []
    for label in sorted(by_label):
        items = by_label[label]
        random.Random(seed + label).shuffle(items)
        out += items[:cap]
    return out


def load_hatemoji(root: Path) -> list[Sample]:
    out = []
    for split in ("train", "validation", "test"):
        for row in read_csv(root / "hatemoji_build/HatemojiBuild" / f"{split}.csv"):
            ids = [row["entry_id"], row.get("matched_id") or row["entry_id"]]
            group = f"hatemoji#{min(ids, key=lambda x: int(float(x or 0)))}"
            label = int(float(row["label_gold"]))
            out.append(_s(row["text"], "hatemoji_build", label, "hate" if label else None, group))
    return out


def load_edos(root: Path, seed: int = 0) -> list[Sample]:
    rows = read_csv(root / "edos_sexism/data/edos_labelled_aggregated.csv.gz")
    out = [
        _s(
            r["text"],
            "edos",
            int(r["label_sexist"] == "sexist"),
            "hate" if r["label_sexist"] == "sexist" else None,
        )
        for r in rows
    ]
    return _capped(out, seed)


def load_toxic_spans(root: Path, seed: int = 0) -> list[Sample]:
    """Comments a majority of annotators marked toxic (1) or 'not toxic' (0)."""
    votes: dict[str, list[bool]] = defaultdict(list)
    for row in read_csv(root / "toxic_spans/data/annotations.csv.gz"):
        votes[row["comment_id"]].append(row["not toxic"] == "True")
    out = []
    for row in read_csv(root / "toxic_spans/data/comments.csv.gz"):
        marks = votes.get(row["comment_id"])
        if not marks:
            continue
        share_clean = sum(marks) / len(marks)
        if share_clean > 0.5:
            out.append(_s(row["comment_text"], "toxic_spans", 0, None))
        elif share_clean == 0:
            out.append(_s(row["comment_text"], "toxic_spans", 1, "offensive"))
    return _capped(out, seed)


def _tsv(path: Path) -> list[dict[str, str]]:
    with open_text(path) as fh:
        return list(csv.DictReader(io.StringIO(fh.read()), delimiter="\t", quoting=csv.QUOTE_NONE))


def load_olid(root: Path, seed: int = 0) -> list[Sample]:
    rows = _tsv(root / "olid/olid-training-v1.0.tsv.gz")
    out = [
        _s(
            r["tweet"],
            "olid",
            int(r["subtask_a"] == "OFF"),
            "offensive" if r["subtask_a"] == "OFF" else None,
        )
        for r in rows
    ]
    return _capped(out, seed)


def load_stormfront(root: Path, seed: int = 0) -> list[Sample]:
    labels = {
        r["file_id"]: r["label"]
        for r in read_csv(root / "stormfront_hate/annotations_metadata.csv")
    }
    out = []
    with tarfile.open(root / "stormfront_hate/all_files_sampled_train_sampled_test.tar.gz") as tf:
        for member in tf.getmembers():
            if not (member.isfile() and member.name.startswith("all_files/")):
                continue
            file_id = member.name[len("all_files/") : -4]
            label = labels.get(file_id)
            handle = tf.extractfile(member)
            if label not in ("hate", "noHate") or handle is None:
                continue
            text = handle.read().decode("utf-8", "replace")
            if len(text.strip()) < 12:
                continue
            post = f"stormfront#{file_id.split('_')[0]}"
            out.append(
                _s(
                    text,
                    "stormfront",
                    int(label == "hate"),
                    "hate" if label == "hate" else None,
                    post,
                )
            )
    return _capped(out, seed)


def load_ethos(root: Path) -> list[Sample]:
    with open_text(root / "ethos/ethos/ethos_data/Ethos_Dataset_Binary.csv") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read()), delimiter=";"))
    out = []
    for r in rows:
        score = float(r["isHate"])
        if score >= 0.5 or score <= 0.2:  # the middle is annotator disagreement
            out.append(
                _s(r["comment"], "ethos", int(score >= 0.5), "hate" if score >= 0.5 else None)
            )
    return out


def toxicity_extra(root: Path, seed: int = 0) -> list[Sample]:
    return (
        load_hatemoji(root)
        + load_edos(root, seed)
        + load_toxic_spans(root, seed)
        + load_olid(root, seed)
        + load_stormfront(root, seed)
        + load_ethos(root)
    )
