"""Detectors: pure functions of a batch of events to raw scores. No Kafka in here."""
