"""Two small pieces of the player: the story of one followed request, and the comparison line.

``FollowPanel``: a request followed (f, or enter on its row) told step by step on every model
(``lab.view.follow``): arrival, queue, instance, cold-start phases, each CPU and I/O stretch,
first byte, response, background work, and its share of the bill.

``CompareLine``: the models side by side *so far*, updated as the clock moves ("fluid so far:
-93% bill, 1 vs 5 cold starts, p99 +0.8 s"), and after a what-if change the previous run's
bills at the same instant beside the new ones.
"""

from __future__ import annotations

from textual.widgets import Static

from lab.format import money
from lab.view import Meters
from lab.view.follow import follow
from lab.view.meters import MeterTrack


class FollowPanel(Static):
    DEFAULT_CSS = """
    FollowPanel {
        dock: right;
        width: 38;
        height: 100%;
        padding: 0 1;
        border-left: vkey $accent;
        background: $surface;
        display: none;
        overflow-y: auto;
    }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.request: int | None = None

    def tell(self, request: int, playback: object) -> bool:
        """Show ``request``'s story on every model of ``playback``; False if no model has it."""
        lines: list[str] = [f"[b]following request {request}[/b]  [dim](f closes)[/dim]", ""]
        found = False
        for model, timeline in playback.timelines.items():  # type: ignore[attr-defined]
            result = playback.result.models[model]  # type: ignore[attr-defined]
            try:
                path = follow(result, timeline, request)
            except KeyError:
                continue
            found = True
            story = path.story()
            lines.append(f"[b]{model}[/b]")
            lines.extend(f"[dim]{line}[/dim]" if i == 0 else line for i, line in enumerate(story))
            lines.append("")
        if not found:
            return False
        self.request = request
        self.update("\n".join(lines))
        self.display = True
        return True

    def close(self) -> None:
        self.request = None
        self.display = False


class CompareLine(Static):
    DEFAULT_CSS = """
    CompareLine { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.auto_links = False
        self.before: dict[str, MeterTrack] = {}
        """The previous run's meters (after a what-if change), by model."""
        self._last = "-"

    def show(self, meters: dict[str, Meters | None], t: float) -> None:
        text = compare_text(meters, {m: track.at(t) for m, track in self.before.items()})
        if text != self._last:
            if bool(text) != bool(self._last):
                self.display = bool(text)  # one model alone: no line to give up a row for
            self._last = text
            self.update(text, layout=False)


def compare_text(now: dict[str, Meters | None], before: dict[str, Meters]) -> str:
    """``fluid so far: -93% bill, 1 vs 5 cold starts, p99 +0.8 s · before the change: ...``"""
    models = [m for m, v in now.items() if v is not None]
    parts: list[str] = []
    if len(models) >= 2:
        base, other = models[0], models[-1]
        a, b = now[base], now[other]
        assert a is not None and b is not None
        words = [f"[b]{other}[/b] so far:"]
        if a.bill_total > 0:
            words.append(f"{(b.bill_total - a.bill_total) / a.bill_total * 100:+.0f}% bill,")
        else:
            words.append(f"bill {money(b.bill_total)} vs {money(a.bill_total)},")
        words.append(f"{b.cold_starts} vs {a.cold_starts} cold starts")
        if a.has_latency and b.has_latency:
            diff = (b.latency_p99_ms - a.latency_p99_ms) / 1000
            words.append(f", p99 {diff:+.1f} s")
        parts.append(" ".join(words).replace(" ,", ","))
    if before:
        was = ", ".join(f"{m} {money(v.bill_total)}" for m, v in before.items())
        is_now = ", ".join(f"{m} {money(v.bill_total)}" for m, v in now.items() if v)
        parts.append(f"[dim]before the change:[/dim] {was} → [b]now[/b] {is_now}")
    return "  ·  ".join(parts)
