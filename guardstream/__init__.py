"""guardstream: stream-native misuse and quality-drift detection for LLM applications."""

__version__ = "0.1.0"
