"""Emoji spelled out for the toxicity model, and the feature fingerprint that records it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from guardstream.detectors.trained import check_features, wants_emoji_names
from guardstream.models.artefact_errors import ArtefactError
from guardstream.models.featuriser import default_featuriser
from guardstream.models.trained_model import ARTEFACT_ROOT, load_model
from guardstream.text.emoji_names import EMOJI_NAMES_VERSION, has_emoji, name_emoji


def test_ascii_and_emoji_free_text_come_back_as_the_same_object() -> None:
    for text in ["plain ascii text", "café → Über ™ ─── ⠿ 日本語", ""]:
        assert name_emoji(text) is text
        assert not has_emoji(text)


def test_emoji_skin_tones_and_joined_sequences_are_named() -> None:
    named = name_emoji("I would love to 🔪some👳🏾")
    assert named.split() == (
        "I would love to hocho some man with turban emoji modifier fitzpatrick type-5".split()
    )
    assert name_emoji("❤️") == name_emoji("❤") == " heavy black heart "
    family = name_emoji("👨\u200d👩\u200d👧")  # ZWJ sequence: one name per person, no joiners
    assert family.split() == ["man", "woman", "girl"]
    assert has_emoji("ok 👍")


def test_named_features_reuse_plain_rows_without_emoji() -> None:
    featuriser = default_featuriser()
    texts = ["hello there", "I would love to 🔪 some 👳🏾", "café ok", "fine ☕"]
    plain = featuriser.features(texts)
    named = featuriser.features(texts, emoji_names=True)
    merged = featuriser.emoji_named_features(texts, plain)
    assert abs(merged - named).max() == 0
    changed = np.asarray(abs(named - plain).sum(axis=1)).ravel() > 0
    assert changed.tolist() == [False, True, False, True]
    no_emoji = plain[[0, 2]]
    assert featuriser.emoji_named_features([texts[0], texts[2]], no_emoji) is no_emoji


def _with_featuriser(tmp_path: Path, fingerprint: dict) -> Path:
    shutil.copytree(ARTEFACT_ROOT / "refusal", tmp_path / "refusal")
    manifest_path = tmp_path / "refusal" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["featuriser"] = fingerprint
    manifest_path.write_text(json.dumps(manifest))
    return tmp_path


def test_a_model_trained_on_named_emoji_is_served_named_and_only_by_a_detector_that_can(
    tmp_path: Path,
) -> None:
    fingerprint = default_featuriser().fingerprint(emoji_names=True)
    assert fingerprint["emoji_names"] == EMOJI_NAMES_VERSION
    model = load_model("refusal", _with_featuriser(tmp_path, fingerprint))
    assert wants_emoji_names(model)
    check_features(model, supports_emoji_names=True)
    with pytest.raises(ArtefactError, match="emoji-named text"):
        check_features(model)


def test_another_naming_version_is_refused(tmp_path: Path) -> None:
    fingerprint = default_featuriser().fingerprint() | {"emoji_names": "unicode_names_v0"}
    model = load_model("refusal", _with_featuriser(tmp_path, fingerprint))
    with pytest.raises(ArtefactError, match="retrain"):
        check_features(model, supports_emoji_names=True)


def test_plain_model_keeps_plain_features(tmp_path: Path) -> None:
    # the detector follows the manifest: a model without the key is fed the plain features
    plain = default_featuriser().fingerprint()
    assert plain != default_featuriser().fingerprint(emoji_names=True)
    model = load_model("refusal", _with_featuriser(tmp_path, plain))
    assert not wants_emoji_names(model)
    check_features(model, supports_emoji_names=True)
