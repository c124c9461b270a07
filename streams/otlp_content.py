"""Prompt, response and tool calls out of a GenAI span, whichever shape the instrumentation used.

Shapes, tried in this order; the first that yields content wins, so an instrumentation that
emits two shapes at once (semconv "dual" mode) is not read twice:

1. current GenAI conventions: `gen_ai.input.messages`, `gen_ai.output.messages`,
   `gen_ai.system_instructions` (JSON), tool spans' `gen_ai.tool.call.arguments`/`.result`;
2. older span events: `gen_ai.{system,user,assistant,tool}.message`, `gen_ai.choice`,
   `gen_ai.content.prompt`/`gen_ai.content.completion`;
3. flattened attributes: OpenInference `llm.input_messages.N.message.*` /
   `llm.output_messages.N.*` (and `input.value`/`output.value`, `tool.name`), and
   OpenLLMetry `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`; OpenInference retriever spans'
   `retrieval.documents.N.document.content` become tool calls named `retrieval`.

Tool outputs become `ToolCall.output` (matched to their call by id), never chat turns, so each
reaches the indirect-injection scorer exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from guardstream.contracts import ChatMessage, ToolCall
from guardstream.streams.otlp_values import arguments_value, as_list, as_text, loads, unflatten

Attributes = Mapping[str, Any]
DOCUMENTS = "retrieval.documents."  # OpenInference RETRIEVER spans
ROLE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


@dataclass
class SpanEvent:
    """A span event reduced to what the mapping reads (name and decoded attributes)."""

    name: str
    attributes: dict[str, Any]


@dataclass
class _PendingCall:
    name: str | None = None
    arguments: Any = None
    output: str | None = None


@dataclass
class Content:
    """What one span said; `captured` is False when the instrumentation recorded no text."""

    messages: list[ChatMessage] = field(default_factory=list)
    response: list[str] = field(default_factory=list)
    system: list[str] = field(default_factory=list)
    calls: dict[str, _PendingCall] = field(default_factory=dict)
    prompt_text: str | None = None

    @property
    def captured(self) -> bool:
        return bool(self.messages or self.response or self.calls or self.prompt_text or self.system)

    def message(self, role: str | None, content: Any) -> None:
        text = as_text(content)
        if text:
            self.messages.append(ChatMessage(role=(role or "user")[:64], content=text))

    def call(self, call_id: Any, name: Any, arguments: Any = None, output: Any = None) -> None:
        """Record a tool call; a later output (or an earlier one) with the same id joins it."""
        key = str(call_id) if call_id not in (None, "") else f"#{len(self.calls)}"
        pending = self.calls.setdefault(key, _PendingCall())
        pending.name = pending.name or (str(name) if name else None)
        if pending.arguments is None and arguments not in (None, ""):
            pending.arguments = arguments
        text = as_text(output)
        if text:
            pending.output = f"{pending.output}\n{text}" if pending.output else text

    def tool_calls(self) -> list[ToolCall]:
        return [
            ToolCall(name=c.name or "tool", arguments=arguments_value(c.arguments), output=c.output)
            for c in self.calls.values()
        ]


def extract_content(attrs: Attributes, events: Iterable[SpanEvent]) -> Content:
    """Read the first shape that has content; an empty `Content` means capture was off."""
    events = list(events)
    readers: list[Callable[[Content], None]] = [
        lambda c: _read_semconv(c, attrs),
        lambda c: _read_events(c, events),
        lambda c: _read_flattened(c, attrs),
    ]
    for read in readers:
        content = Content()
        read(content)
        if content.captured:
            return content
    return Content()


def _read_semconv(content: Content, attrs: Attributes) -> None:
    for part in as_list(loads(attrs.get("gen_ai.system_instructions"))):
        text = as_text(part)
        if text:
            content.system.append(text)
    for message in as_list(loads(attrs.get("gen_ai.input.messages"))):
        _semconv_message(content, message, output=False)
    for message in as_list(loads(attrs.get("gen_ai.output.messages"))):
        _semconv_message(content, message, output=True)
    arguments, result = (
        attrs.get("gen_ai.tool.call.arguments"),
        attrs.get("gen_ai.tool.call.result"),
    )
    if arguments is not None or result is not None:
        content.call(
            attrs.get("gen_ai.tool.call.id"),
            attrs.get("gen_ai.tool.name"),
            loads(arguments),
            result,
        )


def _semconv_message(content: Content, message: Any, output: bool) -> None:
    if not isinstance(message, dict):
        return
    role = message.get("role") or ("assistant" if output else "user")
    texts: list[str] = []
    parts = message.get("parts")
    for part in as_list(parts if parts is not None else message.get("content")):
        kind = part.get("type") if isinstance(part, dict) else "text"
        if kind == "tool_call":
            content.call(part.get("id"), part.get("name"), part.get("arguments"))
        elif kind == "tool_call_response":
            content.call(part.get("id"), part.get("name"), output=part.get("response"))
        elif kind in ("text", None):
            text = as_text(part)
            if text:
                texts.append(text)
    if role == "tool" and texts:  # a tool turn without a tool_call_response part
        content.call(
            message.get("tool_call_id") or message.get("id"),
            message.get("name"),
            output="\n".join(texts),
        )
    elif output:
        content.response.extend(texts)
    elif texts:
        content.message(role, "\n".join(texts))


def _read_events(content: Content, events: list[SpanEvent]) -> None:
    for event in events:
        body = _event_body(event.attributes)
        if event.name in ROLE_EVENTS:
            _plain_message(content, {"role": ROLE_EVENTS[event.name], **body}, output=False)
        elif event.name == "gen_ai.choice":
            message = loads(body.get("message"))
            message = message if isinstance(message, dict) else {"content": message}
            _plain_message(content, {**body, **message}, output=True)
        elif event.name == "gen_ai.content.prompt":
            for message in as_list(loads(event.attributes.get("gen_ai.prompt"))):
                _plain_message(content, message, output=False)
        elif event.name == "gen_ai.content.completion":
            for message in as_list(loads(event.attributes.get("gen_ai.completion"))):
                _plain_message(content, message, output=True)


def _event_body(attrs: Attributes) -> dict[str, Any]:
    """Span events carry the log event's body either as JSON or as (flattened) attributes."""
    body: dict[str, Any] = {}
    for key in ("gen_ai.event.content", "event.body", "body"):
        parsed = loads(attrs.get(key))
        if isinstance(parsed, dict):
            body.update(parsed)
    plain = {k: v for k, v in attrs.items() if not k.startswith("gen_ai.") and k != "body"}
    nested = unflatten(plain)
    if isinstance(nested, dict):
        body.update(nested)
    return body


