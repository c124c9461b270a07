"""`behaviour.token_burn`: a user's token use far above its own baseline and the app's users.

Tokens are `input_tokens + output_tokens`; where an event carries neither, its text length / 4
stands in (about four characters per token in English).
"""

from __future__ import annotations

from pydantic import Field

from guardstream.detectors.behaviour.base import Observation
from guardstream.detectors.behaviour.rate_anomaly import RateAnomaly, RateOptions

CHARS_PER_TOKEN = 4


class TokenBurnOptions(RateOptions):
    min_amount: float = Field(default=20_000.0, ge=0, description="tokens per window")
    min_scale: float = Field(default=200.0, gt=0)


class TokenBurn(RateAnomaly):
    name = "behaviour.token_burn"
    score_key = "behaviour.token_burn"
    category = "abuse.token_burn"
    severity = "medium"
    Options = TokenBurnOptions

    def amount(self, obs: Observation) -> float:
        event = obs.event
        if event.input_tokens is None and event.output_tokens is None:
            text = len(event.prompt_text()) + len(event.response or "")
            return float(text // CHARS_PER_TOKEN)
        return float((event.input_tokens or 0) + (event.output_tokens or 0))
