"""The encoder cascade: the shipped int8 ONNX artefact matches what the build measured, the
band routes and merges exactly as documented, and the option switches it off."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from guardstream.detectors.batch import EventBatch
from guardstream.detectors.cascade import Cascade, CascadeOptions, cascade_for, cascaded
from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.pipeline import build_pipeline
from guardstream.detectors.trained import positive_proba
from guardstream.errors import ConfigError
from guardstream.models.artefact_errors import ArtefactError
from guardstream.models.encoder_model import Band, band_at_share, load_encoder, shared_encoder
from guardstream.models.trained_model import ARTEFACT_ROOT
from guardstream.models.training.encoder.evaluate import HI_CAP
from guardstream.text.emoji_names import name_emoji
from tests.helpers import flip_a_byte, make_event

PARITY_TEXTS = Path(__file__).parents[1] / "models/training/encoder/parity_texts.json"


def test_band_maps_the_encoder_threshold_onto_the_cheap_threshold() -> None:
    band = Band(lo=0.1, encoder_threshold=0.8, cheap_threshold=0.6, hi=0.95)
    p = np.array([0.0, 0.4, 0.8, 0.9, 1.0])
    assert np.allclose(band.mapped(p), [0.0, 0.3, 0.6, 0.8, 1.0])
    assert np.all(np.diff(band.mapped(np.linspace(0, 1, 101))) >= 0)  # order kept
    routed = band.routed(np.array([0.05, 0.1, 0.5, 0.95, 1.0])).tolist()
    assert routed == [False, True, True, False, False]  # confident cheap scores keep theirs


def test_band_lower_edge_follows_the_routing_budget() -> None:
    fitted = {
        "lo_by_share": {"0.0": 0.6, "0.01": 0.5, "0.05": 0.3, "1.0": 0.0},
        "default_share": 0.05,
        "encoder_threshold": 0.9,
        "cheap_threshold": 0.6,
    }
    assert band_at_share(fitted).lo == pytest.approx(0.3)
    assert band_at_share(fitted, 0.03).lo == pytest.approx(0.4)  # interpolated
    assert band_at_share(fitted, 1.0).lo == 0.0
    shipped = shared_encoder().fitted_bands["harmful"]
    edges = [band_at_share(shipped, s).lo for s in (0.0, 0.01, 0.05, 0.2, 1.0)]
    assert edges == sorted(edges, reverse=True)  # a bigger budget never routes less


def test_shipped_int8_model_reproduces_the_build_parity_record() -> None:
    encoder = shared_encoder()
    parity = encoder.manifest["parity"]
    texts = json.loads(PARITY_TEXTS.read_text("utf-8"))
    assert parity["torch_vs_onnx_fp32_max_abs"] < 1e-4
    got = encoder.predict(texts)
    assert np.abs(got - np.array(parity["fixed_texts_int8"])).max() < 1e-4


def test_predict_is_independent_of_batching() -> None:
    encoder = shared_encoder()
    texts = json.loads(PARITY_TEXTS.read_text("utf-8"))
    together = encoder.predict(texts)
    alone = np.vstack([encoder.predict([t]) for t in texts])
    assert np.abs(together - alone).max() < 1e-4


def test_cascade_routes_only_the_band_and_merges_the_mapped_encoder_score() -> None:
    encoder = shared_encoder()
    texts = json.loads(PARITY_TEXTS.read_text("utf-8"))
    batch = EventBatch([make_event(t) for t in texts])
    cascade = Cascade(encoder, "injection", None, cheap_threshold=0.7)
    band = cascade.band
    cheap = np.linspace(0.0, 1.0, len(texts)).astype(np.float32)
    out = cascaded(batch, cascade, cheap)
    routed = band.routed(cheap)
    assert routed.any() and (~routed).any()
    assert np.array_equal(out[~routed], cheap[~routed])  # outside the band: untouched
    assert band.hi < 1.0 and (cheap >= band.hi).any()  # some above the band stay the cheap's
    column = encoder.tasks.index("injection")
    expected = band.mapped(
        encoder.predict(
            [name_emoji(batch.normalised_user_texts[i]) for i in np.flatnonzero(routed)]
        )[:, column]
    )
    assert np.allclose(out[routed], expected, atol=1e-6)
    every = encoder.predict([name_emoji(t) for t in batch.normalised_user_texts])[:, column]
    assert np.allclose(out, band.merged(cheap, every), atol=1e-6)  # what evaluation computes


def test_cascade_off_by_option_keeps_the_cheap_scores() -> None:
    texts = json.loads(PARITY_TEXTS.read_text("utf-8"))
    events = [make_event(t, index=i) for i, t in enumerate(texts)]
    off_config = {n: DetectorConfig(options={"cascade": False}) for n in ("injection", "harmful")}
    off = build_pipeline(off_config)
    on = build_pipeline({})
    harmful = next(d for d in off.detectors if d.name == "harmful")
    cheap = positive_proba(harmful.model.estimator, EventBatch(events).user_features)
    scores_off = np.array([v.record.scores["harmful"] for v in off.run(events)])
    scores_on = np.array([v.record.scores["harmful"] for v in on.run(events)])
    assert np.allclose(scores_off, cheap, atol=1e-6)
    assert not np.allclose(scores_on, scores_off, atol=1e-3)  # the band re-scored some
    with pytest.raises(ConfigError, match=r"detectors\.harmful\.options\.cascades"):
        build_pipeline({"harmful": DetectorConfig(options={"cascades": False})})
    with pytest.raises(ConfigError, match=r"detectors\.injection\.options\.encoder_share"):
        build_pipeline({"injection": DetectorConfig(options={"encoder_share": 1.5})})


def test_cascade_for_a_task_the_encoder_has_no_head_for_names_the_key() -> None:
    """Moderation's cascade is off until the shipped encoder has its head: turning it on
    before then fails at start-up, naming the option, instead of a KeyError mid-stream."""
    encoder = shared_encoder()
    options = CascadeOptions(cascade=True)
    with pytest.raises(ConfigError, match=r"detectors\.no_such_task\.options\.cascade"):
        cascade_for(options, "no_such_task", 0.5)
    if "moderation" not in encoder.tasks:
        with pytest.raises(ConfigError, match=r"detectors\.moderation\.options\.cascade"):
            build_pipeline({"moderation": DetectorConfig(options={"cascade": True})})
    assert cascade_for(options, encoder.tasks[0], 0.5) is not None


def test_every_abuse_detector_routes_by_default_and_confident_linear_scores_stand() -> None:
    """Encoder v2 turned toxicity's routing on; every band's upper edge is at most the
    evaluation's cap, so a linear score of 0.9 or more is never vetoed."""
    pipeline = build_pipeline({})
    for name in ("injection", "harmful", "toxicity"):
        detector = next(d for d in pipeline.detectors if d.name == name)
        assert detector.cascade is not None, name
        assert detector.cascade.band.lo < detector.cascade.band.hi <= HI_CAP, name
    toxicity = next(d for d in pipeline.detectors if d.name == "toxicity")
    hateful = EventBatch([make_event("I hate Muslims, they are vermin and should all go.")])
    cheap = positive_proba(toxicity.model.estimator, hateful.user_features_for(True))
    assert toxicity.cascade.band.routed(cheap).all()  # the encoder reads this one


def test_a_pickled_pipeline_reloads_the_encoder_in_the_receiving_process() -> None:
    """Scoring processes receive the pipeline pickled; the session itself cannot be."""
    import pickle

    pipeline = build_pipeline({})
    clone = pickle.loads(pickle.dumps(pipeline))
    events = [make_event(t) for t in json.loads(PARITY_TEXTS.read_text("utf-8"))]
    assert [v.record.scores for v in clone.run(events)] == [
        v.record.scores for v in pipeline.run(events)
    ]


def test_tampered_encoder_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ARTEFACT_ROOT / "encoder", tmp_path / "encoder")
    model = tmp_path / "encoder" / "model.onnx"
    flip_a_byte(model)
    with pytest.raises(ArtefactError, match="does not match the manifest"):
        load_encoder(tmp_path)
