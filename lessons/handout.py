"""A self-contained HTML handout of a lesson, for a class: ``lab lesson export N --html FILE``.

The student part: the hook, the prediction question with room to answer, the steps that do not
give the answer away, charts as embedded SVG images (altair + vl-convert, as a data URI: the
file needs nothing else), the knobs to try and the sources. The teacher's answer sheet: the
computed answer and the reveal, every step and chart that shows what the prediction asks for (a
``reveal`` step, or one whose numbers use a name the prediction's answer uses), the summary
(it recaps the results) and every claim with its numbers.

A lesson's live part (real processes, ``lab lesson check N --live``) is in the handout when the
lesson was opened live (``lab lesson export N --html FILE --live``); otherwise the handout says
that it is run in class, and how.
"""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from markdown_it import MarkdownIt

from lessons.expr import names, parse
from lessons.providers import LIVE_PROVIDERS
from lessons.runner import ChartView, LessonRun, StepView
from lessons.text import placeholders

_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #ccc;
padding: .2rem .5rem; } .box { border: 2px solid #888; padding: .8rem; margin: 1rem 0; }
.answer-line { border-bottom: 1px solid #888; height: 1.6rem; margin: .4rem 0; }
.pass { color: #080; } .fail { color: #b00; } .skipped { color: #a60; }
figure { margin: 1rem 0; } figure img { max-width: 100%; }
.answers { page-break-before: always; } small { color: #666; }
.live { border-left: 4px solid #a60; padding: .2rem .8rem; background: #fff8ec; }
"""


def _md(text: str) -> str:
    return str(MarkdownIt("commonmark").enable("table").render(text))


def chart_svg(chart: ChartView) -> str:
    """One chart as an SVG document (bars per run, coloured by platform model)."""
    import altair as alt
    import vl_convert as vlc

    rows = [{"run": run, "model": model, "value": value} for run, model, value in chart.rows]
    title = f"{chart.title} ({chart.unit})" if chart.unit else chart.title
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]  # altair: untyped
    spec = (
        alt.Chart(data, title=title, width=420, height=220)
        .mark_bar()
        .encode(
            x=alt.X("run:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("model:N"),
            y=alt.Y("value:Q", title=chart.unit or None),
            color=alt.Color("model:N", title="platform model"),
            tooltip=["run:N", "model:N", "value:Q"],
        )
    )
    svg: str = vlc.vegalite_to_svg(spec.to_dict())
    return svg


def _figure(chart: ChartView) -> str:
    data = base64.b64encode(chart_svg(chart).encode()).decode()
    alt_text = html.escape(chart.title)
    return f'<figure><img alt="{alt_text}" src="data:image/svg+xml;base64,{data}"></figure>'


def _prediction(run: LessonRun) -> str:
    p = run.prediction
    parts = [f'<div class="box"><h2>Your prediction</h2>{_md(p.question)}']
    if p.kind == "choice":
        parts.append("<ul>" + "".join(f"<li>☐ {html.escape(c)}</li>" for c in p.choices) + "</ul>")
    else:
        unit = f" ({html.escape(p.unit)})" if p.unit else ""
        parts.append(f"<p>My number{unit}:</p><div class='answer-line'></div>")
    parts.append("<p>Why?</p><div class='answer-line'></div><div class='answer-line'></div></div>")
    return "".join(parts)


def _answer_names(run: LessonRun) -> set[tuple[str | int, ...]]:
    """Every name the prediction's answer is computed from (its ``answer`` or choices' ``when``)."""
    p = run.lesson.prediction
    expressions = [p.answer or ""] + [c.when for c in p.choices]
    return {name for e in expressions if e for name in names(parse(e))}


def _shows_the_number(run: LessonRun, markdown: str) -> bool:
    """Does a text print a number prediction's answer (as the reveal or a filter writes it)?"""
    p = run.prediction
    if p.kind != "number":
        return False
    value = float(p.answer)
    forms = {f"{round(value):,}", f"{value:.3g}", f"{round(value)}"}
    return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", markdown) for f in forms)


def gives_away(run: LessonRun, index: int) -> bool:
    """Does step ``index`` show the prediction's answer?

    A ``reveal`` step does; so does one whose numbers use a name the answer is computed from, or
    one that prints the answer itself (lesson 1's cold-start total is its p99 minus its p50).
    """
    step = run.lesson.steps[index]
    if step.kind == "reveal":
        return True
    answer = _answer_names(run)
    if any(
        name in answer
        for placeholder in placeholders(step.text)
        for name in names(parse(placeholder.expression))
    ):
        return True
    return _shows_the_number(run, run.steps[index].markdown)


def _chart_gives_away(run: LessonRun, index: int) -> bool:
    """Does chart ``index`` answer the prediction? It does when it plots a run the answer is
    computed from, whatever its metric: the runs the prediction compares are what it asks about
    (lesson 3 asks about TTFB; its billed-duration chart of the same runs shows the same saving).
    """
    chart = run.lesson.charts[index]
    answer = _answer_names(run)
    return any(name[:1] == (r,) for r in chart.runs for name in answer)


def _live_in_class(run: LessonRun, index: int) -> bool:
    """A step whose table is a live measurement this run did not make."""
    needs = run.lesson.steps[index].needs
    return (
        needs is not None
        and needs in run.unavailable
        and run.lesson.data[needs].provider in LIVE_PROVIDERS
    )


def _step(run: LessonRun, step: StepView) -> str:
    esc = html.escape
    if _live_in_class(run, step.index):
        return (
            f"<h2>{esc(step.title)}</h2><div class='live'><p><b>Measured live, in class.</b> This "
            "part runs real processes on the machine in front of you; its numbers are not "
            f"printed here. Run it with <code>lab lesson check {run.number} --live</code> (or "
            f"print a handout with them: <code>lab lesson export {run.number} --html FILE "
            "--live</code>).</p></div>"
        )
    return f"<h2>{esc(step.title)}</h2>{_md(step.markdown)}"


def handout_html(run: LessonRun, answers: bool = True) -> str:
    """The whole handout as one HTML string (``answers``: with the teacher's answer sheet)."""
    esc = html.escape
    body: list[str] = [
        f"<h1>Lesson {run.number}: {esc(run.title)}</h1>",
        f"<p><small>About {run.lesson.minutes} minutes · Serverless Lab · every number below "
        "was computed by the lab's own runs</small></p>",
        _md(run.hook),
        _prediction(run),
    ]
    for step in run.steps:
        if not gives_away(run, step.index):  # the rest belongs to the answer sheet
            body.append(_step(run, step))
    for i, chart in enumerate(run.charts):
        if not _chart_gives_away(run, i):
            body.append(_figure(chart))
    if run.knobs:
        body.append("<h2>Try it in the lab</h2><ul>")
        for knob in run.knobs:
            span = (
                ", ".join(map(str, knob.values))
                if knob.values is not None
                else f"{knob.min:g} … {knob.max:g}"
            )
            body.append(
                f"<li><b>{esc(knob.label)}</b> (now {esc(str(knob.default))}; try {esc(span)})</li>"
            )
        body.append("</ul>")
    if run.sources:
        body.append("<h2>Sources</h2><ul>")
        for s in run.sources:
            where = s.url or s.where
            quote = f" — “{esc(s.quote)}”" if s.quote else ""
            body.append(f"<li>{esc(s.title)} <small>{esc(where)}</small>{quote}</li>")
        body.append("</ul>")
    if answers:
        body.append(_answer_sheet(run))
    title = f"Lesson {run.number}: {run.title}"
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def _answer_sheet(run: LessonRun) -> str:
    esc = html.escape
    p = run.prediction
    parts: list[Any] = [
        "<section class='answers'><h1>Answer sheet (teacher)</h1>",
        "<p><small>Hand this part out after the predictions: it shows the answer.</small></p>",
        f"<p><b>Prediction:</b> {esc(p.answer_text)}</p>",
        _md(p.reveal),
    ]
    for step in run.steps:
        if gives_away(run, step.index):
            parts.append(_step(run, step))
    for i, chart in enumerate(run.charts):
        if _chart_gives_away(run, i):
            parts.append(_figure(chart))
    parts.append(f"<h2>Summary</h2>{_md(run.summary)}")
    parts.append("<h2>Claims the lab checked</h2><ul>")
    for claim in run.claims:
        seed = f" <small>seed: “{esc(claim.seed)}”</small>" if claim.seed else ""
        parts.append(
            f"<li class='{claim.status}'><b>{claim.status}</b> {esc(claim.text)}{seed}<br>"
            f"<small>{esc(claim.detail)}</small></li>"
        )
    parts.append("</ul></section>")
    return "".join(parts)
