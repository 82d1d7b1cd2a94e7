"""Guided lessons: predict, run, reveal, play with a knob. Renders ``lessons/*.toml`` through the
display-neutral API of ``lessons.runner``; no lesson text lives here.

Flow per lesson: the hook, a recorded prediction (choice or number), then the steps one at a
time (an animated run where a step names one), the reveal beside the prediction, the knobs
("set, then see": each re-runs the scenario), the summary, sources and the claims the lab checked.
Progress (prediction, steps seen, done) is a ``lessons.progress.Progress`` kept in this browser
session's state, never in a file: on a shared server every visitor has their own ticks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from lab import charts
from lab.format import count, money, seconds
from lab.view import QUEUE_LANE, Timeline, build_timeline, state_at
from lab.view.moments import Moment, best_moment, run_moments
from lab.view.zoom import window_for
from lab.web.clock import PlayClock
from lab.web.controls import chart_with_downloads, show
from lessons import LessonError, LessonRun, list_lessons, open_lesson
from lessons.progress import Progress

TICK_S = 0.1
PLAY_SECONDS = 12.0
"""An animated run plays from start to end in about this many seconds of wall time."""
MAX_SPANS = 3000


@st.cache_resource(max_entries=12, show_spinner=False)
def _lesson(number: int) -> LessonRun:
    return open_lesson(number)


@st.cache_resource(max_entries=24, show_spinner=False)
def _timeline(number: int, run: str, model: str) -> Timeline:
    return build_timeline(_lesson(number).result(run).models[model])


class SessionProgress(Progress):
    """Progress that lives in one browser session (the CLI's goes to the user's data folder):
    ``save`` keeps nothing on disk."""

    def save(self) -> None:
        return None


def _progress() -> Progress:
    if "lessons.progress" not in st.session_state:
        st.session_state["lessons.progress"] = SessionProgress(Path("progress-of-this-session"))
    progress: Progress = st.session_state["lessons.progress"]
    return progress


def _lanes(timeline: Timeline, t0: float, cursor: float) -> list[int]:
    alive = [i for i in timeline.lanes() if i.started <= cursor and i.ended > t0]
    lanes = [i.id for i in sorted(alive, key=lambda i: (i.started, i.id))]
    if any(s.lane == QUEUE_LANE for s in timeline.spans_between(t0, cursor)):
        lanes.append(QUEUE_LANE)
    return lanes


@st.cache_resource(max_entries=24, show_spinner=False)
def _moments(number: int, run: str) -> list[Moment]:
    return run_moments(_lesson(number).result(run))


def _opening(number: int, run: str, model: str, wanted: str | None) -> Moment | None:
    """The moment a step opens on: the one it names (``moment`` in the lesson file, once
    steps carry it), else what this model's run shows best: requests overlapping on one
    instance, a bytecode-cache hit, or a cold start with every phase."""
    moments = _moments(number, run)
    kinds = [wanted] if wanted else ["overlap", "cache_hit", "cold_start"]
    for kind in kinds:
        found = best_moment(moments, kind, model)
        if found is not None and (kind != "overlap" or found.count >= 2):
            return found
    return None


def _animated_run(
    number: int, run: str, models: list[str], key: str, wanted: str | None = None
) -> None:
    """A compact replay of one run: model, play/pause, a time cursor and the lanes at it. It
    opens paused on the step's moment, zoomed so the moment fills the chart."""
    lesson = _lesson(number)
    title = lesson.lesson.runs[run].title or run
    model = st.radio(f"run: {title}", models, key=f"{key}.model", horizontal=True)
    timeline = _timeline(number, run, model)
    end = max(timeline.end_time, 1e-6)
    rate = end / PLAY_SECONDS
    clock = PlayClock(key)
    zoom_key, said_key, opened_key = f"{key}.zoom", f"{key}.said", f"{key}.opened"
    if st.session_state.get(opened_key) != model:  # first shown, or another model picked
        st.session_state[opened_key] = model
        moment = _opening(number, run, model, wanted)
        if moment is None:
            clock.reset(end)
            st.session_state.pop(zoom_key, None)
            st.session_state.pop(said_key, None)
        else:
            clock.reset(min(moment.end, end))
            st.session_state[zoom_key] = window_for(moment, run_end=end).width
            st.session_state[said_key] = moment.describe()
    clock.setdefault(end)
    playing = clock.playing

    def _toggle() -> None:
        st.session_state.pop(zoom_key, None)  # playing: the window follows the whole run
        clock.toggle(rate, end)

    st.button("Pause" if playing else "Play the run", key=f"{key}.play", on_click=_toggle)
    if st.session_state.get(said_key) and not playing:
        st.caption(f"Paused on: {st.session_state[said_key]}")

    @st.fragment(run_every=TICK_S if playing else None)
    def frame() -> None:
        cursor = clock.now(rate, end)
        if clock.playing and cursor >= end:
            clock.stop_at_end(end)
            st.rerun()  # the whole page, so the fragment stops ticking
        clock.slider("time (s)", end, "%.1f")
        now = state_at(timeline, cursor)
        cells = st.columns(4)
        cells[0].metric("time", seconds(cursor))
        cells[1].metric("instances alive", count(len(now.lanes)))
        if now.meters is not None:
            cells[2].metric("cold starts so far", count(now.meters.cold_starts))
            cells[3].metric("bill so far", money(now.meters.bill_total))
        zoom = st.session_state.get(zoom_key)
        window = float(zoom) if zoom else min(end, max(end / 4, 1.0))
        while True:  # a window short enough to stay under the chart's mark budget
            t0 = max(0.0, cursor - 0.85 * window)
            spans = timeline.spans_between(t0, cursor)
            if len(spans) <= MAX_SPANS or window <= 1.0:
                break
            window /= 2
        chart = charts.replay_chart(
            spans,
            _lanes(timeline, t0, cursor),
            t0,
            t0 + window,
            cursor,
            f"{model}: {title} (a band per instance, a row per request)",
        )
        if clock.playing:
            show(chart, f"{key}.chart")
        else:
            name = f"lesson-{number}-{run}-{model}-{cursor:.0f}s"
            chart_with_downloads(chart, name, f"{key}.chart")

    frame()


