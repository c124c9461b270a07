"""The build steps' command lines: each step is run by `build.py` with the paths it reads and
writes, all required, and a few step-specific options."""

from __future__ import annotations

import argparse
from pathlib import Path


def step_parser(doc: str | None, *paths: str) -> argparse.ArgumentParser:
    """A parser described by the first line of the step's docstring, with one required
    `--<name>` Path option per name; the caller adds its own options."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    for name in paths:
        parser.add_argument(f"--{name}", type=Path, required=True)
    return parser
