"""Details on demand: an instance's or a request's events and its share of the bill."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from lab.format import money, seconds
from lab.tui.playback import Playback
from lab.view.bill_share import Share, instance_shares
from lab.view.legend import bill_label
from models.events import Event

MAX_EVENT_ROWS = 2000
_ZERO_HIDDEN = frozenset({"cpu_s", "index"})


def share_text(share: Share | None, of_total: float) -> Text:
    """The share of the whole run's bill (whatever the clock says: the run is already over)."""
    text = Text()
    if share is None:
        return text.append("not billed (rejected)", style="dim")
    text.append("share of the whole run's bill ", style="bold")
    text.append(money(share.total), style="bold #f0c674")
    if of_total > 0:
        text.append(f" ({share.total / of_total:.2%} of {money(of_total)})", style="dim")
    parts = [f"{bill_label(k)} {money(v)}" for k, v in share.components.items()]
    text.append("\n  " + " · ".join(parts), style="dim")
    return text


def event_cells(event: Event) -> tuple[str, str, str]:
    data = event.to_dict()
    data.pop("kind")
    t = data.pop("t")
    detail = " ".join(
        f"{k}={v}"
        for k, v in data.items()
        if v is not None and v is not False and v != "" and not (k in _ZERO_HIDDEN and v == 0)
    )
    return f"{t:.3f}", event.kind, detail


def events_table(events: list[Event], table_id: str) -> DataTable[Any]:
    table: DataTable[Any] = DataTable(id=table_id, cursor_type="row", zebra_stripes=True)
    table.add_columns("t (s)", "event", "details")
    for event in events[:MAX_EVENT_ROWS]:
        table.add_row(*event_cells(event))
    return table


class RequestsTable(DataTable[Any]):
    """An instance's requests; enter opens the one under the cursor (a key the footer shows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "a request's details", key_display="enter"),
    ]


class _Detail(ModalScreen[None]):
    CSS_PATH = "../../assets/tui/dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "close")]

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss()


class InstanceDetailScreen(_Detail):
    def __init__(self, playback: Playback, model: str, instance: int) -> None:
        super().__init__(classes="detail")
        self.playback, self.model, self.instance = playback, model, instance
        self.timeline = playback.timelines[model]
        self.result = playback.result.models[model]
        self.shares, self.total = instance_shares(self.result, self.timeline, instance)

    def compose(self) -> ComposeResult:
        info = self.timeline.instances[self.instance]
        head = Text()
        head.append(f"instance {self.instance}", style="bold")
        head.append(f" on {self.model}\n", style="dim")
        head.append(f"started at {seconds(info.started)} ({info.reason})")
        if info.ready != float("inf"):
            head.append(f", ready after {seconds(info.ready - info.started)}")
        if info.ended != float("inf"):
            head.append(f", recycled at {seconds(info.ended)} ({info.end_reason})")
        head.append(f"; served {info.served} requests\n")
        head.append_text(share_text(self.total, self.result.bill.total))
        reqs = sorted(
            (r for r in self.timeline.requests.values() if r.instance == self.instance),
            key=lambda r: r.arrived,
        )
        ids = {r.id for r in reqs}
        events = [
            e
            for e in self.result.events or ()
            if getattr(e, "instance", None) == self.instance or getattr(e, "request", None) in ids
        ]
        with Vertical(id="detail-box"):
            yield Static(head, id="detail-head")
            with TabbedContent():
                with TabPane("requests", id="tab-requests"):
                    table = RequestsTable(id="requests", cursor_type="row", zebra_stripes=True)
                    table.add_columns(
                        "request", "route", "arrived", "start", "latency", "outcome", "cost"
                    )
                    for r in reqs:
                        share = self.shares.get(r.id)
                        latency = r.latency if r.outcome == "completed" else None
                        table.add_row(
                            str(r.id),
                            r.route,
                            seconds(r.arrived),
                            r.start,
                            seconds(latency) if latency is not None else "–",
                            r.outcome,
                            money(share.total) if share else "–",
                            key=str(r.id),
                        )
                    yield table
                with TabPane("events", id="tab-events"):
                    yield events_table(events, "events")
            yield Static(
                "[dim]enter: a request's details · esc: back[/dim]",
                classes="detail-hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#requests", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "requests" and event.row_key.value is not None:
            rid = int(event.row_key.value)
            self.app.push_screen(RequestDetailScreen(self.playback, self.model, rid))


class RequestDetailScreen(_Detail):
    def __init__(self, playback: Playback, model: str, request: int) -> None:
        super().__init__(classes="detail")
        self.model, self.request = model, request
        self.timeline = playback.timelines[model]
        self.result = playback.result.models[model]
        info = self.timeline.requests[request]
        share = None
        if info.instance >= 0:
            shares, _ = instance_shares(self.result, self.timeline, info.instance)
            share = shares.get(request)
        self.share = share

    def compose(self) -> ComposeResult:
        r = self.timeline.requests[self.request]
        head = Text()
        head.append(f"request {r.id}", style="bold")
        head.append(f" {r.route} on {self.model}\n", style="dim")
        head.append(f"arrived at {seconds(r.arrived)}")
        if r.instance >= 0:
            head.append(f", {r.start} on instance {r.instance}")
        if r.outcome == "completed":
            head.append(f", answered in {seconds(r.latency)}")
            if r.first_byte != float("inf"):
                head.append(f" (first byte after {seconds(r.first_byte - r.arrived)})")
        else:
            head.append(f", {r.outcome.replace('_', ' ')}")
        head.append(f"; CPU {seconds(r.cpu_s)}\n")
        head.append_text(share_text(self.share, self.result.bill.total))
        events = [e for e in self.result.events or () if getattr(e, "request", None) == r.id]
        with Vertical(id="detail-box"):
            yield Static(head, id="detail-head")
            yield events_table(events, "events")
            yield Static("[dim]esc: back[/dim]", classes="detail-hint")
        yield Footer()
