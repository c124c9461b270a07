"""`bench pipeline`'s floor phase (e): its config really leaves one detector on, and the budget
row is the arithmetic the ÷ detectors target implies."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.commands.bench_pipeline import FLOOR_DETECTOR, floor_config, floor_rows
from guardstream.streams.settings import load_settings


def test_floor_config_keeps_only_the_floor_detector(tmp_path: Path) -> None:
    settings = load_settings(floor_config(tmp_path / "floor.toml"), env={})
    pipeline = build_pipeline(settings.detectors)
    assert [d.name for d in pipeline.detectors] == [FLOOR_DETECTOR]
    assert not pipeline.behaviour.namespaces


def test_floor_rows_give_the_budget_the_target_leaves() -> None:
    rows = dict(floor_rows({"e_floor_per_s": 3000.0, "e_floor_per_cpu_s": 2500.0,
                            "detectors_per_cpu_s": 2000.0}))  # fmt: skip
    assert rows["(e) streaming layer, CPU ms per event"] == "0.400"
    budget = rows["CPU ms per event that ÷ detectors >= 0.85 leaves beyond the models"]
    assert float(budget) == pytest.approx(1000 / 1700 - 0.5, abs=1e-3)
    assert floor_rows({"detectors_per_cpu_s": 2000.0}) == []
