"""Settings sections for running in production: Kafka client tuning, security, metrics, logs.

Kept apart from `settings.py` so that file stays a short list of sections.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T", int, float)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


@dataclass(frozen=True)
class Profile:
    """The client knobs one profile sets; any of them set explicitly in `[kafka]` wins."""

    fetch_max_wait_ms: int
    fetch_min_bytes: int
    max_poll_records: int
    linger_ms: int
    batch_size: int
    batch_window_s: float
    flush_when_idle: bool  # hand over a partial batch as soon as nothing more is buffered
    # the behaviour stage and drift rows on the event loop, not own threads (streams/stages.py)
    state_on_loop: bool


PROFILES: dict[str, Profile] = {
    # p99 event->score in the low hundreds of ms at half load: a fetch returns once 16 KiB
    # (~20 bench events) is there or after 20 ms (Tansu answers an empty fetch only when the
    # wait expires), and a batch is whatever is buffered when the scorer is free. Against
    # 1 byte / 10 ms, at 500-650 ev/s: 1-7 % less worker-parent CPU in ten same-hour pairs
    # (tools/worker_probe.py latency 500 12), from fewer, fuller fetches; p99 moved with the
    # box, not the setting. An idle stream waits at most 10 ms more.
    # The behaviour stage runs on the event loop: no GIL hand-offs between two threads per
    # batch (measured at 500 ev/s: 9 % less worker-parent CPU, lower p99).
    "latency": Profile(20, 16_384, 500, 1, 256, 0.2, True, True),
    # Bulk backfills: bigger fetches, bigger batches, fuller produce requests; the behaviour
    # stage in its own thread, overlapping the loop's delivery and publishing.
    "throughput": Profile(200, 65_536, 2000, 20, 1024, 0.5, False, False),
}


class KafkaSettings(_Strict):
    """Kafka client knobs that reach the worker's consumer and producer."""

    profile: Literal["latency", "throughput"] = "latency"
    fetch_max_wait_ms: int | None = Field(default=None, ge=0, le=60_000)
    fetch_min_bytes: int | None = Field(default=None, ge=1, le=64 * 1024 * 1024)
    max_poll_records: int | None = Field(default=None, ge=1, le=100_000)
    linger_ms: int | None = Field(default=None, ge=0, le=10_000)
    max_partition_fetch_bytes: int = Field(default=1_048_576, ge=1024)

    def resolved(
        self, batch_size: int | None = None, batch_window_s: float | None = None
    ) -> Profile:
        """The profile with the explicitly set fields (and the worker's batch settings, when
        set explicitly) laid over it."""
        base = PROFILES[self.profile]
        return Profile(
            fetch_max_wait_ms=_pick(self.fetch_max_wait_ms, base.fetch_max_wait_ms),
            fetch_min_bytes=_pick(self.fetch_min_bytes, base.fetch_min_bytes),
            max_poll_records=_pick(self.max_poll_records, base.max_poll_records),
            linger_ms=_pick(self.linger_ms, base.linger_ms),
            batch_size=_pick(batch_size, base.batch_size),
            batch_window_s=_pick(batch_window_s, base.batch_window_s),
            flush_when_idle=base.flush_when_idle,
            state_on_loop=base.state_on_loop,
        )


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value


Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class SecuritySettings(_Strict):
    """How to reach a managed cluster (MSK, Confluent Cloud, Redpanda Cloud): SASL PLAIN or
    SCRAM over TLS, or mutual TLS with a client certificate. Checked at start-up: a missing
    password or an unreadable certificate stops the worker with the key's name."""

    protocol: Protocol = "PLAINTEXT"
    sasl_mechanism: Mechanism | None = None
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    key_password: str | None = Field(default=None, repr=False)
    check_hostname: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> SecuritySettings:
        sasl = self.protocol.startswith("SASL_")
        if sasl and (self.sasl_mechanism is None or not self.username or not self.password):
            raise ValueError(f"{self.protocol} needs sasl_mechanism, username and password")
        if not sasl and (self.sasl_mechanism or self.username or self.password):
            raise ValueError(
                f"sasl_mechanism/username/password need a SASL_* protocol, not {self.protocol}"
            )
        tls = self.protocol in ("SSL", "SASL_SSL")
        files = {"ca_file": self.ca_file, "cert_file": self.cert_file, "key_file": self.key_file}
        if not tls and any(files.values()):
            raise ValueError(
                f"certificate files need protocol SSL or SASL_SSL, not {self.protocol}"
            )
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("mutual TLS needs both cert_file and key_file")
        for name, path in files.items():
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    @property
    def tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A verifying client context (system CAs unless `ca_file`), with the client
        certificate for mutual TLS; None without TLS."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        context.check_hostname = self.check_hostname
        if self.cert_file and self.key_file:
            context.load_cert_chain(self.cert_file, self.key_file, self.key_password)
        return context

    def aiokafka_options(self) -> dict[str, object]:
        """Keyword arguments for any aiokafka client (consumer, producer, admin)."""
        options: dict[str, object] = {"security_protocol": self.protocol}
        context = self.ssl_context()
        if context is not None:
            options["ssl_context"] = context
        if self.sasl_mechanism:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        return options


class MetricsSettings(_Strict):
    """Prometheus `/metrics`; loopback unless you open it on purpose."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=9464, ge=0, le=65535)  # 0 picks a free port


class LogSettings(_Strict):
    format: Literal["json", "text"] = "json"
    errors_per_minute: int = Field(default=5, ge=1, le=10_000)
