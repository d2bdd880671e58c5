"""A self-contained HTML report comparing experiments: IQM curves with their bands, the
final-score table and the probability-of-improvement matrix (Plotly, inlined for offline use)."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go
from sqlalchemy.orm import Session

from backend.schemas import Comparison
from backend.services.compare import compare

#: Plotly's default qualitative colours; a band takes its line's colour, translucent.
COLOURS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]


def build_report_html(
    session: Session, experiment_ids: list[int], key: str | None, last_k: int = 5
) -> str:
    """The report on ``experiment_ids`` (see ``services.compare.compare``) as one HTML page."""
    comparison = compare(session, experiment_ids, key, last_k, max_points=500)
    # The first figure carries plotly.js (several MB) inline; the second reuses it.
    curves = _curves_figure(comparison).to_html(full_html=False, include_plotlyjs=True)
    improvements = _improvement_figure(comparison).to_html(full_html=False, include_plotlyjs=False)
    ids = ", ".join(str(id_) for id_ in experiment_ids)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>rlboard report: experiments {ids}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}</style></head>
<body>
<h1>rlboard report: experiments {ids}</h1>
<p>Final score: mean of each run's last {comparison.last_k} points. Intervals: 95% percentile
bootstrap, {comparison.reps} replicates, seed {comparison.seed}.</p>
<h2>Learning curves (IQM over seeds, 95% bootstrap band)</h2>
{curves}
<h2>Final scores</h2>
{_scores_table(comparison)}
<h2>Probability of improvement P(row &gt; column)</h2>
{improvements}
</body></html>
"""


def report_filename(experiment_ids: list[int]) -> str:
    return f"rlboard-report-{'-'.join(str(id_) for id_ in experiment_ids)}.html"


def _label(comparison: Comparison, experiment_id: int) -> str:
    experiment = next(e for e in comparison.experiments if e.experiment_id == experiment_id)
    return f"{experiment_id}: {experiment.name}"


def _curves_figure(comparison: Comparison) -> go.Figure:
    figure = go.Figure()
    for index, experiment in enumerate(comparison.experiments):
        colour, label = COLOURS[index % len(COLOURS)], _label(comparison, experiment.experiment_id)
        curve = experiment.curve
        figure.add_trace(  # the band: upper edge forward, lower edge back, filled
            go.Scatter(
                x=curve.steps + curve.steps[::-1],
                y=curve.upper + curve.lower[::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.2,
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=curve.steps,
                y=curve.center,
                name=f"{label} ({experiment.key})",
                line={"color": colour},
            )
        )
    figure.update_layout(xaxis_title="environment steps", yaxis_title="IQM return")
    return figure


def _improvement_figure(comparison: Comparison) -> go.Figure:
    ids = [experiment.experiment_id for experiment in comparison.experiments]
    matrix: list[list[float | None]] = [[None] * len(ids) for _ in ids]
    text = [[""] * len(ids) for _ in ids]
    for improvement in comparison.improvements:
        row, column = ids.index(improvement.x), ids.index(improvement.y)
        matrix[row][column] = improvement.probability
        if improvement.probability is not None:
            text[row][column] = (
                f"{improvement.probability:.2f} [{improvement.lower:.2f}, {improvement.upper:.2f}]"
            )
    labels = [_label(comparison, id_) for id_ in ids]
    return go.Figure(
        go.Heatmap(
            z=matrix, x=labels, y=labels, text=text, texttemplate="%{text}",
            zmin=0, zmax=1, colorscale="RdBu",
        )
    )


def _scores_table(comparison: Comparison) -> str:
    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.4g}"

    rows = "".join(
        "<tr>"
        f"<td>{escape(_label(comparison, e.experiment_id))}</td><td>{escape(e.env_id)}</td>"
        f"<td>{escape(e.key)}</td><td>{e.n}</td>"
        f"<td>{number(e.mean)} &plusmn; {number(e.std)}</td><td>{number(e.iqm)}</td>"
        f"<td>[{number(e.iqm_lower)}, {number(e.iqm_upper)}]</td>"
        f"<td>{escape(e.warning or '')}</td>"
        "</tr>"
        for e in comparison.experiments
    )
    return (
        '<table class="scores"><tr><th>experiment</th><th>environment</th><th>metric</th>'
        "<th>seeds</th><th>mean &plusmn; std</th><th>IQM</th><th>IQM 95% CI</th>"
        "<th>warning</th></tr>"
        f"{rows}</table>"
    )
