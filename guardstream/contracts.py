"""Wire contracts (JSON on Kafka). Field names here are public: add fields, never rename."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_MAX = 256
Severity = Literal["low", "medium", "high", "critical"]
Scope = Literal["event", "user", "session", "model"]
AlertStatus = Literal["open", "update"]


def stable_id(*parts: str) -> str:
    """A 32-hex id of `parts` that any process computes alike (alert ids)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class ChatMessage(BaseModel):
    """One chat turn; `tool` and `system` turns are where indirect injections hide."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: str = Field(min_length=1, max_length=64)
    content: str | None = None
    name: str | None = None


class ToolCall(BaseModel):
    """A tool invocation the model made (OpenTelemetry gen_ai.tool.* names)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    arguments: str | dict[str, Any] | None = None
    output: str | None = None


class LLMEvent(BaseModel):
    """One prompt/response exchange published by an LLM application."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=ID_MAX)
    timestamp: datetime
    app_id: str = Field(min_length=1, max_length=ID_MAX)
    user_id: str = Field(min_length=1, max_length=ID_MAX)
    prompt: str | list[ChatMessage]
    response: str | None = None
    session_id: str | None = Field(default=None, max_length=ID_MAX)
    model: str | None = Field(default=None, description="gen_ai.request.model")
    model_version: str | None = Field(default=None, description="gen_ai.response.model")
    system_prompt_hash: str | None = None
    latency_ms: float | None = Field(default=None, ge=0)
    input_tokens: int | None = Field(default=None, ge=0, description="gen_ai.usage.input_tokens")
    output_tokens: int | None = Field(default=None, ge=0, description="gen_ai.usage.output_tokens")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        """Naive timestamps are taken as UTC so windows never mix clocks."""
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:  # 9999-12-31T23:59:59-23:59 is past datetime.max in UTC
            raise ValueError("timestamp is out of range once converted to UTC") from exc

    @field_validator("prompt")
    @classmethod
    def _non_empty_prompt(cls, value: str | list[ChatMessage]) -> str | list[ChatMessage]:
        if isinstance(value, list) and not value:
            raise ValueError("prompt must be text or a non-empty list of chat messages")
        return value

    def user_text(self) -> str:
        """What the user typed: the prompt text, or the user turns of a chat."""
        if isinstance(self.prompt, str):
            return self.prompt
        return "\n".join(m.content or "" for m in self.prompt if m.role == "user")

    def context_text(self) -> str:
        """Text the user did not type (system, tool, retrieved documents, tool outputs)."""
        parts: list[str] = []
        if isinstance(self.prompt, list):
            parts.extend(
                m.content or "" for m in self.prompt if m.role not in ("user", "assistant")
            )
        parts.extend(call.output or "" for call in self.tool_calls)
        return "\n".join(p for p in parts if p)

    def prompt_text(self) -> str:
        """Every prompt-side text joined, for detectors that do not care who wrote it."""
        if isinstance(self.prompt, str):
            return "\n".join(p for p in (self.prompt, self.context_text()) if p)
        texts = [m.content or "" for m in self.prompt]
        texts.extend(call.output or "" for call in self.tool_calls)
        return "\n".join(t for t in texts if t)


class Evidence(BaseModel):
    """Why a detector fired. Never carries a secret or PII value, only its type, place and hash."""

    model_config = ConfigDict(frozen=True)

    kind: str
    field: Literal["prompt", "response", "context"]
    start: int | None = None
    end: int | None = None
    value_sha256: str | None = Field(
        default=None,
        description="keyed fingerprint: first 16 hex of HMAC-SHA256(deployment key, value); "
        "the name is kept for compatibility, it is no longer a plain sha256",
    )
    value_key_id: str | None = Field(
        default=None, description="which deployment key made value_sha256 (8 hex, not the key)"
    )
    detail: str | None = None


def short_hash(value: str) -> str:
    """A stable fingerprint of a value that does not reveal it."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class EventMetrics(BaseModel):
    """Per-event quality metrics for drift: measured once in the scoring batch, null where the
    event does not say (no latency, no token counts, no response)."""

    response_chars: int = 0
    prompt_chars: int = 0
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    response_language: str | None = Field(default=None, description="ISO 639-1, py3langid")
    prompt_language: str | None = Field(default=None, description="ISO 639-1, py3langid")
    refusal: float | None = Field(default=None, description="the refusal score")
    toxicity: float | None = Field(default=None, description="toxicity.response score")
    response_embedding: list[float] | None = Field(
        default=None, description="static response embedding on a fixed random projection"
    )
    prompt_embedding: list[float] | None = Field(
        default=None, description="static prompt embedding on a fixed random projection"
    )


