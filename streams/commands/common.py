"""Options and helpers every command shares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from guardstream.streams.settings import Settings, load_settings

console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="TOML settings file (else GUARDSTREAM_CONFIG).",
        exists=True,
        dir_okay=False,
    ),
]
BootstrapOption = Annotated[
    str | None,
    typer.Option(
        "--bootstrap", "-b", help="Kafka bootstrap, host:port (else GUARDSTREAM_BOOTSTRAP)."
    ),
]


def settings_from(config: Path | None, bootstrap: str | None = None) -> Settings:
    """Load settings with the command-line bootstrap taking precedence."""
    overrides = {"bootstrap": bootstrap} if bootstrap else {}
    return load_settings(config, overrides=overrides)


def read_jsonl(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for every non-blank line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def read_jsonl_bytes(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes without the newline) for every non-blank line; no decoding, so
    invalid UTF-8 on one line is that line's problem, not the whole file's."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line.rstrip(b"\r\n")


def parse_json_object(line: str) -> dict[str, Any]:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data
