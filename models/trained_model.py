"""Save and load trained scikit-learn models with a manifest that is checked before unpickling.

The manifest records what a reviewer needs to trust a model: its version, the scikit-learn
version, the sha256 of the file, where the training data came from, class balance, thresholds
and held-out metrics. A file whose hash does not match is refused, never unpickled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn

from .artefact_errors import ArtefactError

ARTEFACT_ROOT = Path(__file__).parent / "artefacts"
MODEL_FILE = "model.joblib"
MANIFEST_FILE = "manifest.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class TrainedModel:
    """A fitted estimator plus its manifest (thresholds, metrics, provenance)."""

    name: str
    estimator: Any
    manifest: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.manifest.get("thresholds", {}).items()}


def verify_file(name: str, path: Path, expected: str, missing_hint: str = "") -> None:
    """Refuse a missing file or one whose sha256 is not the manifest's, before parsing it."""
    if not path.is_file():
        raise ArtefactError(f"model '{name}': {path} is missing{missing_hint}")
    actual = sha256_of(path)
    if actual != expected:
        raise ArtefactError(
            f"model '{name}': {path} sha256 {actual[:12]}… does not match the manifest "
            f"({expected[:12]}…); refusing to load a modified model"
        )


def save_model(
    name: str, estimator: Any, manifest: dict[str, Any], root: Path = ARTEFACT_ROOT
) -> dict[str, Any]:
    """Write `<root>/<name>/model.joblib` and a manifest holding its sha256; return that
    manifest as written."""
    directory = root / name
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    joblib.dump(estimator, model_path, compress=3)
    full = {
        **manifest,
        "name": name,
        "file": MODEL_FILE,
        "sha256": sha256_of(model_path),
        "size_bytes": model_path.stat().st_size,
        "sklearn_version": sklearn.__version__,
    }
    text = json.dumps(full, indent=2, sort_keys=True)
    (directory / MANIFEST_FILE).write_text(text + "\n")
    return json.loads(text)


def load_model(name: str, root: Path = ARTEFACT_ROOT) -> TrainedModel:
    """Load a model after checking it is present, untampered and from a compatible sklearn."""
    directory = root / name
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ArtefactError(f"model '{name}': {manifest_path} is missing; run `guardstream train`")
    try:
        manifest = json.loads(manifest_path.read_text())
        expected = manifest["sha256"]
    except (ValueError, KeyError) as exc:
        raise ArtefactError(
            f"model '{name}': manifest {manifest_path} is unreadable: {exc}"
        ) from exc
    model_path = directory / manifest.get("file", MODEL_FILE)
    verify_file(name, model_path, expected, "; run `guardstream train`")
    if manifest.get("sklearn_version") != sklearn.__version__:
        raise ArtefactError(
            f"model '{name}' was trained with scikit-learn {manifest.get('sklearn_version')}, "
            f"this is {sklearn.__version__}; retrain or install the matching version"
        )
    return TrainedModel(name=name, estimator=joblib.load(model_path), manifest=manifest)
