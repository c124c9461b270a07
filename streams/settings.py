"""Settings, validated once at start-up: an unknown key or a bad value stops the process with a
message naming the key, rather than failing later inside a running worker.

Sources, later ones winning: defaults, a TOML file (`--config` or GUARDSTREAM_CONFIG), then
environment variables GUARDSTREAM_<KEY> with `__` between nested keys
(GUARDSTREAM_WORKER__BATCH_SIZE=512, GUARDSTREAM_BOOTSTRAP=kafka://host:9092).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from guardstream.detectors.behaviour import BEHAVIOUR_DETECTORS
from guardstream.detectors.config import AlertConfig, DetectorConfig
from guardstream.detectors.drift.config import DriftConfig
from guardstream.detectors.registry import available_detectors
from guardstream.errors import ConfigError
from guardstream.streams.limits import LimitSettings, check_limits
from guardstream.streams.ops_settings import (
    KafkaSettings,
    LogSettings,
    MetricsSettings,
    Profile,
    SecuritySettings,
)

ENV_PREFIX = "GUARDSTREAM_"
ENV_NOT_SETTINGS = frozenset({"GUARDSTREAM_CONFIG", "GUARDSTREAM_DATA"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class TopicSettings(Strict):
    events: str = "llm.events"
    scores: str = "llm.scores"
    alerts: str = "llm.alerts"
    dlq: str = "llm.events.dlq"
    control: str = "guardstream.control"
    feedback: str = "llm.feedback"
    drift_rows: str = "guardstream.drift.rows"  # score metrics keyed by app_id (drift windows)
    drift_status: str = "guardstream.drift.status"  # latest drift verdicts per app/model
    partitions: int = Field(default=4, ge=1, le=10_000)
    replication_factor: int = Field(default=1, ge=1, le=16)


class WorkerSettings(Strict):
    group_id: str = Field(default="guardstream", min_length=1)
    batch_size: int = Field(default=256, ge=1, le=100_000)
    batch_window_s: float = Field(default=0.2, gt=0, le=60)
    max_event_bytes: int = Field(default=1_048_576, ge=256)
    session_timeout_s: float = Field(default=10.0, ge=1, le=300)
    heartbeat_interval_s: float = Field(default=1.0, gt=0, le=60)
    web_port: int = Field(default=6066, ge=0, le=65535)
    web_bind: str = Field(default="127.0.0.1", min_length=1, description="0.0.0.0 to expose")
    data_dir: Path = Path(".guardstream")
    log_level: str = Field(default="warning", pattern="^(debug|info|warning|error)$")
    # worker processes on this host, one consumer group: 0 = one per usable CPU core, at most
    # one per partition of the events topic (`guardstream worker --processes N` overrides)
    processes: int = Field(default=0, ge=0, le=256)
    # How long a thread holding the GIL runs before a waiting one gets it (Python's default is
    # 5 ms). The worker's event loop and its other threads (faust's consumer, drift, the
    # state thread under the throughput profile) hand the GIL back and forth many times per
    # batch; at 5 ms each hand-off could hold a batch up for that long (issue 13).
    gil_switch_interval_ms: float = Field(default=1.0, ge=0.05, le=100)
    # Offsets of acknowledged batches are committed at most this often (and always at a clean
    # stop or rebalance); a crash re-delivers about this much traffic more. 0: every batch, each
    # commit a round trip the next batch's records wait for (issue 13: ~40 batches/s at 650 ev/s).
    commit_interval_s: float = Field(default=0.1, ge=0, le=10)


class OtlpIngestSettings(Strict):
    """`[ingest.otlp]`: OpenTelemetry GenAI spans in. With `topic` set the worker also consumes
    the OpenTelemetry Collector's kafka exporter topic; the user-id options serve the receiver too.
    """

    topic: str | None = Field(default=None, min_length=1)
    encoding: Literal["otlp_proto", "otlp_json"] = "otlp_proto"
    user_id_attribute: str | None = Field(default=None, min_length=1)
    default_user_id: str = Field(default="anonymous", min_length=1, max_length=256)
    max_request_bytes: int = Field(default=16_777_216, ge=1024)


class IngestSettings(Strict):
    otlp: OtlpIngestSettings = OtlpIngestSettings()


class StateSettings(Strict):
    """Behaviour state (faust tables). `rekey`: forward events whose Kafka key is not their
    user id to `<events>.by-user` (keyed by user id) so per-user state sees all of a user's
    events, on the partition that holds it. `EventPublisher` keys by user id, so its events
    are never forwarded; turn it off only where every publisher does the same.
    `standby_replicas`: faust's warm copies of other workers' partitions. Each one makes every
    worker read and decode the other workers' changelogs (measured: two workers spent twice the
    event-loop CPU per event of one), so the default is none; a new owner then restores a
    partition from its changelog before scoring it, which is what guarantees correctness."""

    rekey: bool = True
    standby_replicas: int = Field(default=0, ge=0, le=8)


class EvidenceSettings(Strict):
    """The per-deployment secret behind evidence fingerprints (HMAC-SHA256). Set `hmac_key`
    (GUARDSTREAM_EVIDENCE__HMAC_KEY) the same on every worker; unset, a key is generated into
    `key_file` (default: worker.data_dir/evidence.key) with a warning."""

    hmac_key: SecretStr | None = Field(default=None, min_length=16)
    key_file: Path | None = None


class Settings(Strict):
    bootstrap: str = "kafka://localhost:9092"
    topics: TopicSettings = TopicSettings()
    worker: WorkerSettings = WorkerSettings()
    limits: LimitSettings = LimitSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    ingest: IngestSettings = IngestSettings()
    state: StateSettings = StateSettings()
    detectors: dict[str, DetectorConfig] = Field(default_factory=dict)
    drift: DriftConfig = DriftConfig()
    alerts: AlertConfig = AlertConfig()
    kafka: KafkaSettings = KafkaSettings()
    security: SecuritySettings = SecuritySettings()
    metrics: MetricsSettings = MetricsSettings()
    logs: LogSettings = LogSettings()

    @field_validator("bootstrap")
    @classmethod
    def _kafka_url(cls, value: str) -> str:
        """Accept `host:port[,host:port]` or `kafka://...`; faust wants the URL form."""
        hosts = value.removeprefix("kafka://").split(",")
        for host in hosts:
            name, _, port = host.strip().rpartition(":")
            if not name or not port.isdigit():
                raise ValueError(f"expected host:port[,host:port], got {value!r}")
        return "kafka://" + ",".join(h.strip() for h in hosts)

    @field_validator("detectors")
    @classmethod
    def _known_detectors(cls, value: dict[str, DetectorConfig]) -> dict[str, DetectorConfig]:
        known = [*available_detectors(), *BEHAVIOUR_DETECTORS]
        for name in value:
            if name not in known:
                raise ValueError(f"unknown detector {name!r}; available: {', '.join(known)}")
        return value

    def tuning(self) -> Profile:
        """The Kafka profile with explicit `[kafka]` knobs and `[worker]` batch settings."""
        explicit = self.worker.model_fields_set
        return self.kafka.resolved(
            self.worker.batch_size if "batch_size" in explicit else None,
            self.worker.batch_window_s if "batch_window_s" in explicit else None,
        )

    def kafka_client_options(self) -> dict[str, Any]:
        """`bootstrap_servers` plus the [security] options, for any aiokafka client."""
        return {"bootstrap_servers": self.bootstrap_servers, **self.security.aiokafka_options()}

    @property
    def rekey_topic(self) -> str | None:
        """Where events keyed by something other than their user id are re-keyed to."""
        return f"{self.topics.events}.by-user" if self.state.rekey else None

    @property
    def bootstrap_servers(self) -> str:
        """The `host:port,...` form aiokafka takes."""
        return self.bootstrap.removeprefix("kafka://")


def load_settings(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults, file, environment and explicit overrides, then validate all at once."""
    env = os.environ if env is None else env
    path = config_path or (
        Path(env["GUARDSTREAM_CONFIG"]) if env.get("GUARDSTREAM_CONFIG") else None
    )
    merged: dict[str, Any] = _read_toml(path) if path else {}
    sources: dict[str, str] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        keys = name.removeprefix(ENV_PREFIX).lower().split("__")
        _set_nested(merged, keys, raw)
        sources[".".join(keys)] = name
    for dotted, value in (overrides or {}).items():
        _set_nested(merged, dotted.split("."), value)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(root)"
        origin = f" (from {sources[key]})" if key in sources else ""
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown setting"
        raise ConfigError(key, f"{message}{origin}") from exc
    check_settings(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """Cross-field checks a single field's validator cannot make; the first problem is raised."""
    for key, problem in check_limits(settings.limits, settings.worker.max_event_bytes):
        raise ConfigError(key, problem)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("config", f"file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{path} is not valid TOML: {exc}") from exc


def _set_nested(target: dict[str, Any], keys: list[str], value: Any) -> None:
    node = target
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(".".join(keys), f"'{key}' is a value, not a section")
        node = child
    node[keys[-1]] = value
