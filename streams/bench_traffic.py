"""A fixed, realistic event mix for benchmarks: short chat turns up to multi-thousand-character
documents, chat transcripts with tool output, and responses of every length."""

from __future__ import annotations

import json
import random

from guardstream.streams.demo_traffic import INDIRECT_DOC, ORDINARY, RESPONSES, sample_events

PARAGRAPH = (
    "The committee reviewed the quarterly figures and noted that operating costs rose faster "
    "than revenue, mostly because of energy prices and delayed supplier contracts. "
)


def bench_messages(count: int = 4000, seed: int = 13) -> list[bytes]:
    """Encoded events as they arrive on the wire; about 15% carry a 2-8k character document."""
    rng = random.Random(seed)
    base = sample_events(count, seed)
    for event in base:
        roll = rng.random()
        if roll < 0.15:
            document = PARAGRAPH * rng.randint(12, 50)
            event["prompt"] = [
                {"role": "system", "content": "Answer from the documents."},
                {
                    "role": "tool",
                    "content": document + (INDIRECT_DOC if rng.random() < 0.1 else ""),
                },
                {"role": "user", "content": rng.choice(ORDINARY)},
            ]
        elif roll < 0.35:
            event["response"] = " ".join(rng.choice(RESPONSES) for _ in range(rng.randint(5, 40)))
    return [json.dumps(e).encode() for e in base]
