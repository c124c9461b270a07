"""The toxicity stance templates: both labels on the same groups and words, and train and eval
rows that never share a text (eval rows are only scored, so a leak would flatter the card)."""

from __future__ import annotations

import json
import string

from guardstream.models.training.corpus.miss_classes import STANCE_DATA, _data, family_samples

STANCE = json.loads(STANCE_DATA.read_text("utf-8"))


def test_every_stance_slot_is_defined() -> None:
    slots = _data()["slots"] | _data()["extra_slots"]
    for name, family in STANCE["families"].items():
        for template in family["train"] + family["eval"]:
            used = {field for _, field, _, _ in string.Formatter().parse(template) if field}
            assert used <= set(slots), (name, template, used - set(slots))


def test_stance_rows_have_both_labels_and_disjoint_splits() -> None:
    train = [s for s in family_samples("toxicity", "train") if ".stance_" in s.source]
    evaluation = [s for s in family_samples("toxicity", "eval") if ".stance_" in s.source]
    assert {s.label for s in train} == {0, 1} == {s.label for s in evaluation}
    assert not {s.text for s in train} & {s.text for s in evaluation}
    assert all(s.source.endswith(".eval") for s in evaluation)
    assert not any(s.source.endswith(".eval") for s in train)


def test_hate_and_counter_speech_share_their_vocabulary() -> None:
    """A model that keys on the insult or the group alone cannot separate the labels."""
    rows = family_samples("toxicity", "train")
    insults = STANCE["slots"]["sinsult"]
    for label in (0, 1):
        texts = [s.text for s in rows if s.label == label and ".stance_" in s.source]
        assert any(i in t for t in texts for i in insults), label
