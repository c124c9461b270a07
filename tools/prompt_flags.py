"""The default pipeline's flags on plain prompts, batch by batch: what the by-hand proxy tools
(`clean_post_flags.py`, `unseen_chat_flags.py`) count. Stateless scoring, so the events'
ids and users do not change a flag."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from guardstream.contracts import LLMEvent
from guardstream.detectors.pipeline import Pipeline

BATCH = 64


def prompt_flags(
    pipeline: Pipeline, texts: Sequence[str], batch: int = BATCH
) -> Iterator[list[str]]:
    """The sorted flags of each text, scored as a user prompt, in order."""
    now = datetime.now(UTC)
    for start in range(0, len(texts), batch):
        events = [
            LLMEvent(event_id=f"e{start + n}", timestamp=now, app_id="probe", user_id="u", prompt=t)
            for n, t in enumerate(texts[start : start + batch])
        ]
        for verdict in pipeline.run(events):
            yield sorted(verdict.record.flags) if verdict.record else []
