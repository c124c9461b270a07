from pathlib import Path

import pytest

from guardstream.detectors.config import DetectorConfig
from guardstream.detectors.pipeline import build_pipeline
from guardstream.errors import ConfigError
from guardstream.streams.settings import load_settings


def test_defaults_are_valid() -> None:
    settings = load_settings(env={})
    assert settings.topics.events == "llm.events"
    assert settings.topics.dlq == "llm.events.dlq"
    assert settings.bootstrap_servers == "localhost:9092"


def test_env_overrides_nested_keys() -> None:
    settings = load_settings(
        env={"GUARDSTREAM_WORKER__BATCH_SIZE": "512", "GUARDSTREAM_BOOTSTRAP": "k1:9092,k2:9092"}
    )
    assert settings.worker.batch_size == 512
    assert settings.bootstrap == "kafka://k1:9092,k2:9092"


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "guardstream.toml"
    config.write_text("[worker]\nbatch_sizee = 10\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert info.value.key == "worker.batch_sizee"
    assert "unknown setting" in str(info.value)


def test_bad_env_value_names_key_and_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_WORKER__BATCH_SIZE": "-3"})
    assert info.value.key == "worker.batch_size"
    assert "GUARDSTREAM_WORKER__BATCH_SIZE" in str(info.value)


def test_unknown_detector_is_rejected() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_DETECTORS__NOPE__THRESHOLD": "0.5"})
    assert info.value.key == "detectors"
    assert "nope" in str(info.value)


def test_threshold_out_of_range_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_DETECTORS__PII__THRESHOLD": "1.5"})
    assert info.value.key == "detectors.pii.threshold"


def test_bad_bootstrap_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_BOOTSTRAP": "no-port-here"})
    assert info.value.key == "bootstrap"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[worker\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config, env={})


def test_unknown_detector_option_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        build_pipeline({"pii": DetectorConfig(options={"colour": "red"})})
    assert info.value.key == "detectors.pii.options.colour"


def test_disabling_every_detector_fails() -> None:
    from guardstream.detectors.registry import available_detectors

    configs = {name: DetectorConfig(enabled=False) for name in available_detectors()}
    with pytest.raises(ConfigError, match="every detector is disabled"):
        build_pipeline(configs)
