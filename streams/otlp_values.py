"""Attribute values as instrumentations write them (JSON text, flattened keys, content in
several forms) to plain Python data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any] | list[Any]:
    """`{"0.message.role": "user"}` -> `[{"message": {"role": "user"}}]` (digit keys -> lists)."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        node = root
        *path, last = key.split(".")
        for part in path:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {"": child}
            node = child
        node[last] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def loads(value: Any) -> Any:
    """JSON text to data; anything else (or text that is not JSON) as it came."""
    if isinstance(value, str) and value[:1] in ("[", "{", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def as_text(value: Any) -> str | None:
    """Text of a message content in any of the usual forms (str, parts list, {text|content})."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        for key in ("content", "text", "message_content", "response", "value"):
            if key in value:
                return as_text(value[key])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        texts = [t for t in (as_text(v) for v in value) if t]
        return "\n".join(texts) or None
    return str(value)


def as_list(value: Any) -> list[Any]:
    if value is None or value == "" or value == {}:
        return []
    return value if isinstance(value, list) else [value]


def arguments_value(value: Any) -> str | dict[str, Any] | None:
    if value is None or isinstance(value, (str, dict)):
        return value
    return json.dumps(value, ensure_ascii=False)
