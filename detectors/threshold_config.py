"""Start-up check of every configured threshold: finite, within [0, 1], for a score key the
enabled detectors really emit. A bad one stops the process naming the key, e.g.
`invalid setting 'detectors.pii.thresholds.pii': threshold for 'pii' must be within [0, 1]`.

(-3.0 was accepted and flagged "hello there"; `nan` and unknown keys were accepted silently.)
The per-value rule is `detectors.thresholds.threshold_problem`, the same one `thresholds set`
applies to control records.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.thresholds import threshold_problem
from guardstream.errors import ConfigError


def check_config_thresholds(
    configs: Mapping[str, DetectorConfig], known_keys: Collection[str]
) -> None:
    """Raise ConfigError for the first invalid threshold of an enabled detector's config."""
    for name, config in configs.items():
        if not config.enabled:
            continue
        if config.threshold is not None:
            problem = threshold_problem(name, config.threshold, known_keys)
            if problem:
                raise ConfigError(f"detectors.{name}.threshold", problem)
        for key, value in config.thresholds.items():
            problem = threshold_problem(key, value, known_keys)
            if problem:
                raise ConfigError(f"detectors.{name}.thresholds.{key}", problem)
