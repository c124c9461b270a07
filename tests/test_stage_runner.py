"""The behaviour stage runs on the event loop (latency profile) or in its own thread."""

from __future__ import annotations

import asyncio
import threading

import pytest

from guardstream.streams.stages import stage_runner


@pytest.mark.parametrize("on_loop", [True, False])
def test_a_stage_runs_where_its_profile_says_and_returns_its_result(on_loop: bool) -> None:
    def stage(a: int, b: int) -> tuple[int, str]:
        return a + b, threading.current_thread().name

    async def main() -> tuple[tuple[int, str], str]:
        run = stage_runner(on_loop, "guardstream-test")
        return await run(stage, 2, 3), threading.current_thread().name

    (total, ran_on), loop_thread = asyncio.run(main())
    assert total == 5
    if on_loop:
        assert ran_on == loop_thread
    else:
        assert ran_on != loop_thread and ran_on.startswith("guardstream-test")


def test_a_failing_stage_raises_to_its_caller_either_way() -> None:
    def stage() -> None:
        raise ValueError("state")

    for on_loop in (True, False):
        with pytest.raises(ValueError, match="state"):
            asyncio.run(stage_runner(on_loop, "guardstream-test")(stage))
