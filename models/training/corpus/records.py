"""Record type, label vocabularies and small file helpers shared by every loader.

Why: the detectors are trained at build time from `shared/data`, which is never shipped;
keeping one frozen record type and one place that resolves the data root makes every
loader return the same shape and fail with the same clear message when data is absent.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TASKS: tuple[str, ...] = ("injection", "harmful", "toxicity", "refusal", "moderation")
ROLES: tuple[str, ...] = ("prompt", "response")

# MLCommons AILuminate v1.0 hazard taxonomy (Llama Guard 3 S1-S13 minus code-interpreter abuse).
HAZARDS: frozenset[str] = frozenset(
    {
        "violent_crimes",
        "non_violent_crimes",
        "sex_crimes",
        "child_exploitation",
        "indiscriminate_weapons",
        "suicide_self_harm",
        "hate",
        "sexual_content",
        "specialized_advice",
        "privacy",
        "intellectual_property",
        "elections",
        "defamation",
    }
)

#: Tag on benign rows chosen because they *look* unsafe (kill a process, wars, drugs...).
HARD_NEGATIVE = "hard_negative"

#: Allowed `category` values per task (None is always allowed).
CATEGORIES: dict[str, frozenset[str]] = {
    "injection": frozenset(
        {
            "jailbreak",
            "direct_injection",
            "indirect_injection",
            "system_prompt_extraction",
            HARD_NEGATIVE,
        }
    ),
    "harmful": HAZARDS | {HARD_NEGATIVE},
    "toxicity": frozenset({"hate", "offensive", HARD_NEGATIVE}),
    "refusal": frozenset(),
    "moderation": frozenset({"hate", "offensive", HARD_NEGATIVE}),
}

#: Licence strings used in `Sample.licence`; NC/SA flags are what DATA.md reports.
NONCOMMERCIAL_LICENCES: frozenset[str] = frozenset({"CC-BY-NC-4.0"})


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled text. label 1 = attack / harmful / toxic / refusal, 0 = benign."""

    text: str
    task: str
    label: int
    source: str
    category: str | None
    licence: str
    role: str = "prompt"
    #: Fold group when a source must be split inside itself (conversation id, attacker case,
    #: contrastive pair); None means the source is the group.
    group: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}")
        if self.label not in (0, 1):
            raise ValueError(f"label must be 0 or 1, got {self.label!r}")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")


class DataRootMissing(FileNotFoundError):
    """Raised when the build-time training data directory cannot be found."""


def default_data_root() -> Path:
    """`$GUARDSTREAM_DATA`, else `<repo>/../shared/data` (repo = parent of `models/`)."""
    env = os.environ.get("GUARDSTREAM_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "data"


def resolve_data_root(data_root: Path | str | None) -> Path:
    root = Path(data_root) if data_root is not None else default_data_root()
    if not root.is_dir():
        raise DataRootMissing(
            f"training data not found at {root}. Set GUARDSTREAM_DATA or pass data_root= "
            "(the corpora live in shared/data and are only needed at build time)."
        )
    return root


# --------------------------------------------------------------------------- readers
def open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_json(path: Path) -> Any:
    with open_text(path) as fh:
        return json.load(fh)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open_text(path) as fh:
        for line in fh.read().split("\n"):
            if line.strip():
                yield json.loads(line)


def read_csv(path: Path, skip_comments: bool = False) -> list[dict[str, str]]:
    """DictReader rows; `skip_comments` drops leading `#` lines (PyRIT scorer files)."""
    with open_text(path) as fh:
        text = fh.read()
    if skip_comments:
        lines = text.splitlines(keepends=True)
        while lines and lines[0].startswith("#"):
            lines.pop(0)
        text = "".join(lines)
    return list(csv.DictReader(io.StringIO(text)))


def clean(text: str | None) -> str:
    """Strip and drop NULs; empty string means "skip this row"."""
    return (text or "").replace("\x00", "").strip()


def read_yaml(path: Path) -> Any:
    """PyYAML is only needed at build time (PyRIT templates/seeds); import it lazily."""
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - depends on the build env
        raise ImportError("PyYAML is required to read PyRIT data: pip install pyyaml") from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster
    with open_text(path) as fh:
        return yaml.load(fh, Loader=loader)
