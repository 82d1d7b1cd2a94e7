"""The lessons mode: pick a lesson, predict, watch the run, read why, then turn its knobs.

A lesson comes from ``lessons`` (``open_lesson``: its text with the run's numbers filled in,
its prediction, steps, knobs, summary and checked claims); this screen only shows it, in
stages: 0 is the hook and the prediction, then one stage per step (animated with the same
``Player`` as the playground when the step names a run), then "try it" (the knobs) with the
summary and the claims. Progress goes to ``lessons.progress`` so the web app sees it too.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Markdown, OptionList, Select
from textual.widgets.option_list import Option

from lab.tui.playback import Playback, playback_of
from lab.tui.widgets.player import Opening, Player, PlayerKeys, player_bindings
from lessons import KnobOutcome, LessonError, LessonRun, list_lessons, open_lesson
from lessons.progress import Progress
from models.run import RunResult
from models.scenario import Scenario

MAX_KNOB_CHOICES = 9


class LessonReady(Message):
    def __init__(self, lesson: LessonRun) -> None:
        super().__init__()
        self.lesson = lesson


class RunLaidOut(Message):
    def __init__(self, playback: Playback, title: str) -> None:
        super().__init__()
        self.playback = playback
        self.title = title


class KnobTurned(Message):
    def __init__(self, outcome: KnobOutcome) -> None:
        super().__init__()
        self.outcome = outcome


def knob_values(knob: Any) -> list[Any]:
    """The values a select offers: the knob's own list, or a few points of its range."""
    if knob.values is not None:
        return list(knob.values)
    lo, hi = float(knob.min), float(knob.max)
    step = float(knob.step or (hi - lo) / (MAX_KNOB_CHOICES - 1) or 1)
    count = math.floor((hi - lo) / step) + 1
    stride = max(1, math.ceil(count / MAX_KNOB_CHOICES))
    values = [lo + i * step for i in range(0, count, stride)]
    if values[-1] != hi:
        values.append(hi)
    values.append(float(knob.default))
    whole = all(float(v).is_integer() for v in values)
    return sorted({int(v) if whole else round(v, 6) for v in values})


def step_opening(lesson: LessonRun, index: int) -> Opening | None:
    """Where step ``index`` opens its animation (its ``show``), None: at the start."""
    steps = lesson.lesson.steps
    show = steps[index].show if 0 <= index < len(steps) else None
    if show is None:
        return None
    return Opening(show.moment, show.model, show.at, show.zoom, show.speed, show.play)


