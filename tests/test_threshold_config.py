"""Configured thresholds are checked at start: in [0, 1], finite, for a score key that exists."""

from __future__ import annotations

import math

import pytest

from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.pipeline import build_pipeline
from guardstream.detectors.threshold_config import check_config_thresholds
from guardstream.errors import ConfigError

KNOWN = ["harmful", "harmful.hate", "injection", "pii"]


@pytest.mark.parametrize(
    ("thresholds", "key", "problem"),
    [
        ({"pii": -3.0}, "detectors.pii.thresholds.pii", "within [0, 1]"),
        ({"pii": 5.0}, "detectors.pii.thresholds.pii", "within [0, 1]"),
        ({"pii": math.nan}, "detectors.pii.thresholds.pii", "within [0, 1]"),
        ({"pii": math.inf}, "detectors.pii.thresholds.pii", "within [0, 1]"),
        ({"pii.nope": 0.5}, "detectors.pii.thresholds.pii.nope", "unknown score key"),
    ],
)
def test_bad_threshold_names_its_key(thresholds: dict, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_config_thresholds({"pii": DetectorConfig(thresholds=thresholds)}, KNOWN)
    assert info.value.key == key
    assert problem in info.value.problem


def test_valid_and_disabled_configs_pass() -> None:
    check_config_thresholds(
        {
            "harmful": DetectorConfig(thresholds={"harmful.hate": 0.0}, threshold=1.0),
            "toxicity": DetectorConfig(enabled=False, thresholds={"whatever": 9.0}),
        },
        KNOWN,
    )


def test_build_pipeline_refuses_a_negative_threshold() -> None:
    """-3.0 used to be accepted, and flagged "hello there"."""
    with pytest.raises(ConfigError, match=r"detectors\.pii\.thresholds\.pii"):
        build_pipeline({"pii": DetectorConfig(thresholds={"pii": -3.0})})
