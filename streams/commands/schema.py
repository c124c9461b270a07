"""`guardstream schema`: the JSON Schemas of the wire contracts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from guardstream.contracts import CONTRACTS


def schema(
    name: Annotated[
        str | None, typer.Argument(help=f"One of {', '.join(CONTRACTS)}; all if omitted.")
    ] = None,
) -> None:
    """Print JSON Schema for LLMEvent, ScoreRecord and Alert."""
    if name is not None and name not in CONTRACTS:
        raise typer.BadParameter(f"unknown contract {name!r}; choose from {', '.join(CONTRACTS)}")
    chosen = {name: CONTRACTS[name]} if name else CONTRACTS
    print(json.dumps({key: model.model_json_schema() for key, model in chosen.items()}, indent=2))
