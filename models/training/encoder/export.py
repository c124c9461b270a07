"""Export the fine-tuned encoder to ONNX, quantise it to int8 and record parity.

Parity is measured on fixed texts (`parity_texts.json`) plus a seeded sample of kept rows:
torch probabilities against the fp32 ONNX graph (must agree to 1e-4) and against the int8
graph that ships (largest difference recorded in the manifest, never hidden). Dynamic int8
moves single probabilities by up to ~0.4 on this fine-tuned model (mean ~0.01), so the
thresholds, bands and card numbers are all computed on the int8 model's own scores.

    python -m guardstream.models.training.encoder.export --run OUT_DIR --weights MINILM_DIR \
        --rows rows.jsonl --dest models/artefacts/encoder
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import torch

from guardstream.models.encoder_tokens import load_tokenizer, pad, token_ids

from .args import step_parser
from .bert import MultiTaskMiniLM
from .data import TASKS, read

PARITY_TEXTS = Path(__file__).with_name("parity_texts.json")
FP32_TOLERANCE = 1e-4


def export_onnx(model: MultiTaskMiniLM, path: Path) -> None:
    ids = torch.ones((2, 8), dtype=torch.int64)
    mask = torch.ones((2, 8), dtype=torch.int64)
    torch.onnx.export(
        model.eval(),
        (ids, mask),
        str(path),
        input_names=["ids", "mask"],
        output_names=["logits"],
        dynamic_axes={
            "ids": {0: "batch", 1: "tokens"},
            "mask": {0: "batch", 1: "tokens"},
            "logits": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )


def quantise(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        extra_options={"MatMulConstBOnly": True},  # attention products stay float
    )


def onnx_probabilities(path: Path, ids: list[list[int]]) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = []
    for row in ids:
        x, m = pad([row])
        out.append(session.run(["logits"], {"ids": x, "mask": m})[0][0])
    return 1.0 / (1.0 + np.exp(-np.array(out, dtype=np.float64)))


@torch.inference_mode()
def torch_probabilities(model: MultiTaskMiniLM, ids: list[list[int]]) -> np.ndarray:
    out = [model(*(torch.from_numpy(a) for a in pad([row])))[0].numpy() for row in ids]
    return 1.0 / (1.0 + np.exp(-np.array(out, dtype=np.float64)))


def parity(model: MultiTaskMiniLM, fp32: Path, int8: Path, texts: list[str], tok) -> dict:  # type: ignore[no-untyped-def]
    ids = token_ids(tok, texts)
    reference = torch_probabilities(model, ids)
    exported = onnx_probabilities(fp32, ids)
    quantised = onnx_probabilities(int8, ids)
    fp32_gap = float(np.abs(reference - exported).max())
    if fp32_gap > FP32_TOLERANCE:
        raise SystemExit(f"fp32 ONNX differs from torch by {fp32_gap:.2e} (> {FP32_TOLERANCE})")
    return {
        "texts": len(texts),
        "torch_vs_onnx_fp32_max_abs": round(fp32_gap, 8),
        "torch_vs_onnx_int8_max_abs": round(float(np.abs(reference - quantised).max()), 6),
        "torch_vs_onnx_int8_mean_abs": round(float(np.abs(reference - quantised).mean()), 6),
        "fixed_texts_int8": [
            [round(float(p), 6) for p in row] for row in quantised[: len(fixed_texts())]
        ],
    }


def fixed_texts() -> list[str]:
    return json.loads(PARITY_TEXTS.read_text("utf-8"))


def main() -> None:
    parser = step_parser(__doc__, "run", "weights", "rows", "dest")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = MultiTaskMiniLM(TASKS)
    model.load_state_dict(torch.load(args.run / "model.pt"))
    model.eval()
    args.dest.mkdir(parents=True, exist_ok=True)
    fp32, int8 = args.run / "model.fp32.onnx", args.dest / "model.onnx"
    export_onnx(model, fp32)
    quantise(fp32, int8)
    shutil.copy(args.weights / "tokenizer.json", args.dest / "tokenizer.json")
    tok = load_tokenizer(args.dest / "tokenizer.json")
    kept = [r.text for r in read(args.rows) if r.split != "train"]
    texts = fixed_texts() + random.Random(0).sample(kept, 300)
    record = parity(model, fp32, int8, texts, tok)
    (args.run / "parity.json").write_text(json.dumps(record, indent=2))
    print(json.dumps({k: v for k, v in record.items() if k != "fixed_texts_int8"}))


if __name__ == "__main__":
    main()
