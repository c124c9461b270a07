"""Print per-task / per-source / per-label counts after dedupe (the tables in DATA.md).

Usage: python -m guardstream.models.training.corpus [--data-root PATH] [--include-noncommercial]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from . import DEFAULT_HELD_OUT, TASKS, default_split, load_corpus, safe_but_scary_eval


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-root", type=Path, default=None)
    ap.add_argument("--include-noncommercial", action="store_true")
    args = ap.parse_args()
    start = time.perf_counter()
    for task in TASKS:
        rows = load_corpus(task, args.data_root, args.include_noncommercial)
        counts = Counter((s.source, s.label) for s in rows)
        licence = {s.source: s.licence for s in rows}
        pos = sum(s.label for s in rows)
        print(f"\n### {task}: {len(rows)} rows (label 1: {pos}, label 0: {len(rows) - pos})\n")
        print("| source | licence | label 1 | label 0 | held out |")
        print("|---|---|---:|---:|:-:|")
        for src in sorted(licence):
            held = "yes" if src in DEFAULT_HELD_OUT[task] else ""
            print(
                f"| `{src}` | {licence[src]} | {counts[(src, 1)]} | {counts[(src, 0)]} | {held} |"
            )
        train, test = default_split(task, rows)
        print(
            f"\ntrain {len(train)} ({sum(s.label for s in train)} positive), "
            f"held-out test {len(test)} ({sum(s.label for s in test)} positive)"
        )
        if task in ("injection", "harmful"):
            print(f"safe-but-scary eval set: {len(safe_but_scary_eval(task))} benign prompts")
    print(f"\nloaded in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
