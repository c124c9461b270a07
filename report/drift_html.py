"""`guardstream drift report`: one self-contained HTML file, plotly with its JS inlined.

At the top a summary table (metric, test, effect size, threshold, verdict, p-value); then per
metric the windowed value over time with the reference band and a vertical marker where drift
was raised (dotted: river change points), and reference-vs-current histograms. A small script
at the end counts the plots the browser drew (`data-plots-drawn` on <body>), which the headless
Chromium test reads.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from guardstream.detectors.drift.config import METRICS
from guardstream.detectors.drift.evaluate import EXTRACT, Finding, values_of
from guardstream.report.drift_series import DriftSeries, language_shares

REF_COLOUR, CUR_COLOUR, ALERT_COLOUR = "#1f77b4", "#ff7f0e", "#d62728"
CHECK_SCRIPT = """
<script>
window.addEventListener("load", function () {
  var divs = document.querySelectorAll(".plotly-graph-div");
  var drawn = 0;
  divs.forEach(function (d) {
    var r = d.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && d.querySelector(".main-svg")) { drawn += 1; }
  });
  document.body.setAttribute("data-plots", String(divs.length));
  document.body.setAttribute("data-plots-drawn", String(drawn));
});
</script>
"""
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin-bottom: 24px; }
td, th { border: 1px solid #ccc; padding: 4px 8px; font-size: 13px; text-align: left; }
tr.drift td { background: #fde2e2; }
.pair { display: flex; gap: 12px; flex-wrap: wrap; }
"""


def _time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _div(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(height=320, width=620, margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return str(fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id))


def series_figure(data: DriftSeries, metric: str) -> go.Figure:
    series = data.series[metric]
    fig = go.Figure()
    x = [_time(t) for t in series.ts]
    fig.add_trace(go.Scatter(x=x, y=series.value, mode="lines", name=series.label))
    if metric in data.reference_band and x:
        low, high = data.reference_band[metric]
        fig.add_hrect(y0=low, y1=high, fillcolor=REF_COLOUR, opacity=0.15, line_width=0)
    for alert in data.alerts:
        if alert.detector == f"drift.{metric}":
            fig.add_vline(x=alert.window_end, line_color=ALERT_COLOUR, line_width=2)
    for marker in data.markers:
        if marker["metric"] == metric:
            fig.add_vline(x=_time(marker["ts"]), line_color="#777", line_dash="dot")
    fig.update_layout(title=f"drift.{metric}: {series.label}", showlegend=False)
    return fig


def histogram_figure(data: DriftSeries, metric: str) -> go.Figure:
    kind = EXTRACT[metric][0]
    ref, cur = data.reference_rows, data.current_rows
    fig = go.Figure()
    if kind == "continuous":
        for rows, name, colour in ((ref, "reference", REF_COLOUR), (cur, "current", CUR_COLOUR)):
            fig.add_trace(
                go.Histogram(x=values_of(metric, rows), name=name, marker_color=colour,
                             opacity=0.6, histnorm="probability")
            )  # fmt: skip
        fig.update_layout(barmode="overlay")
    elif kind == "categorical":
        shares = (language_shares(ref), language_shares(cur))
        labels = sorted(set(shares[0]) | set(shares[1]))
        for share, name, colour in zip(shares, ("reference", "current"), (REF_COLOUR, CUR_COLOUR),
                                       strict=True):  # fmt: skip
            fig.add_trace(go.Bar(x=labels, y=[share.get(k, 0) for k in labels], name=name,
                                 marker_color=colour))  # fmt: skip
    elif kind == "rate":
        rates = [float(np.mean(values_of(metric, rows) or [0])) for rows in (ref, cur)]
        fig.add_trace(go.Bar(x=["reference", "current"], y=rates,
                             marker_color=[REF_COLOUR, CUR_COLOUR]))  # fmt: skip
    else:
        centre = np.mean(np.asarray(values_of(metric, ref) or [[0.0]]), axis=0)
        for rows, name, colour in ((ref, "reference", REF_COLOUR), (cur, "current", CUR_COLOUR)):
            values = np.asarray(values_of(metric, rows) or [centre])
            distance = np.linalg.norm(values - centre, axis=1)
            fig.add_trace(go.Histogram(x=distance, name=name, marker_color=colour, opacity=0.6,
                                       histnorm="probability"))  # fmt: skip
        fig.update_layout(barmode="overlay", xaxis_title="distance to the reference centroid")
    fig.update_layout(title=f"drift.{metric}: reference vs current window")
    return fig


def _brief(summary: dict[str, object]) -> str:
    """A window summary for the table; the embedding centroid is left to the alert JSON."""
    return html.escape(", ".join(f"{k}={v}" for k, v in summary.items() if k != "centroid"))


def summary_table(data: DriftSeries) -> str:
    final = {f.metric: f for f in data.final}
    first_alert: dict[str, datetime] = {}
    for alert in data.alerts:
        first_alert.setdefault(alert.detector.removeprefix("drift."), alert.window_end)
    rows = []
    for metric in METRICS:
        finding: Finding | None = final.get(metric)
        if finding is None:
            rows.append(f"<tr><td>drift.{metric}</td><td colspan=8>not enough data</td></tr>")
            continue
        raised = first_alert.get(metric)
        verdict = "DRIFT" if finding.drifted else ("drifted earlier" if raised else "ok")
        css = ' class="drift"' if finding.drifted or raised else ""
        cells = [
            f"drift.{metric}", finding.test, f"{finding.effect_size:.4f}",
            f"{finding.threshold:g}", verdict,
            "" if finding.p_value is None else f"{finding.p_value:.2e}",
            raised.isoformat() if raised else "",
            _brief(finding.reference), _brief(finding.current),
        ]  # fmt: skip
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("metric", "test", "effect size", "threshold", "verdict", "p-value",
                  "first alert", "reference", "current")
    )  # fmt: skip
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(data: DriftSeries) -> str:
    """The whole report as one HTML string (about 4 MB: plotly.js is inlined)."""
    title = f"guardstream drift report: {data.app_id}/{data.model or '-'}"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{data.events} events; reference {len(data.reference_rows)} events, current window "
        f"{len(data.current_rows)}; {len(data.alerts)} drift alert(s). Effect sizes: KS D, "
        "Cramér's V, MMD² (RBF). Red lines: drift alerts; dotted: change points.</p>",
        summary_table(data),
    ]
    for metric in METRICS:
        if not data.series[metric].ts:
            continue
        parts.append(f"<h2>drift.{metric}</h2><div class='pair'>")
        parts.append(_div(series_figure(data, metric), f"series-{metric}"))
        parts.append(_div(histogram_figure(data, metric), f"hist-{metric}"))
        parts.append("</div>")
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        + "".join(parts)
        + CHECK_SCRIPT
        + "</body></html>"
    )
