"""One exception tree, so callers can catch guardstream failures without catching everything."""


class GuardstreamError(Exception):
    """Base of every error guardstream raises on purpose."""


class ConfigError(GuardstreamError):
    """Settings are invalid; the message names the offending key."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"invalid setting '{key}': {problem}")


class EventDecodeError(GuardstreamError):
    """Raw bytes could not become an LLMEvent; `reason` is what goes to the dead-letter topic."""

    def __init__(self, reason: str, code: str) -> None:
        self.reason = reason
        self.code = code
        super().__init__(reason)


class BrokerError(GuardstreamError):
    """The embedded broker could not be started or reached."""


class ThresholdError(GuardstreamError):
    """A threshold change or fit was refused before anything was published."""
