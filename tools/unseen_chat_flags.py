"""Share of unseen real chat prompts (ShareGPT turns no model trained on) that the default
pipeline flags as `injection` or `harmful`: the proxy for "real chat-assistant user prompts
flagged" in docs/wave2/issue-12.md. Prints the rate, flag counts and each flagged prompt.
By hand, not a test.

Usage: .venv/bin/python tools/unseen_chat_flags.py [PROMPTS]
"""

from __future__ import annotations

import sys
from collections import Counter

from prompt_flags import prompt_flags

from guardstream.detectors.pipeline import build_pipeline
from guardstream.keyed_hash import set_key
from guardstream.models.training.encoder.data import unseen_sharegpt

WATCHED = ("injection", "harmful")


def main(count: int) -> None:
    set_key(b"k" * 32)  # evidence fingerprints only; nothing here is published
    texts = [row.text for row in unseen_sharegpt(cap=count, seed=1)]
    counts: Counter[str] = Counter()
    flagged: list[tuple[list[str], str]] = []
    for flags, text in zip(prompt_flags(build_pipeline({}), texts), texts, strict=True):
        counts.update(flags)
        watched = [f for f in flags if f.split(".")[0] in WATCHED]
        if watched:
            flagged.append((watched, text[:300].replace("\n", " ")))
    share = len(flagged) / max(len(texts), 1)
    print(f"{len(texts)} prompts, injection or harmful: {len(flagged)} ({share:.2%})")
    print(f"all flags: {counts.most_common(12)}")
    for flags, text in flagged:
        print(flags, text)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4000)
