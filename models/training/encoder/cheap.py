"""The shipped linear recipe on the encoder's split, as the cascade's first stage and the
comparison: trained on every train-split row of the task (the encoder saw a capped subset),
scored out of fold on the calibration rows and directly on the test and unseen rows.

    python -m guardstream.models.training.encoder.cheap --rows rows.jsonl \
        --unseen unseen.jsonl --out OUT
"""

from __future__ import annotations

import json

import numpy as np

from guardstream.models.feature_weighting import EmbeddingWeight
from guardstream.models.featuriser import default_featuriser
from guardstream.models.training.corpus import load_corpus
from guardstream.models.training.fitting import fit_shippable
from guardstream.models.training.specs import SPECS
from guardstream.models.training.train import featurise

from .args import step_parser
from .data import TASKS, encoder_split, model_text, read


def cheap_scores(task: str, wanted: set[str], unseen: list[str]) -> dict[str, object]:
    """text -> cheap score for every wanted text (out of fold where it was trained on)."""
    spec = SPECS[task]
    samples = load_corpus(task)
    train, _ = encoder_split(task, samples)
    featuriser = default_featuriser()
    texts = [model_text(s.text, task) for s in samples]
    features = featurise(featuriser, [s.text for s in samples], task, spec.emoji_names)
    weighting = EmbeddingWeight(dim=featuriser.embedding.dim, weight=spec.embedding_weight)
    labels = np.array([s.label for s in samples])
    model, threshold, out_of_fold = fit_shippable(
        spec, features[train], labels[train], [samples[i] for i in train], weighting
    )
    scores: dict[str, float] = {}
    for position, i in enumerate(train):
        if texts[i] in wanted:
            scores[texts[i]] = float(out_of_fold[position])
    rest = sorted(wanted - set(scores)) + unseen
    extra = featurise(featuriser, rest, f"{task} kept rows", spec.emoji_names)
    for text, value in zip(rest, model.predict_proba(extra)[:, 1], strict=True):
        scores.setdefault(text, float(value))
    return {"threshold": threshold, "scores": scores}


def main() -> None:
    parser = step_parser(__doc__, "rows", "unseen", "out")
    args = parser.parse_args()
    rows = read(args.rows)
    unseen = [r.text for r in read(args.unseen)]
    args.out.mkdir(parents=True, exist_ok=True)
    for task in TASKS:
        wanted = {r.text for r in rows if r.task == task and r.split != "train"}
        result = cheap_scores(task, wanted, unseen)
        (args.out / f"cheap_{task}.json").write_text(json.dumps(result))
        print(task, "threshold", round(float(result["threshold"]), 4), flush=True)


if __name__ == "__main__":
    main()
