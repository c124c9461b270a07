"""Per-plugin literal gates for the detect-secrets patterns: a pattern runs only when the
lower-cased text holds one of the substrings every match of that plugin's patterns must hold.

Why: once the shared gate opens (any 16+ character key-like run, e.g. 1 MB of `/`), all 45
patterns scanned the whole text; the keyword patterns (IBM, Cloudant, Softlayer), which begin
with look-behinds and optional groups, cost ~1 us per character each (117 ms per 100 kB of `/`
for the set). A substring test is C-speed. Plugins not listed always run (sound by default).
Each entry is the union of required literals over the plugin's patterns, read off the patterns
themselves; `tests/test_time_bounds.py` checks no gate hides a planted secret.
"""

from __future__ import annotations

PLUGIN_GATES: dict[str, tuple[str, ...]] = {
    "AWSKey": ("a3t", "abia", "acca", "akia", "asia", "aws"),
    "Artifactory": ("akc", "ap"),
    "AzureStorageKey": ("accountkey=",),
    "BasicAuth": ("://",),
    "Cloudant": ("key", "pw", "pass", "token", "cloudant"),
    "DiscordBotToken": (".",),
    "GitHubToken": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "GitLabToken": (
        "glpat-",
        "gldt-",
        "glft-",
        "glsoat-",
        "glrt-",
        "gr1348941",
        "glcbt-",
        "glimt-",
        "glptt-",
        "glagent-",
        "gloas-",
    ),
    "IbmCloudIam": ("key", "pw", "pass", "token"),
    "IbmCosHmac": ("secret",),
    "JwtToken": ("eyj",),
    "Mailchimp": ("-us",),
    "OpenAI": ("t3blbkfj",),
    "PrivateKey": ("private key", "putty-user-key-file-2"),
    "PypiToken": ("pypi-",),
    "SendGrid": ("sg.",),
    "Slack": ("xox", "hooks.slack.com"),
    "Softlayer": ("key", "pw", "pass", "token", "softlayer"),
    "SquareOAuth": ("sq0csp-",),
    "Stripe": ("k_live_",),
    "TelegramBotToken": (":",),
    "TwilioKey": ("ac", "sk"),
}


def open_gates(lowered: str) -> frozenset[str]:
    """Plugins (by kind) whose gate this lower-cased text opens; unlisted kinds always run."""
    return frozenset(
        kind for kind, needles in PLUGIN_GATES.items() if any(n in lowered for n in needles)
    )
