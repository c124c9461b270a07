"""How alerts, scores and dead letters look in a terminal."""

from __future__ import annotations

from typing import Any

from rich.text import Text

SEVERITY_STYLE = {
    "low": "cyan",
    "medium": "yellow",
    "high": "bold red",
    "critical": "bold white on red",
}


def render_alert(alert: dict[str, Any]) -> Text:
    text = Text()
    text.append(f"{alert['severity'].upper():8}", SEVERITY_STYLE.get(alert["severity"], ""))
    text.append(f" {alert['detector']:<12} ", "bold")
    text.append(f"{alert['category']:<28} score {alert['score']:.2f} >= {alert['threshold']:.2f} ")
    text.append(f"app={alert['app_id']} user={alert.get('user_id')} ", "dim")
    text.append(f"event={','.join(alert['event_ids'][:3])}", "dim")
    occurrences = alert.get("occurrences", 1)
    status = alert.get("status", "open")
    text.append(f"  {status} x{occurrences}", "bold" if occurrences > 1 else "")
    if alert.get("scope") in ("user", "session"):
        text.append(f" {alert['scope']}={alert['scope_id']}", "cyan")
    kinds = sorted({e["kind"] for e in alert.get("evidence", [])})
    if kinds:
        text.append(f"  [{', '.join(kinds[:4])}]", "magenta")
    return text


SEVERITY_ORDER = ("critical", "high", "medium", "low")


def group_by_severity(alerts: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Most severe first; within a severity, the order they arrived."""
    groups = [(s, [a for a in alerts if a.get("severity") == s]) for s in SEVERITY_ORDER]
    return [(s, group) for s, group in groups if group]


def render_score(record: dict[str, Any]) -> Text:
    top = sorted(record["scores"].items(), key=lambda kv: -kv[1])[:4]
    text = Text(f"{record['event_id']:<16} ")
    text.append(" ".join(f"{k}={v:.2f}" for k, v in top))
    if record["flags"]:
        text.append(f"  flags: {', '.join(record['flags'])}", "bold red")
    return text


def render_dead_letter(letter: dict[str, Any]) -> Text:
    headers = letter["headers"]
    text = Text("DLQ ", "bold red")
    text.append(f"{headers.get('guardstream.dlq.code', '?'):<10} ")
    text.append(headers.get("guardstream.dlq.reason", "")[:120])
    if letter.get("raw"):
        text.append(f"  raw: {letter['raw'][:60]!r}", "dim")
    return text
