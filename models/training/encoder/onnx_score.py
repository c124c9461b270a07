"""Score rows with the shipped int8 ONNX model (no torch): thresholds, bands and the card are
computed on what ships, not on the torch model it was quantised from.

    python -m guardstream.models.training.encoder.onnx_score --rows rows.jsonl --out FILE.npz \
        [--model-dir models/artefacts/encoder] [--all]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from guardstream.models.encoder_model import EncoderModel
from guardstream.models.encoder_tokens import MAX_TOKENS
from guardstream.models.trained_model import ARTEFACT_ROOT

from .args import step_parser
from .data import TASKS, read

PROVISIONAL = {"tasks": list(TASKS), "max_tokens": MAX_TOKENS, "bands": {}}


def main() -> None:
    parser = step_parser(__doc__, "rows", "out")
    parser.add_argument("--model-dir", type=Path, default=ARTEFACT_ROOT / "encoder")
    parser.add_argument("--all", action="store_true", help="every row, not only kept-back rows")
    args = parser.parse_args()
    rows = read(args.rows)
    # Before publish writes the manifest there is none to verify: read the files directly.
    manifest = PROVISIONAL | {"file": "model.onnx", "tokenizer": "tokenizer.json"}
    model = EncoderModel(args.model_dir, manifest)
    kept = [i for i, r in enumerate(rows) if args.all or r.split != "train"]
    scores = model.predict([rows[i].text for i in kept])
    np.savez(args.out, index=np.array(kept), scores=scores)
    print(json.dumps({"scored": len(kept), "out": str(args.out)}))


if __name__ == "__main__":
    main()
