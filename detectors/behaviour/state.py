"""The state interface behaviour detectors and alert suppression run on: get/put by key.

Values are JSON-ready (dicts, lists, str, numbers), so the same detector code runs on an
in-process dict (`guardstream score`, tests) and on faust tables with changelogs (the worker,
`streams/state.py`). `shard` is the partition of the event being processed: the faust store
writes each key's changelog to that partition, so state moves with its user's partition.
"""

from __future__ import annotations

import json
from typing import Any, Protocol


class StateStore(Protocol):
    """What a behaviour detector may do with state; nothing else."""

    shard: int

    def get(self, namespace: str, key: str) -> Any | None: ...

    def put(self, namespace: str, key: str, value: Any) -> None: ...

    def delete(self, namespace: str, key: str) -> None: ...


class DictState:
    """State in a plain dict: offline scoring and tests; same behaviour as the faust tables."""

    def __init__(self) -> None:
        self.shard = 0
        self.data: dict[str, dict[str, Any]] = {}

    def get(self, namespace: str, key: str) -> Any | None:
        return self.data.get(namespace, {}).get(key)

    def put(self, namespace: str, key: str, value: Any) -> None:
        self.data.setdefault(namespace, {})[key] = value

    def delete(self, namespace: str, key: str) -> None:
        self.data.get(namespace, {}).pop(key, None)

    def size_bytes(self) -> dict[str, int]:
        """JSON bytes per namespace (keys + values), as a changelog would carry them."""
        return {
            namespace: sum(len(k) + len(json.dumps(v, separators=(",", ":"))) for k, v in d.items())
            for namespace, d in self.data.items()
        }
