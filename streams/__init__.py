"""Kafka wiring: settings, topics, the faust app, the client and the CLI."""
