"""The worker's state table keeps one row per key holding every namespace's value, so a batch
writes one changelog record per key it changed, not one per (namespace, key); reads, deletes
and partitions behave as they did with a table per namespace."""

from __future__ import annotations

import faust
import orjson

from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.bench_traffic import bench_messages
from guardstream.streams.processing import RawMessage, apply_state, process_batch
from guardstream.streams.state import STATE_TABLE, TableState


def _store() -> TableState:
    app = faust.App("test-state-rows", broker="kafka://127.0.0.1:1", store="memory://")
    return TableState(app.Table(STATE_TABLE, partitions=4, key_type=str))


def test_writes_to_one_key_merge_into_one_row_and_record() -> None:
    store = _store()
    store.shard = 3
    store.put("behaviour.flooding", "app\x1fu1", {"n": 1})
    store.put("behaviour.token_burn", "app\x1fu1", {"t": 9})
    store.put("alerts", "k2", {"id": "a"})
    assert store.get("behaviour.flooding", "app\x1fu1") == {"n": 1}  # buffered, readable
    changes = store.take()
    records = store.apply(changes)
    assert len(records) == 2
    by_key = {orjson.loads(r.key): r for r in records}
    row = orjson.loads(by_key["app\x1fu1"].value)
    assert row == {"behaviour.flooding": {"n": 1}, "behaviour.token_burn": {"t": 9}}
    assert by_key["app\x1fu1"].partition == 3
    assert store.table.data["app\x1fu1"] == row
    assert store.get("behaviour.token_burn", "app\x1fu1") == {"t": 9}
    assert store.get("behaviour.repeated_attacks", "app\x1fu1") is None


def test_a_delete_keeps_the_rows_other_namespaces_and_the_last_one_empties_it() -> None:
    store = _store()
    store.put("a", "k", 1)
    store.put("b", "k", 2)
    store.apply(store.take())
    store.delete("a", "k")
    assert store.get("a", "k") is None  # deleted in this batch, before `take`
    assert store.get("b", "k") == 2
    (record,) = store.apply(store.take())
    assert orjson.loads(record.value) == {"b": 2}
    store.delete("b", "k")
    (record,) = store.apply(store.take())
    assert record.value == b"null"  # JSON null, not a tombstone
    assert "k" not in store.table.data
    assert store.size_bytes() == {}


def test_bench_mix_writes_one_record_per_changed_key() -> None:
    pipeline = build_pipeline({})
    store = _store()
    messages = [RawMessage(v, "events", 0, n, None) for n, v in enumerate(bench_messages(200))]
    records = pairs = 0
    for start in range(0, len(messages), 20):
        batch = messages[start : start + 20]
        apply_state(batch, process_batch(batch, pipeline, 1 << 20), pipeline, store, None)
        pairs += sum(len(writes) for writes in store._writes.values())
        records += len(store.apply(store.take()))
    assert records >= len(store.table.data) > 0  # every row held was written at least once
    assert records < pairs / 2  # one table per namespace wrote `pairs` records
    sizes = store.size_bytes()
    assert "behaviour.flooding" in sizes and "alerts" in sizes
