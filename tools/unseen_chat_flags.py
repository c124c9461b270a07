"""Share of unseen real chat prompts (ShareGPT turns no model trained on) that the default
pipeline flags as `injection` or `harmful`: the proxy for "real chat-assistant user prompts
flagged" in docs/wave2/issue-12.md. Prints the rate, flag counts and each flagged prompt.
With `--slice NAME`, only the turns that match that topic regex of `chat_slices.json`, drawn
from the whole unseen pool (`security`: the proxy for "benign security-engineering requests").
By hand, not a test.

Usage: .venv/bin/python tools/unseen_chat_flags.py [PROMPTS] [--slice NAME]
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from prompt_flags import prompt_flags

from guardstream.detectors.pipeline import build_pipeline
from guardstream.keyed_hash import set_key
from guardstream.models.training.encoder.data import unseen_sharegpt

WATCHED = ("injection", "harmful")
SLICES = Path(__file__).with_name("chat_slices.json")
WHOLE_POOL = 1_000_000  # more turns than ShareGPT has: a slice is drawn from all of them


def slice_pattern(name: str) -> re.Pattern[str]:
    """The named topic regex, or exit naming the slices there are."""
    slices = {k: v for k, v in json.loads(SLICES.read_text("utf-8")).items() if k != "_why"}
    if name not in slices:
        sys.exit(f"--slice: unknown slice {name!r}; known: {', '.join(sorted(slices))}")
    return re.compile(slices[name], re.IGNORECASE)


def main(count: int, slice_name: str | None = None) -> None:
    set_key(b"k" * 32)  # evidence fingerprints only; nothing here is published
    if slice_name is None:
        texts = [row.text for row in unseen_sharegpt(cap=count, seed=1)]
    else:
        pattern = slice_pattern(slice_name)
        pool = unseen_sharegpt(cap=WHOLE_POOL, seed=1)
        texts = [row.text for row in pool if pattern.search(row.text)][:count]
        print(f"slice {slice_name!r}: {len(texts)} of {len(pool)} unseen turns")
    counts: Counter[str] = Counter()
    flagged: list[tuple[list[str], str]] = []
    for flags, text in zip(prompt_flags(build_pipeline({}), texts), texts, strict=True):
        counts.update(flags)
        watched = [f for f in flags if f.split(".")[0] in WATCHED]
        if watched:
            flagged.append((watched, text[:300].replace("\n", " ")))
    share = len(flagged) / max(len(texts), 1)
    distinct = len({text for _, text in flagged})
    print(
        f"{len(texts)} prompts, injection or harmful: {len(flagged)} ({share:.2%};"
        f" distinct texts {distinct})"
    )
    print(f"all flags: {counts.most_common(12)}")
    for flags, text in flagged:
        print(flags, text)


if __name__ == "__main__":
    args = sys.argv[1:]
    name = None
    if "--slice" in args:
        at = args.index("--slice")
        if at + 1 >= len(args):
            sys.exit("--slice needs a name, e.g. --slice security")
        name = args[at + 1]
        del args[at : at + 2]
    main(int(args[0]) if args else 4000, name)
