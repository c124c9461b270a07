"""The worker's start-up heap leaves the cyclic collector's generations."""

from __future__ import annotations

import gc

from guardstream.streams.heap import freeze_startup_heap


def test_objects_alive_at_start_up_are_no_longer_walked_by_collections() -> None:
    model_like = [{"weights": [0.5] * 4} for _ in range(100)]
    model_like.append(model_like)  # a cycle, as big object graphs have
    try:
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 100
        walked = {id(o) for o in gc.get_objects()}
        assert id(model_like) not in walked
        later = [[]]
        later.append(later)
        assert id(later) in {id(o) for o in gc.get_objects()}
    finally:
        gc.unfreeze()