class ScoreRecord(BaseModel):
    """Every processed event's scores; `llm.scores` and `guardstream score` emit exactly this."""

    event_id: str
    scores: dict[str, float]
    flags: list[str]
    app_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    event_timestamp: datetime | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)
    detector_versions: dict[str, str] = Field(default_factory=dict)
    threshold_versions: dict[str, int] = Field(
        default_factory=dict,
        description="control-topic version each threshold came from; 0 = config/manifest",
    )
    model: str | None = Field(default=None, description="the event's model (drift per app/model)")
    metrics: EventMetrics | None = None


class DriftDetail(BaseModel):
    """What a `drift.*` alert compared: both windows' summaries, the test and its effect size.

    Alerts fire on `effect_size` (above the configured threshold, with a minimum sample count);
    the p-value is reported too, but big windows make every p-value tiny.
    """

    metric: str
    test: str = Field(description="ks, chi2 or mmd_rbf")
    statistic: float
    p_value: float
    effect_size: float = Field(description="KS D, Cramér's V or MMD²")
    effect: str = Field(description="the secondary effect measure, e.g. wasserstein/sd=0.41")
    psi: float | None = None
    reference: dict[str, Any] = Field(description="summary of the reference window")
    current: dict[str, Any] = Field(description="summary of the current window")
    reference_count: int
    current_count: int
    reference_start: datetime
    reference_end: datetime
    current_start: datetime
    current_end: datetime