def _prediction(lesson: LessonRun, progress: Progress) -> Any:
    p = lesson.prediction
    key = f"lessons.{lesson.number}.guess"
    with st.container(border=True):
        st.markdown(f"**Your prediction.** {p.question}")
        if p.kind == "choice":
            choice = st.radio("your answer", p.choices, index=None, key=f"{key}.input")
            guess: Any = None if choice is None else p.choices.index(choice)
        else:
            start = p.min if p.min is not None else 0.0
            guess = st.number_input(
                f"your answer ({p.unit})" if p.unit else "your answer",
                min_value=p.min,
                max_value=p.max,
                value=start,
                step=p.step,
                key=f"{key}.input",
            )
        if st.button("Record my prediction", key=f"{key}.record", disabled=guess is None):
            st.session_state[key] = guess
            reveal = p.check(guess)
            progress.record_prediction(lesson.slug, guess, reveal.correct)
            progress.save()
    return st.session_state.get(key)


def _decisions(lesson: LessonRun, progress: Progress) -> None:
    """The student's choice and reason per route, each checked against the runs (capstone)."""
    st.subheader("Your decisions")
    saved = progress.of(lesson.slug).decisions
    for decision in lesson.decisions:
        key = f"lessons.{lesson.number}.decision.{decision.id}"
        with st.container(border=True):
            st.markdown(f"**{decision.question}**")
            before = saved.get(decision.id, {})
            index = (
                decision.options.index(before["choice"])
                if before.get("choice") in decision.options
                else None
            )
            choice = st.radio("your choice", decision.options, index=index, key=f"{key}.choice")
            reason = st.text_input(
                "because…", value=str(before.get("reason", "")), key=f"{key}.reason"
            )
            ready = choice is not None and bool(reason.strip())
            if st.button("Check my choice", key=f"{key}.check", disabled=not ready):
                reveal = decision.check(choice, reason)
                progress.record_decision(
                    lesson.slug, decision.id, reveal.choice, reveal.reason, reveal.agrees
                )
                progress.save()
            if decision.id in progress.of(lesson.slug).decisions:
                entry = progress.of(lesson.slug).decisions[decision.id]
                st.markdown(decision.check(entry["choice"], entry["reason"]).text)


