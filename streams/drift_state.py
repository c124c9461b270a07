"""Drift windows in a faust table with a changelog: one entry per key's meta, one per chunk.

A chunk is the rows of one update, written once (encoded as on the rows topic); the meta
(counts, chunk ids, open episodes, verdicts) is rewritten after every update. So a changelog
write carries only the new rows, and a worker that takes over a partition rebuilds each key's
windows from its entries.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from guardstream.detectors.drift.monitor import DriftMonitor, KeyState, Update
from guardstream.detectors.drift.rows import DriftRow, scope_of
from guardstream.streams.drift_rows import decode_rows, encode_rows


def meta_key(scope_id: str) -> bytes:
    return f"{scope_id}|meta".encode()


def chunk_key(scope_id: str, chunk: int) -> bytes:
    return f"{scope_id}|chunk|{chunk}".encode()


class TableStates:
    """KeyStates backed by a bytes->bytes mapping (a faust Table in the worker, a dict in tests),
    cached in memory between updates; `forget()` drops the cache on a rebalance."""

    def __init__(self, table: MutableMapping[bytes, bytes], monitor: DriftMonitor) -> None:
        self.table = table
        self.monitor = monitor
        self.cache: dict[str, KeyState] = {}

    def forget(self) -> None:
        self.cache.clear()

    def get(self, app_id: str, model: str | None) -> KeyState:
        scope_id = scope_of(app_id, model)
        if scope_id in self.cache:
            return self.cache[scope_id]
        raw = self.table.get(meta_key(scope_id))
        if raw is None:
            state = KeyState(app_id, model)
        else:
            meta: dict[str, Any] = json.loads(raw)
            ids = [*meta["ref_chunks"], *meta["cur_chunks"]]
            chunks = {i: self._chunk(scope_id, i) for i in ids}
            state = KeyState.from_meta(meta, chunks)
            if not state.collecting:
                self.monitor.prepare(state)
        self.cache[scope_id] = state
        return state

    def models(self, app_id: str) -> list[str | None]:
        """Every model of `app_id` with windows here (for a set-reference without --model)."""
        prefix, suffix = f"{app_id}/".encode(), b"|meta"
        found = {s.model for s in self.cache.values() if s.app_id == app_id}
        for key in list(self.table.keys()):
            if key.startswith(prefix) and key.endswith(suffix):
                found.add(json.loads(self.table[key])["model"])
        return sorted(found, key=lambda m: m or "")

    def _chunk(self, scope_id: str, chunk: int) -> list[DriftRow]:
        raw = self.table.get(chunk_key(scope_id, chunk))
        return [row for _, row in decode_rows(json.loads(raw))] if raw else []

    def write(self, state: KeyState, update: Update, meta: bool = True) -> None:
        """Persist what `update` changed: new chunks, dropped chunks, then the meta (`meta=False`
        when a later update of the same state follows and writes it)."""
        for _, chunk in update.new_chunks:  # the wire encoding: embeddings as float32 base64
            value = encode_rows([state.model] * len(chunk.rows), chunk.rows)
            self.table[chunk_key(state.scope_id, chunk.id)] = value
        for chunk_id in update.dropped_chunks:
            self.table.pop(chunk_key(state.scope_id, chunk_id), None)
        if meta:
            self.table[meta_key(state.scope_id)] = json.dumps(state.meta()).encode()


def status_record(state: KeyState) -> dict[str, Any]:
    """What `guardstream drift status` shows for one app/model."""
    return {
        "app_id": state.app_id,
        "model": state.model,
        "scope_id": state.scope_id,
        "collecting": state.collecting,
        "seen": state.seen,
        "reference_count": sum(len(c.rows) for c in state.ref_chunks),
        "current_count": sum(len(c.rows) for c in state.cur_chunks),
        "verdicts": state.verdicts,
        "open": sorted(state.episodes),
        "markers": state.markers[-20:],
    }
