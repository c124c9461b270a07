"""Build-time training corpora for the guardstream detectors (reads shared/data).

`load_corpus(task)` returns de-duplicated `Sample`s for one of "injection", "harmful",
"toxicity", "refusal"; `splits.default_split` holds whole sources out for evaluation.
Injection and harmful also get seeded synthetic attacks (`synthetic_attacks.py`, train
families only); `synthetic_eval(task)` returns the held-out attack families.
The data directory is only needed when training, never at runtime.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from .agent_injection import agent_injection_samples
from .benign import DEFAULT_CAP, benign_prompts
from .benign_real import load_sharegpt, realistic_benign
from .dedupe import dedupe, dedupe_with_stats, normalise
from .hard_negatives import hard_negative_samples
from .harmful import harmful_positives
from .harmful_extra import harmful_extra
from .indirect import indirect_samples
from .injection import injection_samples, load_deepset
from .miss_classes import miss_class_eval, miss_class_samples
from .moderation import moderation_samples
from .records import (
    CATEGORIES,
    HARD_NEGATIVE,
    HAZARDS,
    NONCOMMERCIAL_LICENCES,
    TASKS,
    DataRootMissing,
    Sample,
    default_data_root,
    resolve_data_root,
)
from .refusal import refusal_samples
from .splits import DEFAULT_HELD_OUT, default_split, safe_but_scary_eval, split_by_source
from .synthetic_attacks import synthetic_eval, synthetic_samples
from .synthetic_indirect import synthetic_indirect_samples
from .toxicity import toxicity_samples
from .toxicity_extra import toxicity_extra

__all__ = [
    "CATEGORIES",
    "DEFAULT_HELD_OUT",
    "HARD_NEGATIVE",
    "HAZARDS",
    "NONCOMMERCIAL_LICENCES",
    "TASKS",
    "DataRootMissing",
    "Sample",
    "dedupe",
    "dedupe_with_stats",
    "default_data_root",
    "default_split",
    "load_corpus",
    "miss_class_eval",
    "normalise",
    "safe_but_scary_eval",
    "split_by_source",
    "synthetic_eval",
]

TOXICITY_BENIGN_CAP = 500  # toxicity negatives are mostly Davidson "neither" + ToxiGen neutral
TOXICITY_SHAREGPT_CAP = 4000


def _held_out_keys(task: str, rows: list[Sample]) -> set[str]:
    """Normalised texts of held-out-source rows: synthetic rows may never reuse them."""
    return {normalise(s.text) for s in rows if s.source in DEFAULT_HELD_OUT[task]}


def _raw(task: str, root: Path, include_noncommercial: bool, seed: int) -> list[Sample]:
    """All rows for `task` before de-duplication, in source-priority order."""
    if task == "injection":
        base = injection_samples(root, seed) + indirect_samples(root, seed)
        held = _held_out_keys(task, base)
        synthetic = synthetic_samples("injection", root, seed, held)
        return (
            base
            + agent_injection_samples(root, seed)
            + synthetic
            + synthetic_indirect_samples(root, [s.text for s in synthetic], seed)
            + miss_class_samples("injection", root, seed, frozenset(held))
            + hard_negative_samples("injection", seed=seed)
            + realistic_benign(root, "injection", seed)
            + benign_prompts(root, "injection", DEFAULT_CAP, include_noncommercial, seed)
        )
    if task == "harmful":
        deepset_benign = [
            dataclasses.replace(s, task="harmful", category=None)
            for s in load_deepset(root)
            if s.label == 0
        ]
        positives = harmful_positives(root) + harmful_extra(root, seed)
        held = _held_out_keys(task, positives)
        return (
            positives
            + synthetic_samples("harmful", root, seed, held)
            + miss_class_samples("harmful", root, seed, frozenset(held))
            + hard_negative_samples("harmful", seed=seed)
            + realistic_benign(root, "harmful", seed)
            + benign_prompts(root, "harmful", DEFAULT_CAP, include_noncommercial, seed)
            + deepset_benign
        )
    if task == "toxicity":
        return (
            toxicity_samples(root, seed)
            + toxicity_extra(root, seed)
            + miss_class_samples("toxicity", root, seed)
            + load_sharegpt(root, "toxicity", TOXICITY_SHAREGPT_CAP, seed)
            + benign_prompts(root, "toxicity", TOXICITY_BENIGN_CAP, include_noncommercial, seed)
        )
    if task == "refusal":
        return refusal_samples(root, seed)
    if task == "moderation":
        scary = hard_negative_samples("harmful", seed=seed)
        toxicity = functools.partial(_raw, "toxicity", root, include_noncommercial, seed)
        return (
            moderation_samples(root, toxicity, seed)
            + [dataclasses.replace(s, task="moderation") for s in scary]
            + realistic_benign(root, "moderation", seed)
            + benign_prompts(root, "moderation", TOXICITY_BENIGN_CAP, include_noncommercial, seed)
        )
    raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")


@functools.lru_cache(maxsize=16)
def _cached(task: str, root: str, include_noncommercial: bool, seed: int) -> tuple[Sample, ...]:
    return tuple(dedupe(_raw(task, Path(root), include_noncommercial, seed)))


def load_corpus(
    task: str,
    data_root: Path | None = None,
    include_noncommercial: bool = False,
    seed: int = 0,
) -> list[Sample]:
    """De-duplicated samples for `task`.

    `include_noncommercial=True` adds Alpaca (`refusal_direction`, CC BY-NC 4.0) to the
    benign pool; never ship a model trained with it commercially.
    Raises DataRootMissing if the data directory is absent.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    root = resolve_data_root(data_root)
    return list(_cached(task, str(root.resolve()), include_noncommercial, seed))
