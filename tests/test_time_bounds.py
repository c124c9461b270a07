"""Bounded time per event: the rewritten patterns match exactly what the originals matched, the
per-plugin secret gates never hide a secret, and detector time grows linearly (a ratio, not an
absolute time: absolute figures are `guardstream bench adversarial`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardstream.detectors.adversarial import adversarial_texts
from guardstream.detectors.npm_token import PATTERN, npm_token_spans
from guardstream.detectors.pii import PII_PATTERNS
from guardstream.detectors.pipeline import Pipeline, build_pipeline
from guardstream.detectors.secret_gates import PLUGIN_GATES, open_gates
from guardstream.detectors.secrets import secret_patterns
from guardstream.streams.adversarial_timing import best_seconds, event_with
from guardstream.text import normalise as norm

OLD_LEET_RE = re.compile(r"(?<![\w@$])[A-Za-z@$]*[013457@$][A-Za-z013457@$]*(?![\w@$])")
OLD_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
pieces = st.lists(
    st.sampled_from(
        [
            "/",
            "//",
            ":",
            "_authToken=",
            "/:_authToken=",
            "npm_",
            "a",
            "\n",
            " ",
            "0f",
            "-",
            "0123456789abcdef0123456789abcdef0123",
            "@",
            "$",
            "3",
            "_",
            ".",
            "+",
            "é",
            "x.com",
            "A",
        ]
    ),
    max_size=25,
).map("".join)
SAME = settings(max_examples=400, deadline=None)


@SAME
@given(pieces)
def test_linear_npm_matcher_finds_what_the_plugin_regex_finds(text: str) -> None:
    assert list(npm_token_spans(text)) == [m.span() for m in re.finditer(PATTERN, text)]


@SAME
@given(pieces)
def test_linear_leetspeak_pattern_matches_the_old_one(text: str) -> None:
    assert [m.span() for m in norm.LEET_TOKEN_RE.finditer(text)] == [
        m.span() for m in OLD_LEET_RE.finditer(text)
    ]


@SAME
@given(pieces)
def test_email_pattern_matches_the_old_one(text: str) -> None:
    assert [m.span() for m in PII_PATTERNS[0][1].finditer(text)] == [
        m.span() for m in OLD_EMAIL_RE.finditer(text)
    ]


@pytest.mark.parametrize(
    ("kind", "pattern"),
    secret_patterns(),
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_each_plugin_gate_opens_for_every_match_of_its_patterns(
    kind: str, pattern: re.Pattern[str]
) -> None:
    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern, fullmatch=True))
    def check(secret: str) -> None:
        text = f"config:\n{secret}\n"
        assert kind not in PLUGIN_GATES or kind in open_gates(text.lower())

    check()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return build_pipeline({})


def seconds(pipeline: Pipeline, text: str, max_chars: int) -> float:
    event = event_with(text)
    saved, pipeline.max_text_chars = pipeline.max_text_chars, max_chars
    try:
        return best_seconds(lambda: pipeline.run([event]), 2)
    finally:
        pipeline.max_text_chars = saved


SMALL, LARGE = adversarial_texts(25_000), adversarial_texts(1_000_000)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_time_at_1mb_is_under_40x_time_at_25kb(pipeline: Pipeline, name: str) -> None:
    """The worker's configuration (clipping on): the issue's growth criterion."""
    small = max(seconds(pipeline, SMALL[name], 100_000), 1e-3)
    assert seconds(pipeline, LARGE[name], 100_000) < 40 * small


@pytest.mark.parametrize("name", sorted(SMALL))
def test_unclipped_scans_grow_linearly(pipeline: Pipeline, name: str) -> None:
    """Clipping off: 4x the text must cost well under 16x (what a quadratic pattern costs)."""
    text = SMALL[name][:8_000]
    small = max(seconds(pipeline, text, 10**7), 1e-3)
    assert seconds(pipeline, text * 4, 10**7) < 10 * small