def page() -> None:
    st.title("Lessons")
    try:
        infos = list_lessons()
    except LessonError as exc:
        st.error(str(exc))
        return
    progress = _progress()
    labels = {
        i.number: f"{i.number}. {i.title}" + ("  ✓" if progress.of(i.slug).done else "")
        for i in infos
    }
    number = st.selectbox(
        "lesson", list(labels), format_func=labels.__getitem__, key="lessons.number"
    )
    with st.spinner("Running the lesson's scenarios…"):
        try:
            lesson = _lesson(int(number))
        except LessonError as exc:
            st.error(str(exc))
            return
    st.header(lesson.title)
    st.caption(f"about {lesson.lesson.minutes} minutes · every number is computed by the lab")
    st.markdown(lesson.hook)

    guess = _prediction(lesson, progress)
    if guess is None:
        st.info("Record a prediction to start the lesson.")
        return
    step_key = f"lessons.{lesson.number}.step"
    shown = int(st.session_state.get(step_key, 0))
    for step in lesson.steps[: shown + 1]:
        st.subheader(step.title)
        st.markdown(step.markdown)
        if step.animate and step.available:
            _animated_run(
                lesson.number,
                step.animate,
                step.models or list(lesson.result(step.animate).models),
                f"lessons.{lesson.number}.{step.index}",
                getattr(step, "moment", None),
            )
        progress.mark_step(lesson.slug, step.index)
    st.caption(f"step {min(shown + 1, len(lesson.steps))} of {len(lesson.steps)}")
    if shown + 1 < len(lesson.steps):
        if st.button("Next step", key=f"lessons.{lesson.number}.next", type="primary"):
            st.session_state[step_key] = shown + 1
            progress.save()
            st.rerun()
        progress.save()
        return

    reveal = lesson.prediction.check(guess)
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**You predicted**")
        shown_guess = (
            lesson.prediction.choices[int(guess)]
            if lesson.prediction.kind == "choice"
            else f"{guess:g} {lesson.prediction.unit}"
        )
        st.markdown(shown_guess)
    with right.container(border=True):
        st.markdown(reveal.text)

    if lesson.decisions:
        _decisions(lesson, progress)

    if lesson.knobs:
        st.subheader("Play with it")
        for knob in lesson.knobs:
            key = f"lessons.{lesson.number}.knob.{knob.id}"
            if knob.values is not None:
                value = st.select_slider(knob.label, knob.values, value=knob.default, key=key)
            else:
                assert knob.min is not None and knob.max is not None
                kind = int if isinstance(knob.default, int) else float
                value = st.slider(
                    knob.label,
                    kind(knob.min),
                    kind(knob.max),
                    kind(knob.default),
                    step=kind(knob.step) if knob.step else None,
                    key=key,
                )
            if value != knob.default:
                outcome = lesson.turn(knob.id, value)
                progress.tried_knob(lesson.slug, knob.id)
                st.markdown(outcome.text)
    st.subheader("Summary")
    st.markdown(lesson.summary)
    with st.expander("Sources"):
        for source in lesson.sources:
            where = source.url or source.where
            st.markdown(
                f"- {source.title} ({where})" + (f": “{source.quote}”" if source.quote else "")
            )
    with st.expander("What the lab checked"):
        for claim in lesson.claims:
            mark = {"pass": "✅", "fail": "❌", "skipped": "⏭️"}[claim.status]
            st.markdown(f"{mark} {claim.text}  \n`{claim.detail}`")
    if not progress.of(lesson.slug).done:
        progress.complete(lesson.slug)
    progress.save()
    st.success(f"Lesson {lesson.number} done.")


page()
