"""Two apps (or two users) that reuse an event id never share an alert: the id covers them."""

from __future__ import annotations

from guardstream.contracts import Alert
from guardstream.detectors.pipeline import build_pipeline
from tests.helpers import make_event

SECRET_PROMPT = "my key is AKIAIOSFODNN7EXAMPLE please keep it"


def test_same_event_id_in_two_apps_gives_two_alert_ids() -> None:
    pipeline = build_pipeline({})
    events = [
        make_event(SECRET_PROMPT, index=1, app_id="app-a"),
        make_event(SECRET_PROMPT, index=1, app_id="app-b"),
        make_event(SECRET_PROMPT, index=1, app_id="app-a", user_id="other-user"),
    ]
    verdicts = pipeline.run(events)
    ids = [{a.alert_id for a in v.alerts if a.detector == "secrets"} for v in verdicts]
    assert all(len(i) == 1 for i in ids), ids
    assert len(set().union(*ids)) == 3


def test_make_id_covers_app_and_user() -> None:
    base = Alert.make_id("secrets", "event", "e-1", "e-1", "app-a", "u")
    assert base == Alert.make_id("secrets", "event", "e-1", "e-1", "app-a", "u")
    assert base != Alert.make_id("secrets", "event", "e-1", "e-1", "app-b", "u")
    assert base != Alert.make_id("secrets", "event", "e-1", "e-1", "app-a", "v")
