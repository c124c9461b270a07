"""The [kafka] profiles and the [security] settings: resolved and validated at start-up."""

from __future__ import annotations

import ssl
import sys
from pathlib import Path

import pytest

from guardstream.errors import ConfigError
from guardstream.streams.service import shorten_gil_switch_interval
from guardstream.streams.settings import load_settings

TLS = Path(__file__).parent / "data" / "tls"


def test_latency_profile_is_the_default_and_explicit_knobs_win() -> None:
    default = load_settings(env={}).tuning()
    assert (default.fetch_max_wait_ms, default.flush_when_idle) == (20, True)
    assert default.state_on_loop  # no GIL hand-off to a state thread per batch
    tuned = load_settings(
        env={
            "GUARDSTREAM_KAFKA__PROFILE": "throughput",
            "GUARDSTREAM_KAFKA__FETCH_MAX_WAIT_MS": "50",
            "GUARDSTREAM_WORKER__BATCH_SIZE": "64",
        }
    ).tuning()
    assert tuned.fetch_max_wait_ms == 50  # explicit
    assert tuned.linger_ms == 20 and not tuned.flush_when_idle  # from the throughput profile
    assert not tuned.state_on_loop  # the state stage overlaps delivery in its own thread
    assert tuned.batch_size == 64  # [worker] batch_size set explicitly beats the profile


def test_the_worker_shortens_the_gil_switch_interval_it_is_given() -> None:
    before = sys.getswitchinterval()
    try:
        shorten_gil_switch_interval(load_settings(env={}).worker)
        assert sys.getswitchinterval() == pytest.approx(0.001)  # default 1 ms, Python's is 5
        env = {"GUARDSTREAM_WORKER__GIL_SWITCH_INTERVAL_MS": "0.5"}
        shorten_gil_switch_interval(load_settings(env=env).worker)
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    finally:
        sys.setswitchinterval(before)
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_WORKER__GIL_SWITCH_INTERVAL_MS": "0"})
    assert info.value.key == "worker.gil_switch_interval_ms"


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={"GUARDSTREAM_KAFKA__PROFILE": "fast"})
    assert info.value.key == "kafka.profile"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "PLAIN", "USERNAME": "u"}, "password"),
        ({"PROTOCOL": "PLAINTEXT", "USERNAME": "u", "PASSWORD": "p"}, "SASL_"),
        ({"PROTOCOL": "SSL", "CERT_FILE": str(TLS / "test-client.pem")}, "key_file"),
        ({"PROTOCOL": "SSL", "CA_FILE": "/nonexistent/ca.pem"}, "no such file"),
        ({"PROTOCOL": "SASL_SSL", "SASL_MECHANISM": "SCRAM-SHA-1"}, "sasl_mechanism"),
    ],
)
def test_inconsistent_security_stops_start_up(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={f"GUARDSTREAM_SECURITY__{k}": v for k, v in env.items()})
    assert info.value.key.startswith("security")
    assert needle in str(info.value)


def test_scram_over_tls_reaches_aiokafka_options() -> None:
    security = load_settings(
        env={
            "GUARDSTREAM_SECURITY__PROTOCOL": "SASL_SSL",
            "GUARDSTREAM_SECURITY__SASL_MECHANISM": "SCRAM-SHA-512",
            "GUARDSTREAM_SECURITY__USERNAME": "svc",
            "GUARDSTREAM_SECURITY__PASSWORD": "s3cret",
        }
    ).security
    options = security.aiokafka_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("svc", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "s3cret" not in repr(security)


def test_mutual_tls_loads_the_client_certificate() -> None:
    security = load_settings(
        env={
            "GUARDSTREAM_SECURITY__PROTOCOL": "SSL",
            "GUARDSTREAM_SECURITY__CA_FILE": str(TLS / "test-client.pem"),
            "GUARDSTREAM_SECURITY__CERT_FILE": str(TLS / "test-client.pem"),
            "GUARDSTREAM_SECURITY__KEY_FILE": str(TLS / "test-client.key"),
        }
    ).security
    context = security.ssl_context()
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
    assert security.aiokafka_options()["security_protocol"] == "SSL"


def test_faust_gets_the_same_credentials() -> None:
    import faust

    from guardstream.streams.kafka_tuning import broker_credentials

    settings = load_settings(
        env={
            "GUARDSTREAM_SECURITY__PROTOCOL": "SASL_PLAINTEXT",
            "GUARDSTREAM_SECURITY__SASL_MECHANISM": "SCRAM-SHA-256",
            "GUARDSTREAM_SECURITY__USERNAME": "svc",
            "GUARDSTREAM_SECURITY__PASSWORD": "pw",
        }
    )
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert credentials.protocol.value == "SASL_PLAINTEXT"
    assert broker_credentials(load_settings(env={})) is None
