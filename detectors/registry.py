"""Which detectors exist, found by name: built-ins here, plugins through entry points.

A third party adds a detector by exposing a `Detector` subclass under the entry-point group
`guardstream.detectors`; no code here changes.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from guardstream.detectors.base import Detector

ENTRY_POINT_GROUP = "guardstream.detectors"

# name -> "module:Class"; imported only when enabled, so a disabled model never loads.
BUILTIN_DETECTORS: dict[str, str] = {
    "obfuscation": "guardstream.detectors.obfuscation:ObfuscationDetector",
    "secrets": "guardstream.detectors.secrets:SecretsDetector",
    "pii": "guardstream.detectors.pii:PiiDetector",
    "leakage": "guardstream.detectors.leakage:LeakageDetector",
    "injection": "guardstream.detectors.injection:InjectionDetector",
    "harmful": "guardstream.detectors.harmful:HarmfulDetector",
    "toxicity": "guardstream.detectors.toxicity:ToxicityDetector",
    "refusal": "guardstream.detectors.refusal:RefusalDetector",
    "moderation": "guardstream.detectors.moderation:ModerationDetector",
}


def available_detectors() -> dict[str, str]:
    """Every detector name that can be enabled, with where its class lives."""
    found = dict(BUILTIN_DETECTORS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def detector_class(name: str) -> type[Detector]:
    """Import and return the class registered under `name` (KeyError if there is none)."""
    module_name, _, attribute = available_detectors()[name].partition(":")
    cls = getattr(importlib.import_module(module_name), attribute)
    if not (isinstance(cls, type) and issubclass(cls, Detector)):
        raise TypeError(f"{name!r} is registered as {cls!r}, which is not a Detector")
    return cls
