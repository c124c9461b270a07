"""Small builders shared by tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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


def flip_a_byte(path: Path) -> None:
    """Tamper with a model file the way a corrupted copy would: one byte in the middle."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def params_by_kind(texts: dict[str, list[str]]) -> list[Any]:
    """pytest params of every text in a {kind: texts} table, with ids like `kind-0`."""
    return [
        pytest.param(t, id=f"{kind}-{i}") for kind, ts in texts.items() for i, t in enumerate(ts)
    ]
