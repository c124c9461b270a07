"""The OTLP/HTTP trace receiver behind `guardstream otlp-receiver` (an aiohttp application).

An app already instrumented with OpenTelemetry sets `OTEL_EXPORTER_OTLP_ENDPOINT` to this
address and changes nothing else. Answers follow the OTLP/HTTP spec: 200 with an
`ExportTraceServiceResponse` (partial success when GenAI spans were rejected), 400 with a
`google.rpc.Status` for a body that does not decode, 415 for other media types, 503 when
Kafka does not take the events (retryable, so the exporter sends again). A 200 is sent only
after the broker acknowledged every event of the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from aiokafka.errors import KafkaError
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from guardstream.errors import EventDecodeError
from guardstream.streams.client import EventPublisher
from guardstream.streams.otlp import decode_request, gunzip, map_request
from guardstream.streams.otlp_ingest import SpanCounters, mapping_options
from guardstream.streams.settings import Settings

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
INVALID_ARGUMENT, UNAVAILABLE = 3, 14  # google.rpc.Code
PUBLISHER = web.AppKey("publisher", EventPublisher)
COUNTERS = web.AppKey("counters", SpanCounters)


def build_receiver(settings: Settings) -> web.Application:
    """The aiohttp application: one route, one Kafka producer started and stopped with it."""
    ingest = settings.ingest.otlp
    options = mapping_options(ingest)
    app = web.Application(client_max_size=ingest.max_request_bytes)
    app[COUNTERS] = SpanCounters()

    async def producer(app: web.Application) -> AsyncIterator[None]:
        async with EventPublisher(settings) as publisher:
            app[PUBLISHER] = publisher
            yield

    async def traces(request: web.Request) -> web.Response:
        media = request.content_type
        if media not in (PROTOBUF, JSON):
            return _reply(
                Status(code=INVALID_ARGUMENT, message=f"unsupported {media!r}"), PROTOBUF, 415
            )
        counters = request.app[COUNTERS]
        body = await request.read()
        try:
            coding = request.headers.get("Content-Encoding", "identity").lower()
            if coding == "gzip":
                body = gunzip(body, ingest.max_request_bytes)
            elif coding != "identity":
                raise EventDecodeError(f"unsupported Content-Encoding {coding!r}", "encoding")
            encoding = "otlp_json" if media == JSON else "otlp_proto"
            # CPU work off the event loop, so one large request does not stall the others
            mapped = await asyncio.get_running_loop().run_in_executor(
                None, lambda: map_request(decode_request(body, encoding), options)
            )
        except EventDecodeError as exc:
            counters.undecodable += 1
            return _reply(Status(code=INVALID_ARGUMENT, message=exc.reason), media, 400)
        publisher = request.app[PUBLISHER]
        try:
            for event in mapped.events:
                await publisher.publish(event)
            await publisher.flush()
        except KafkaError as exc:
            message = f"cannot publish to Kafka: {exc!r}"
            return _reply(Status(code=UNAVAILABLE, message=message), media, 503)
        counters.add(mapped)
        response = ExportTraceServiceResponse()
        if mapped.rejected:
            response.partial_success.rejected_spans = len(mapped.rejected)
            response.partial_success.error_message = "; ".join(mapped.rejected)[:1000]
        headers = {
            "X-Guardstream-Events": str(len(mapped.events)),
            "X-Guardstream-Skipped": str(mapped.skipped),
        }
        return _reply(response, media, 200, headers)

    app.cleanup_ctx.append(producer)
    app.router.add_post("/v1/traces", traces)
    return app


def _reply(
    message: Message, media: str, status: int, headers: dict[str, str] | None = None
) -> web.Response:
    """The body in the request's own encoding, as the OTLP/HTTP spec asks."""
    if media == JSON:
        body = json_format.MessageToJson(message, indent=None).encode()
    else:
        body = message.SerializeToString()
    return web.Response(body=body, status=status, content_type=media, headers=headers)
