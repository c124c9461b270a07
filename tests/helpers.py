"""Small builders shared by tests."""

from __future__ import annotations

from typing import Any

from guardstream.contracts import LLMEvent


def make_event(
    prompt: Any = "hello", response: str | None = None, index: int = 0, **extra: Any
) -> LLMEvent:
    return LLMEvent.model_validate(
        {
            "event_id": f"e-{index}",
            "timestamp": "2026-11-24T10:00:00Z",
            "app_id": "app",
            "user_id": f"u-{index % 3}",
            "prompt": prompt,
            "response": response,
            **extra,
        }
    )
