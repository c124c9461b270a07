"""`guardstream label EVENT_ID abusive|benign [--score-key K] --labeler NAME [--note TEXT]`."""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError

from guardstream.contracts import Feedback
from guardstream.errors import GuardstreamError
from guardstream.streams.client import FeedbackPublisher
from guardstream.streams.commands.common import BootstrapOption, ConfigOption, settings_from
from guardstream.streams.decoding import describe_validation_error
from guardstream.streams.settings import Settings


class Label(StrEnum):
    abusive = "abusive"
    benign = "benign"
    true_positive = "true_positive"
    false_positive = "false_positive"


async def send(settings: Settings, feedback: Feedback) -> None:
    async with FeedbackPublisher(settings) as publisher:
        await publisher.publish(feedback)


def label(
    subject: Annotated[str, typer.Argument(metavar="EVENT_ID", help="Event id (or alert id).")],
    verdict: Annotated[Label, typer.Argument(metavar="LABEL", help="abusive or benign.")],
    labeler: Annotated[str, typer.Option("--labeler", help="Who labels (kept with it).")],
    score_key: Annotated[
        str | None, typer.Option("--score-key", help="Only for this score key.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Free text.")] = None,
    alert: Annotated[
        bool, typer.Option("--alert", help="The id is an alert id (true_positive/...).")
    ] = False,
    config: ConfigOption = None,
    bootstrap: BootstrapOption = None,
) -> None:
    """Label an event (or, with --alert, an alert) on the feedback topic for threshold fits."""
    ids = {"alert_id": subject} if alert else {"event_id": subject}
    try:
        feedback = Feedback.model_validate(
            {
                **ids,
                "label": verdict.value,
                "labeler": labeler,
                "score_key": score_key,
                "note": note,
            }
        )
        asyncio.run(send(settings_from(config, bootstrap), feedback))
    except ValidationError as exc:
        print(f"guardstream: error: {describe_validation_error(exc)}", file=sys.stderr)
        raise typer.Exit(2) from None
    except GuardstreamError as exc:
        print(f"guardstream: error: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    print(feedback.model_dump_json(exclude_none=True))
