"""Errors raised when a packaged model artefact cannot be trusted or loaded."""

from __future__ import annotations

from guardstream.errors import GuardstreamError


class ArtefactError(GuardstreamError, RuntimeError):
    """A model artefact is missing, incomplete, tampered with, or malformed.

    Raised instead of silently loading bad weights: a detector fed corrupted
    embeddings would keep running and quietly give wrong answers.
    """
