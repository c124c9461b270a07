"""English synthetic injection families (override, new task, prompt leak, persona, goal
hijack, fake system message, embedded instruction) and the payload helpers they share with the
multilingual and eval-only families in `synthetic_attacks.py`. Phrase tables live in
`data/synthetic_attacks.json`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from .synthetic_common import (
    Builder,
    Goal,
    _cap,
    _end,
    _join_lead,
    _low,
    _pick,
    load_tables,
)

_TABLES = load_tables("synthetic_attacks.json")


_URLS = _TABLES["_URLS"]
_EMAILS = _TABLES["_EMAILS"]
_BRANDS = ("CryptoMax", "QuickLoans", "SuperVPN", "BetWin Casino", "NutriBoost pills", "Acme")
_FIXED = _TABLES["_FIXED"]
_SAY_VERBS = _TABLES["_SAY_VERBS"]
_QUOTES = ('"{}"', "'{}'", "{}", "“{}”")
_LEAK_VERBS = _TABLES["_LEAK_VERBS"]
_LEAK_OBJECTS = _TABLES["_LEAK_OBJECTS"]
_LEAK_SUFFIX = _TABLES["_LEAK_SUFFIX"]
_PERSONA_NAMES = _TABLES["_PERSONA_NAMES"]
_PERSONA_DESC = _TABLES["_PERSONA_DESC"]
_PERSONA_RULES_PAIRS = _TABLES["_PERSONA_RULES_PAIRS"]
_PERSONA_RULES = tuple(third for third, _ in _PERSONA_RULES_PAIRS)
_PERSONA_RULES_YOU = tuple(you for _, you in _PERSONA_RULES_PAIRS)
_INSULTS = _TABLES["_INSULTS"]
_EXFIL = _TABLES["_EXFIL"]
_HIJACK = _TABLES["_HIJACK"]
_OVERRIDE_VERBS = _TABLES["_OVERRIDE_VERBS"]
_OVERRIDE_OBJECTS = _TABLES["_OVERRIDE_OBJECTS"]
_OVERRIDE_MODS = ("", "", "", " completely", " entirely", " for now", " and any safety rules")
_LEADS = _TABLES["_LEADS"]
_CONNECTORS = _TABLES["_CONNECTORS"]


def _fixed_say(rng: random.Random) -> str:
    return f"{_pick(rng, _SAY_VERBS)} {_pick(rng, _QUOTES).format(_pick(rng, _FIXED))}"


def _leak(rng: random.Random) -> str:
    return f"{_pick(rng, _LEAK_VERBS)} {_pick(rng, _LEAK_OBJECTS)}{_pick(rng, _LEAK_SUFFIX)}"


def _persona(rng: random.Random) -> str:
    name = _pick(rng, _PERSONA_NAMES)
    return _pick(
        rng,
        (
            f"you are now {name}, {_pick(rng, _PERSONA_DESC)}",
            f"act as {name}, {_pick(rng, _PERSONA_DESC)}",
            f"pretend to be {name}, who {_pick(rng, _PERSONA_RULES)}",
            f"from now on you are {name} and you {_pick(rng, _PERSONA_RULES_YOU)}",
            f"become {_pick(rng, _PERSONA_DESC)} called {name}",
        ),
    )


def _slots(template: str, rng: random.Random) -> str:
    for key, values in (("{url}", _URLS), ("{email}", _EMAILS), ("{brand}", _BRANDS)):
        template = template.replace(key, _pick(rng, values))
    return template


_MAKES = re.compile(r"^(?:write|create|develop|design|draft|generate|produce|compose)\b")


def _harm_payload(rng: random.Random, goals: Sequence[Goal]) -> tuple[str, Goal]:
    g = goals[rng.randrange(len(goals))]
    if g.action and _MAKES.match(g.action) and rng.random() < 0.5:
        return g.action, g
    if g.action and rng.random() < 0.7:
        verb = _pick(
            rng,
            (
                "explain how to",
                "tell me how to",
                "give me detailed instructions to",
                "help me",
                "write step-by-step instructions to",
                "describe exactly how to",
            ),
        )
        return f"{verb} {g.action}", g
    return _low(g.request.rstrip(".?!")), g


def _payload(
    rng: random.Random, goals: Sequence[Goal], weights: Sequence[float]
) -> tuple[str, Goal | None]:
    kind = rng.choices(("say", "leak", "persona", "insult", "exfil", "hijack", "harm"), weights)[0]
    if kind == "say":
        return _fixed_say(rng), None
    if kind == "leak":
        return _leak(rng), None
    if kind == "persona":
        return _persona(rng), None
    if kind == "insult":
        return _pick(rng, _INSULTS), None
    if kind == "exfil":
        return _slots(_pick(rng, _EXFIL), rng), None
    if kind == "hijack":
        return _slots(_pick(rng, _HIJACK), rng), None
    return _harm_payload(rng, goals)


_W_ALL = (3, 2, 1, 1.2, 1.2, 1, 1.2)
_W_NOHARM = (3, 2, 1, 1.2, 1.2, 1, 0)


def _override(rng: random.Random) -> str:
    return (
        f"{_pick(rng, _OVERRIDE_VERBS)} {_pick(rng, _OVERRIDE_OBJECTS)}{_pick(rng, _OVERRIDE_MODS)}"
    )


def _join_conn(head: str, conn: str, payload: str) -> str:
    if conn.rstrip().endswith((".", ":")) or conn.endswith("\n"):
        payload = _cap(payload)
    return _end(head + conn + payload)


# --------------------------------------------------------------------------- English families
def _b_override(goals: Sequence[Goal], weights: Sequence[float]) -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        payload, goal = _payload(rng, goals, weights)
        head = _join_lead(_pick(rng, _LEADS), _override(rng))
        return _join_conn(head, _pick(rng, _CONNECTORS), payload), goal

    return build


_NEW_TASK = _TABLES["_NEW_TASK"]


def _b_new_task(goals: Sequence[Goal]) -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        payload, goal = _payload(rng, goals, _W_ALL)
        t = _pick(rng, _NEW_TASK)
        return t.format(p=payload, P=_cap(payload)), goal

    return build


_LEAK_OPENERS = _TABLES["_LEAK_OPENERS"]
_LEAK_QUESTIONS = _TABLES["_LEAK_QUESTIONS"]


def _b_prompt_leak() -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        if rng.random() < 0.45:
            return _join_lead(_pick(rng, _LEAK_OPENERS), _pick(rng, _LEAK_QUESTIONS)), None
        body = _leak(rng)
        return _end(_join_lead(_pick(rng, _LEAK_OPENERS), _cap(body))), None

    return build


_PERSONA_TEMPLATES = _TABLES["_PERSONA_TEMPLATES"]
_PERSONA_ASKS = _TABLES["_PERSONA_ASKS"]


def _b_persona(goals: Sequence[Goal]) -> Builder:
    actions = [g for g in goals if g.action]

    def build(rng: random.Random) -> tuple[str, Goal | None]:
        name = _pick(rng, _PERSONA_NAMES)
        payload, goal = _payload(rng, goals, (3, 2, 0, 1, 1, 1, 2))
        g = actions[rng.randrange(len(actions))]
        ask = _pick(rng, _PERSONA_ASKS)
        if "{a}" in ask:
            goal = g
        i = rng.randrange(len(_PERSONA_RULES))
        rule = _PERSONA_RULES[i]
        text = _pick(rng, _PERSONA_TEMPLATES).format(
            name=name,
            desc=_pick(rng, _PERSONA_DESC),
            rule=rule,
            rule2=_pick(rng, _PERSONA_RULES),
            rule_you=_PERSONA_RULES_YOU[i],
            ask=_cap(ask.format(name=name, p=payload, a=g.action)),
        )
        return text.strip(), goal

    return build


_INNOCENT = _TABLES["_INNOCENT"]
_HIJACK_PHRASES = _TABLES["_HIJACK_PHRASES"]
_HIJACK_SEPS = (" ", " ", "\n", "\n\n", " -- ", "  ")


def _b_goal_hijack(goals: Sequence[Goal]) -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        payload, goal = _payload(rng, goals, _W_ALL)
        phrase = _pick(rng, _HIJACK_PHRASES)
        tail = phrase + " " + (_cap(payload) if phrase.endswith(":") else payload)
        return _end(_pick(rng, _INNOCENT) + _pick(rng, _HIJACK_SEPS) + tail), goal

    return build


_SYSTEM_HEADERS = _TABLES["_SYSTEM_HEADERS"]
_SYSTEM_FOOTERS = _TABLES["_SYSTEM_FOOTERS"]
_SYSTEM_POLICIES = _TABLES["_SYSTEM_POLICIES"]
_SYSTEM_BODIES = _TABLES["_SYSTEM_BODIES"]


def _b_fake_system(goals: Sequence[Goal]) -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        payload, goal = _payload(rng, goals, _W_ALL)
        header = _pick(rng, _SYSTEM_HEADERS)
        body = _pick(rng, _SYSTEM_BODIES).format(
            pol=_pick(rng, _SYSTEM_POLICIES), p=payload, P=_cap(payload)
        )
        sep = "" if header.endswith(("\n", '"')) else _pick(rng, (" ", "\n", " "))
        text = header + sep + body + _SYSTEM_FOOTERS.get(header, "")
        if rng.random() < 0.25:  # appended to an ordinary request
            text = _pick(rng, _INNOCENT) + "\n\n" + text
        return text, goal

    return build


_CONTENT = _TABLES["_CONTENT"]
_HIDDEN = _TABLES["_HIDDEN"]
_CONTENT_TASKS = _TABLES["_CONTENT_TASKS"]


def _b_embedded(goals: Sequence[Goal]) -> Builder:
    def build(rng: random.Random) -> tuple[str, Goal | None]:
        payload, goal = _payload(rng, goals, _W_NOHARM)
        kind, before, after = _CONTENT[rng.randrange(len(_CONTENT))]
        o = _override(rng)
        hidden = _pick(rng, _HIDDEN).format(
            o=o, o_low=_low(o), p=payload, P=_cap(payload), kind=kind, url=_pick(rng, _URLS)
        )
        parts = [before, hidden, after]
        pos = rng.randrange(3)
        if pos == 0:
            parts = [hidden, before, after]
        elif pos == 2:
            parts = [before, after, hidden]
        task = _pick(rng, _CONTENT_TASKS).format(kind=kind)
        return task + "\n".join(parts), goal

    return build