class LessonsScreen(PlayerKeys, Screen[None]):
    CSS_PATH = "../../assets/tui/lessons.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next", "next"),
        Binding("b", "back", "back"),
        Binding("escape", "to_list", "lessons"),
        Binding("g", "app.playground", "playground"),
        *player_bindings(priority=False),
    ]

    def __init__(self, autoplay: bool = True) -> None:
        super().__init__(id="lessons")
        self.autoplay = autoplay
        self.lesson: LessonRun | None = None
        self.stage = 0
        self.reveal: Any = None
        self._skip_warned = False
        self._knobs: dict[str, Any] = {}
        self._playbacks: dict[tuple[str, int], Playback] = {}
        self.player = Player([], autoplay, id="lesson-player")
        self.progress = Progress.load()

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield OptionList(*self._list_options(), id="lesson-list")
            with Vertical(id="lesson-body"):
                with VerticalScroll(id="lesson-scroll"):
                    yield Markdown(id="lesson-md")
                    yield OptionList(id="choices")
                    guess = Input(id="guess", type="number")
                    guess.cursor_blink = self.app.animation_level != "none"
                    yield guess
                    yield Markdown(id="reveal-md")
                    yield Vertical(id="knobs")
                    yield Markdown(id="knob-md")
                yield self.player
        yield Footer(compact=True)

    def _list_options(self) -> list[Option]:
        try:
            infos = list_lessons()
        except LessonError as exc:
            return [Option(f"cannot read the lessons: {exc}", disabled=True)]
        options = []
        for info in infos:
            done = " ✓" if self.progress.of(info.slug).done else ""
            label = f"{info.number:>2}. {info.title} · {info.minutes} min{done}"
            options.append(Option(label, id=str(info.number)))
        return options

    def on_mount(self) -> None:
        self._show_list()

    def _show_list(self) -> None:
        self.lesson = None
        self.player.play(False)
        self.player.title = ""  # a run still being laid out is not shown when it arrives
        self.query_one("#lesson-list").display = True
        self.query_one("#lesson-body").display = False
        self.query_one("#lesson-list").focus()

    # --- opening a lesson ----------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "lesson-list" and event.option.id is not None:
            self.query_one("#lesson-list", OptionList).disabled = True
            self.notify("running the lesson's scenarios…", timeout=3)
            self._open(int(event.option.id))
        elif event.option_list.id == "choices" and self.lesson is not None:
            self.predict(event.option_index)

    @work(thread=True, exclusive=True, group="lesson")
    def _open(self, number: int) -> None:
        try:
            lesson = open_lesson(number)
        except (LessonError, ValueError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.post_message(LessonReady(lesson))

    def _failed(self, message: str) -> None:
        self.query_one("#lesson-list", OptionList).disabled = False
        self.notify(message, title="cannot open the lesson", severity="error")

    async def on_lesson_ready(self, message: LessonReady) -> None:
        self.query_one("#lesson-list", OptionList).disabled = False
        self.lesson = message.lesson
        self.reveal = None
        self._skip_warned = False
        self.query_one("#lesson-list").display = False
        self.query_one("#lesson-body").display = True
        await self.show_stage(0)

    # --- stages --------------------------------------------------------------------------

    @property
    def last_stage(self) -> int:
        return len(self.lesson.steps) + 1 if self.lesson else 0

    async def show_stage(self, stage: int) -> None:
        lesson = self.lesson
        assert lesson is not None
        self.stage = stage
        choices = self.query_one("#choices", OptionList)
        guess = self.query_one("#guess", Input)
        choices.display = guess.display = False
        await self.query_one("#reveal-md", Markdown).update("")
        await self.query_one("#knob-md", Markdown).update("")
        await self.query_one("#knobs").remove_children()
        animate: str | None = None
        opening: Opening | None = None
        if stage == 0:
            text = self._hook_text(lesson)
            if self.reveal is not None:
                await self.query_one("#reveal-md", Markdown).update(self.reveal.text)
            elif lesson.prediction.kind == "choice":
                choices.clear_options()
                choices.add_options(lesson.prediction.choices)
                choices.display = True
                choices.focus()
            else:
                p = lesson.prediction
                unit = f" in {p.unit}" if p.unit else ""
                guess.placeholder = f"your guess{unit}, then enter"
                guess.value = ""
                guess.display = True
                guess.focus()
        elif stage <= len(lesson.steps):
            step = lesson.steps[stage - 1]
            text = f"## {step.title}\n\n{step.markdown}"
            if not step.available:
                text += f"\n\n> {step.unavailable_reason}"
            animate = step.animate
            opening = step_opening(lesson, step.index)
            self._save(lambda p: p.mark_step(lesson.slug, step.index))
        else:
            text = self._closing_text(lesson)
            await self._mount_knobs(lesson)
            self._save(lambda p: p.complete(lesson.slug))
        await self.query_one("#lesson-md", Markdown).update(text)
        self.query_one("#lesson-scroll").scroll_home(animate=False)
        await self._play_run(animate, opening)

    def _hook_text(self, lesson: LessonRun) -> str:
        head = f"# {lesson.number}. {lesson.title}\n\n{lesson.hook}\n\n"
        return head + f"**Your prediction.** {lesson.prediction.question}"

    def _closing_text(self, lesson: LessonRun) -> str:
        marks = {"pass": "✓", "fail": "✗", "skipped": "–"}
        claims = "\n".join(
            f"- {marks.get(c.status, '?')} {c.text} ({c.status})" for c in lesson.claims
        )
        decide = (
            "## Your decisions\n\nFor each route below: choose, write why, press enter; the "
            "lab checks your choice against the runs.\n\n"
            if lesson.decisions
            else ""
        )
        return (
            f"{decide}## Try it\n\nTurn a knob: the lesson's run is simulated again and the "
            "numbers below change.\n\n## What we learned\n\n"
            f"{lesson.summary}\n\n### Claims checked on these runs\n\n{claims}"
        )

    async def _mount_decisions(self, lesson: LessonRun) -> None:
        """The capstone's choices per route: a select and a reason, checked on enter."""
        box = self.query_one("#knobs")
        saved = self.progress.of(lesson.slug).decisions
        for decision in lesson.decisions:
            before = saved.get(decision.id, {})
            await box.mount(Label(decision.question, classes="knob-label"))
            await box.mount(
                Select(
                    [(label, i) for i, label in enumerate(decision.options)],
                    value=(
                        decision.options.index(before["choice"])
                        if before.get("choice") in decision.options
                        else Select.BLANK
                    ),
                    prompt="your choice",
                    id=f"lesson-decision-{decision.id}",
                    compact=True,
                )
            )
            await box.mount(
                Input(
                    value=str(before.get("reason", "")),
                    placeholder="because… (enter to check)",
                    id=f"lesson-reason-{decision.id}",
                )
            )
            await box.mount(Markdown(id=f"lesson-decided-{decision.id}"))

    def _decide(self, decision_id: str, reason: str) -> None:
        lesson = self.lesson
        assert lesson is not None
        decision = next(d for d in lesson.decisions if d.id == decision_id)
        choice = self.query_one(f"#lesson-decision-{decision_id}", Select).value
        if not isinstance(choice, int):
            self.notify("choose an option first", severity="warning")
            return
        try:
            reveal = decision.check(choice, reason)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        self._save(
            lambda p: p.record_decision(
                lesson.slug, decision.id, reveal.choice, reveal.reason, reveal.agrees
            )
        )
        self.call_later(
            self.query_one(f"#lesson-decided-{decision_id}", Markdown).update, reveal.text
        )

    async def _mount_knobs(self, lesson: LessonRun) -> None:
        box = self.query_one("#knobs")
        if lesson.decisions:
            await self._mount_decisions(lesson)
        self._knobs = {knob.id: knob.default for knob in lesson.knobs}
        for knob in lesson.knobs:
            values = knob_values(knob)
            await box.mount(Label(knob.label, classes="knob-label"))
            await box.mount(
                Select(
                    [
                        (f"{v:g}" if isinstance(v, float) else str(v), i)
                        for i, v in enumerate(values)
                    ],
                    value=values.index(knob.default) if knob.default in values else 0,
                    allow_blank=False,
                    id=f"lesson-knob-{knob.id}",
                    compact=True,
                )
            )

    async def _play_run(self, run: str | None, opening: Opening | None = None) -> None:
        lesson = self.lesson
        self.player.play(False)
        self.player.opening = opening
        if run is None or lesson is None:
            self.player.display = False
            return
        self.player.display = True
        await self.player.reset(list(lesson.result(run).models))
        self.player.title = f"run: {run}"
        self.player.busy = "laying out the run…"
        self._lay_out(lesson.scenario(run), lesson.result(run), self.player.title)

    @work(thread=True, exclusive=True, group="layout")
    def _lay_out(self, scenario: Scenario, result: RunResult, title: str) -> None:
        key = (scenario.fingerprint(), id(result))
        playback = self._playbacks.get(key)
        if playback is None:
            playback = self._playbacks[key] = playback_of(scenario, result)
        self.post_message(RunLaidOut(playback, title))

    async def on_run_laid_out(self, message: RunLaidOut) -> None:
        if message.title != self.player.title or self.lesson is None:
            return  # the student has moved on (another step, or back to the list)
        if not self.player.display or not self.player.is_attached:
            return
        await self.player.set_playback(message.playback, first=True)

    # --- the prediction ------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        input_id = event.input.id or ""
        if input_id.startswith("lesson-reason-") and self.lesson is not None:
            self._decide(input_id.removeprefix("lesson-reason-"), event.value)
            return
        if input_id != "guess" or self.lesson is None:
            return
        try:
            value = float(event.value)
        except ValueError:
            self.notify("type a number, then enter", severity="warning")
            return
        self.predict(value)

    def predict(self, guess: Any) -> None:
        lesson = self.lesson
        assert lesson is not None
        self.reveal = reveal = lesson.prediction.check(guess)
        self._save(lambda p: p.record_prediction(lesson.slug, reveal.guess, reveal.correct))
        self.call_later(self.show_stage, 0)

    # --- knobs ---------------------------------------------------------------------------

    def on_select_changed(self, event: Select.Changed) -> None:
        lesson = self.lesson
        select_id = event.select.id or ""
        if lesson is None or not select_id.startswith("lesson-knob-"):
            return
        knob_id = select_id.removeprefix("lesson-knob-")
        knob = next(k for k in lesson.knobs if k.id == knob_id)
        if not isinstance(event.value, int):
            return
        value = knob_values(knob)[event.value]
        if self._knobs.get(knob_id, knob.default) == value:
            return  # a select reporting its first value, not a turn
        self._knobs[knob_id] = value
        self._turn(lesson, knob_id, value)

    @work(thread=True, exclusive=True, group="knob")
    def _turn(self, lesson: LessonRun, knob_id: str, value: Any) -> None:
        try:
            outcome = lesson.turn(knob_id, value)
        except (ValueError, KeyError) as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.post_message(KnobTurned(outcome))

    async def on_knob_turned(self, message: KnobTurned) -> None:
        outcome = message.outcome
        lesson = self.lesson
        if lesson is None:
            return
        self._save(lambda p: p.tried_knob(lesson.slug, outcome.knob.id))
        await self.query_one("#knob-md", Markdown).update(
            f"**{outcome.knob.label} = {outcome.value}**\n\n{outcome.text}"
        )
        self.player.display = True
        self.player.title = f"{outcome.knob.label} = {outcome.value}"
        self.player.busy = "laying out the run…"
        self._lay_out(outcome.scenario, outcome.result, self.player.title)

    # --- keys ----------------------------------------------------------------------------

    async def action_next(self) -> None:
        if self.lesson is None or self.stage >= self.last_stage:
            return
        if self.stage == 0 and self.reveal is None and not self._skip_warned:
            self._skip_warned = True
            self.notify("Make a prediction first — or press n again to skip it.")
            return
        await self.show_stage(self.stage + 1)

    async def action_back(self) -> None:
        if self.lesson is not None and self.stage > 0:
            await self.show_stage(self.stage - 1)

    def action_to_list(self) -> None:
        if self.lesson is None:
            self.app.switch_mode("playground")
        else:
            self._show_list()

    def _save(self, change: Any) -> None:
        change(self.progress)
        try:
            self.progress.save()
        except OSError as exc:  # a read-only home must not stop a lesson
            self.notify(f"progress not saved: {exc}", severity="warning")
