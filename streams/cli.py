"""The `guardstream` command. Each command lives in its own module under `commands/`."""

from __future__ import annotations

import logging
import sys

import typer
from aiokafka.errors import KafkaError

from guardstream.errors import GuardstreamError
from guardstream.streams.commands.bench import bench_app
from guardstream.streams.commands.bench_adversarial import bench_adversarial
from guardstream.streams.commands.bench_drift import bench_drift
from guardstream.streams.commands.bench_pipeline import bench_pipeline
from guardstream.streams.commands.bench_thresholds import bench_thresholds
from guardstream.streams.commands.broker import broker
from guardstream.streams.commands.demo import demo
from guardstream.streams.commands.drift import drift_app
from guardstream.streams.commands.fit import fit
from guardstream.streams.commands.label import label
from guardstream.streams.commands.otlp_receiver import otlp_receiver
from guardstream.streams.commands.publish import publish
from guardstream.streams.commands.schema import schema
from guardstream.streams.commands.score import score
from guardstream.streams.commands.tail import tail
from guardstream.streams.commands.thresholds import thresholds_app
from guardstream.streams.commands.train import train
from guardstream.streams.commands.worker import worker

app = typer.Typer(
    name="guardstream",
    help="Stream-native misuse and quality-drift detection for LLM applications on Kafka.",
    no_args_is_help=True,
    add_completion=False,
)
for command in (broker, worker, publish, tail, score, schema, demo, train, label):
    app.command()(command)
app.command("otlp-receiver")(otlp_receiver)
bench_app.command("adversarial")(bench_adversarial)
bench_app.command("drift")(bench_drift)
bench_app.command("pipeline")(bench_pipeline)
bench_app.command("thresholds")(bench_thresholds)
app.add_typer(bench_app, name="bench")
thresholds_app.command()(fit)
app.add_typer(thresholds_app, name="thresholds")
app.add_typer(drift_app, name="drift")


def main() -> None:
    """Entry point: guardstream's own errors become one clear line and exit code 2."""
    # aiokafka logs each failed connection attempt; with no logging configured (every command
    # but the worker, which configures its own) Python would print them raw before our line.
    logging.getLogger("aiokafka").addHandler(logging.NullHandler())
    try:
        app()
    except GuardstreamError as exc:
        print(f"guardstream: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KafkaError as exc:  # the broker went away mid-command
        print(f"guardstream: error: Kafka: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
