"""`guardstream train`: retrain every detector model from `shared/data` (build time only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def train(
    tasks: Annotated[str, typer.Option(help="Comma-separated subset of models.")] = (
        "injection,harmful,toxicity,refusal,moderation"
    ),
    data_root: Annotated[
        Path | None, typer.Option(help="shared/data (else GUARDSTREAM_DATA or ../shared/data).")
    ] = None,
    leave_one_out: Annotated[
        bool, typer.Option(help="Also report each attack source held out in turn (slower).")
    ] = True,
    emoji_names: Annotated[
        bool,
        typer.Option(help="Models whose spec asks for it (toxicity) read emoji by name."),
    ] = True,
) -> None:
    """Retrain the models, rewrite their manifests and model cards, and print held-out metrics."""
    from guardstream.models.training.train import main

    argv = ["--tasks", tasks] + (["--data-root", str(data_root)] if data_root else [])
    argv += [] if leave_one_out else ["--no-leave-one-out"]
    argv += [] if emoji_names else ["--no-emoji-names"]
    main(argv)