def _plain_message(content: Content, message: Any, output: bool) -> None:
    """An OpenAI-style `{role, content, tool_calls, tool_call_id}` message."""
    if not isinstance(message, dict):
        message = {"content": message}
    message = (
        message.get("message", message) if isinstance(message.get("message"), dict) else message
    )
    role = message.get("role") or ("assistant" if output else "user")
    for call in as_list(loads(message.get("tool_calls"))):
        if isinstance(call, dict):
            call = call.get("tool_call", call)
            function = call.get("function", call)
            content.call(call.get("id"), function.get("name"), loads(function.get("arguments")))
    text = as_text(message.get("content"))
    if text is None and isinstance(message.get("contents"), (list, dict)):
        text = as_text(as_list(message["contents"]))
    if role == "tool":
        call_id = message.get("tool_call_id") or message.get("id")
        content.call(call_id, message.get("name"), output=text)
    elif output:
        if text:
            content.response.append(text)
    elif role == "system" and text:
        content.system.append(text)
    else:
        content.message(role, text)


def _read_flattened(content: Content, attrs: Attributes) -> None:
    for prefix, output in (
        ("llm.input_messages.", False),
        ("llm.output_messages.", True),
        ("gen_ai.prompt.", False),
        ("gen_ai.completion.", True),
    ):
        flat = {k[len(prefix) :]: v for k, v in attrs.items() if k.startswith(prefix)}
        for message in as_list(unflatten(flat)):
            _plain_message(content, message, output)
    kind = attrs.get("openinference.span.kind")
    if not content.captured and kind == "TOOL":
        content.call(
            attrs.get("tool_call.id"),
            attrs.get("tool.name"),
            loads(attrs.get("input.value")),
            attrs.get("output.value"),
        )
    elif not content.captured and kind in ("LLM", "AGENT", "CHAIN", "RETRIEVER"):
        content.prompt_text = as_text(attrs.get("input.value"))
        text = as_text(attrs.get("output.value")) if kind != "RETRIEVER" else None
        if text:
            content.response.append(text)
    # retrieved documents are context the user did not write: scored like tool output
    flat = {k[len(DOCUMENTS) :]: v for k, v in attrs.items() if k.startswith(DOCUMENTS)}
    for index, doc in enumerate(as_list(unflatten(flat))):
        doc = doc.get("document", doc) if isinstance(doc, dict) else {"content": doc}
        key = f"retrieval:{doc.get('id', index)}"
        content.call(
            key, "retrieval", {"id": doc["id"]} if "id" in doc else None, doc.get("content")
        )