class Alert(BaseModel):
    """A flag worth attention. `alert_id` is deterministic, so redelivery is idempotent."""

    alert_id: str
    detector: str
    detector_version: str
    category: str
    severity: Severity
    score: float
    threshold: float
    scope: Scope
    scope_id: str
    app_id: str
    user_id: str | None = None
    session_id: str | None = None
    event_ids: list[str]
    window_start: datetime
    window_end: datetime
    evidence: list[Evidence] = Field(default_factory=list)
    drift: DriftDetail | None = Field(default=None, description="set on drift.* alerts")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    status: AlertStatus = Field(
        default="open", description="open: first of its suppression window; update: a repeat"
    )
    occurrences: int = Field(default=1, ge=1, description="flags folded into this alert so far")
    first_seen: datetime | None = Field(default=None, description="event time of the first flag")
    last_seen: datetime | None = Field(default=None, description="event time of the latest flag")
    event_count: int | None = Field(
        default=None, ge=0, description="events behind the score; event_ids is capped"
    )
    scores: dict[str, float] = Field(
        default_factory=dict, description="behaviour/window scores in force when it fired"
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    threshold_versions: dict[str, int] = Field(
        default_factory=dict,
        description="control-topic version of each threshold judged; 0 = config/manifest",
    )

    @staticmethod
    def make_id(
        detector: str,
        scope: Scope,
        scope_id: str,
        window: str,
        app_id: str = "",
        user_id: str | None = None,
    ) -> str:
        """Same detector, scope, window, app and user give the same id, whoever computes it;
        two apps (or users) never share one. (`detectors/alerts.py:alert_id` is the live one.)"""
        return stable_id(detector, scope, scope_id, window, app_id, user_id or "")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ThresholdRecord(BaseModel):
    """A live threshold on `guardstream.control`, key `threshold/<score_key>[/<app_id>]`.

    The topic is not compacted on every broker, so readers keep the latest record per key.
    `threshold: null` with `enabled: true` defers to the next level (global control, config,
    manifest); `enabled: false` stops the key flagging at this level. `severity` and
    `suppress_s`, when set, override the alerts this key raises (each resolved on its own,
    app record first).
    """

    model_config = ConfigDict(extra="ignore")

    score_key: str = Field(min_length=1, max_length=ID_MAX)
    app_id: str | None = Field(default=None, min_length=1, max_length=ID_MAX)
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    enabled: bool = True
    version: int = Field(ge=1)
    set_by: str = Field(min_length=1, max_length=ID_MAX)
    reason: str = Field(min_length=1, max_length=4000)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    severity: Severity | None = Field(default=None, description="alert severity override")
    suppress_s: float | None = Field(
        default=None, ge=1, le=2_592_000, description="alert suppression window override (s)"
    )

    @field_validator("at")
    @classmethod
    def _at_utc(cls, value: datetime) -> datetime:
        return _utc(value)

    @property
    def key(self) -> str:
        return threshold_key(self.score_key, self.app_id)


def threshold_key(score_key: str, app_id: str | None = None) -> str:
    """The control-topic record key of a threshold."""
    return f"threshold/{score_key}" + (f"/{app_id}" if app_id else "")


FeedbackLabel = Literal["abusive", "benign", "true_positive", "false_positive"]


class Feedback(BaseModel):
    """An analyst's label on `llm.feedback`, about one event or one alert (exactly one id)."""

    model_config = ConfigDict(extra="ignore")

    event_id: str | None = Field(default=None, min_length=1, max_length=ID_MAX)
    alert_id: str | None = Field(default=None, min_length=1, max_length=ID_MAX)
    label: FeedbackLabel
    score_key: str | None = Field(default=None, min_length=1, max_length=ID_MAX)
    labeler: str = Field(min_length=1, max_length=ID_MAX)
    note: str | None = Field(default=None, max_length=4000)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @field_validator("at")
    @classmethod
    def _at_utc(cls, value: datetime) -> datetime:
        return _utc(value)

    @model_validator(mode="after")
    def _one_subject(self) -> Feedback:
        if (self.event_id is None) == (self.alert_id is None):
            raise ValueError("give exactly one of event_id or alert_id")
        return self

    @property
    def abusive(self) -> bool:
        """abusive / true_positive = 1; benign / false_positive = 0."""
        return self.label in ("abusive", "true_positive")

    @property
    def subject(self) -> str:
        return self.event_id or self.alert_id or ""


DRIFT_REFERENCE_PREFIX = "drift-reference/"


class DriftReferenceRecord(BaseModel):
    """ "Set the drift reference now" on `guardstream.control`, key
    `drift-reference/<app_id>[/<model>]`: windows of that app (one model, or all) restart, and
    the next `drift.reference_events` events at or after `at` become the reference."""

    model_config = ConfigDict(extra="ignore")

    app_id: str = Field(min_length=1, max_length=ID_MAX)
    model: str | None = Field(default=None, description="None: every model of the app")
    at: datetime = Field(description="event time from which the new reference is collected")
    set_by: str | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _utc(value)

    @property
    def key(self) -> str:
        return DRIFT_REFERENCE_PREFIX + self.app_id + (f"/{self.model}" if self.model else "")


CONTRACTS: dict[str, type[BaseModel]] = {
    "LLMEvent": LLMEvent,
    "ScoreRecord": ScoreRecord,
    "Alert": Alert,
    "ThresholdRecord": ThresholdRecord,
    "Feedback": Feedback,
    "DriftReferenceRecord": DriftReferenceRecord,
}
