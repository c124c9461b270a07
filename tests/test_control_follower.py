"""The control follower keeps trying: a worker must never give up scoring for good."""

from __future__ import annotations

import asyncio

import pytest

from guardstream.detectors.pipeline import build_pipeline
from guardstream.streams.admin import ensure_topics
from guardstream.streams.control import ControlFollower
from guardstream.streams.settings import Settings, load_settings

pytestmark = pytest.mark.kafka


def test_a_failed_load_is_retried_until_the_topic_is_there(
    stack_env: dict[str, str],
) -> None:
    """Before: one failed load (here: no control topic yet) left `ready()` raising forever,
    so the worker lived on and scored nothing."""
    settings: Settings = load_settings(env=stack_env)  # topics not created yet

    async def scenario() -> tuple[int, int]:
        follower = ControlFollower(settings, build_pipeline({}).threshold_state, timeout_s=0.5)
        task = asyncio.create_task(follower.run())
        try:
            ready = asyncio.create_task(follower.ready())
            while follower.load_failures < 2:
                await asyncio.sleep(0.1)
            assert not ready.done()  # still waiting, not failed
            await ensure_topics(settings)
            await asyncio.wait_for(ready, 60)
            return follower.load_failures, follower.applied
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    failures, applied = asyncio.run(scenario())
    assert failures >= 2 and applied == 0
