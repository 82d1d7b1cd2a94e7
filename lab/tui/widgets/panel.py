"""One platform model's side of the playground: title, arrival strip, lanes, meters."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from lab.tui.raster import SpanArrays
from lab.tui.widgets.lanes import ArrivalStrip, AxisRow, LanesView
from lab.tui.widgets.meters import MetersView
from lab.view import Frame, Timeline, state_at
from lab.view.frame import FrameIndex
from lab.view.legend import bill_label
from lab.view.moments import Moment
from models.run import ModelResult
from models.scenario import PlatformModel


def panel_titles(model: str, platform: PlatformModel) -> list[str]:
    """The panel's title, longest first: how many requests an instance takes, how it bills."""
    per = "1" if platform.concurrency == 1 else f"≤{platform.concurrency}"
    billing = bill_label(platform.billing)  # the billing modes are named as bill components
    return [
        f"[b]{model}[/b] [dim]({per}/instance, bills {billing})[/dim]",
        f"[b]{model}[/b] [dim]({per}/inst, bills {billing})[/dim]",
        f"[b]{model}[/b] [dim]({per}/inst, {billing})[/dim]",
        f"[b]{model}[/b] [dim]{per}/inst[/dim]",
    ]


class PanelTitle(Static):
    """One line: the longest of its wordings that fits."""

    def __init__(self, text: str, **kwargs: object) -> None:
        super().__init__(text, **kwargs)  # type: ignore[arg-type]
        self.wordings = [text]

    def set_wordings(self, wordings: list[str]) -> None:
        self.wordings = wordings
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.content_size.width
        fits = [w for w in self.wordings if Text.from_markup(w).cell_len <= width]
        self.update((fits or self.wordings)[0] if width else self.wordings[0])


class ModelPanel(Vertical):
    def __init__(self, model: str) -> None:
        super().__init__(id=f"panel-{model}", classes="model-panel")
        self.model = model
        self.timeline: Timeline | None = None
        self.result: ModelResult | None = None
        self.frame: Frame | None = None
        self._platform: PlatformModel | None = None
        self._spans: SpanArrays | None = None
        self._frames: FrameIndex | None = None
        self._parts: tuple[ArrivalStrip, AxisRow, LanesView, MetersView] | None = None
        self.moment: Moment | None = None
        """The moment shown on this side, if the clock is on one of this model's."""

    def compose(self) -> ComposeResult:
        yield PanelTitle(self.model, classes="panel-title")
        yield ArrivalStrip()
        yield AxisRow()
        yield LanesView(self.model, id=f"lanes-{self.model}")
        yield MetersView(id=f"meters-{self.model}")

    def set_run(
        self,
        timeline: Timeline,
        result: ModelResult,
        platform: PlatformModel,
        spans: SpanArrays | None = None,
        frames: FrameIndex | None = None,
    ) -> None:
        """Show a run (kept until mounted, if the panel was only just added); ``spans`` and
        ``frames``: the run's spans and frames indexed for drawing, if made already."""
        self.timeline, self.result = timeline, result
        self._platform, self._spans = platform, spans
        self._frames = frames if frames is not None and frames.timeline is timeline else None
        if self._parts is not None:
            self._apply_run()

    def _apply_run(self) -> None:
        assert self._parts is not None and self.timeline is not None
        assert self._platform is not None
        timeline = self.timeline
        arrivals, _axis, lanes, meters = self._parts
        titles = self.query(PanelTitle)  # none while the panel is being taken down
        if titles:
            titles.first().set_wordings(panel_titles(self.model, self._platform))
        arrivals.set_timeline(timeline)
        lanes.set_timeline(timeline, self._spans)
        widest = timeline.meters.at(timeline.end_time) if timeline.meters is not None else None
        meters.set_run(widest)

    def on_mount(self) -> None:
        self._parts = (
            self.query_one(ArrivalStrip),
            self.query_one(AxisRow),
            self.query_one(LanesView),
            self.query_one(MetersView),
        )
        if self.timeline is not None:
            self._apply_run()

    def follow(self, request: int | None) -> None:
        """Mark ``request``'s rows in the lanes (None: none)."""
        if self._parts is not None:
            self._parts[2].follow(request)

    def focus_on(self, moment: Moment | None) -> None:
        """Mark ``moment`` (one of this model's) in the lanes, or nothing."""
        self.moment = moment
        if self._parts is not None:
            self._parts[2].focus_moment(moment)

    def show(self, t: float, t0: float, t1: float) -> None:
        """Draw the window ``[t0, t1]`` as it stood at ``t`` (``t1 > t``: a held window, drawn
        up to the clock)."""
        if self.timeline is None or self.result is None or self._parts is None:
            return
        frames = self._frames
        self.frame = frame = frames.at(t) if frames is not None else state_at(self.timeline, t)
        arrivals, axis, lanes, meters = self._parts
        arrivals.show(t0, t1, t)
        axis.show(t0, t1, t)
        lanes.show(frame, t0, t1, t)
        meters.show(frame.meters, self.result.bill.total)
