"""Follow one request through a run: its path, step by step, and its share of the bill.

    from lab.view.follow import follow
    path = follow(model_result, timeline, request=12)   # timeline = build_timeline(model_result)
    path.steps      # arrived, queued, instance (warm / cold / joined), cold-start phases,
                    # each cpu and io segment, first byte, response, background work, end
    path.story()    # the same as lines of words a student knows
    path.share      # lab.view.bill_share.Share: its part of each bill component
    path.to_dict()  # JSON-ready (the web app, ``lab moments``)

Only what the events say: the timeline's spans of this request, the cold-start phases of the
instance it started or joined, and the bill split of ``lab.view.bill_share``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lab.format import duration_ms, money, percent
from lab.view.bill_share import Share, request_share
from lab.view.legend import COLD_START_PHASES, LEGEND
from lab.view.timeline import QUEUE_LANE, Timeline
from models.run import ModelResult

STEP_WORDS: dict[str, str] = {
    "arrived": "arrived",
    "queued": "waited in the queue",
    "rejected": "rejected: no instance had room",
    "warm": "given to a ready (warm) instance",
    "cold": "started a new instance (cold start)",
    "joined": "waited for an instance already starting",
    "first_byte": "first byte out",
    "response": "response complete",
    "timed_out": "cut at max duration",
    "failed": "ended in an error",
    "background_done": "background work done",
}
"""Words for the path's instants; spans (phases, cpu, io, ...) use ``lab.view.legend``."""
_WORK = frozenset({"cpu", "io", "bg_cpu", "bg_io"})


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    """An instant (``STEP_WORDS``) or a span kind of ``lab.view.legend``."""
    start: float
    end: float
    instance: int | None = None
    detail: str = ""

    @property
    def words(self) -> str:
        if self.kind in STEP_WORDS:
            return STEP_WORDS[self.kind]
        look = LEGEND.get(self.kind)
        return look.label if look is not None else self.kind.replace("_", " ")

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class RequestPath:
    request: int
    model: str
    route: str
    instance: int
    """-1 when it never got one (rejected)."""
    start: str
    """warm, cold, joined or "" (rejected)."""
    outcome: str
    arrived: float
    ended: float
    steps: tuple[Step, ...]
    cpu_s: float
    share: Share | None
    bill_total: float
    """The whole model's bill, for ``share_of_bill``."""

    @property
    def latency(self) -> float:
        return self.ended - self.arrived

    @property
    def share_of_bill(self) -> float:
        if self.share is None or self.bill_total <= 0:
            return 0.0
        return self.share.total / self.bill_total

    def spans(self) -> list[Step]:
        """The steps that last (phases, queue, cpu, io, background), for highlighting."""
        return [s for s in self.steps if s.end > s.start]

    def story(self, max_work: int = 8) -> list[str]:
        """The path as lines: ``+0 ms  arrived``, ``+150 ms  provision 150 ms`` ...; its bill
        share comes second. A long run of CPU and I/O stretches (a streamed answer) shows its
        first and last few and, between them, how many more and their CPU and I/O in all."""
        lines = [f"request {self.request} on {self.route or 'its route'} ({self.model})"]
        if self.share is not None:
            lines.append(
                f"its bill {money(self.share.total)} "
                f"({percent(self.share_of_bill, 2)} of the {self.model} bill)"
            )
        work = [i for i, s in enumerate(self.steps) if s.kind in _WORK]
        hidden: set[int] = set()
        if len(work) > max_work:
            hidden = set(work[max_work // 2 + 1 : len(work) - max_work // 2 + 1])
        told_gap = False
        for i, step in enumerate(self.steps):
            if i in hidden:
                if not told_gap:
                    told_gap = True
                    gone = [self.steps[j] for j in sorted(hidden)]
                    cpu = sum(g.duration for g in gone if g.kind in ("cpu", "bg_cpu"))
                    wait = sum(g.duration for g in gone if g.kind in ("io", "bg_io"))
                    lines.append(
                        f"{'…':>10}  {len(gone)} more stretches: CPU "
                        f"{duration_ms(cpu * 1000)}, I/O wait {duration_ms(wait * 1000)}"
                    )
                continue
            since = step.start - self.arrived
            at = f"+{duration_ms(since * 1000)}" if since > 0 else "0 ms"
            text = step.words
            if step.end > step.start:
                text += f" {duration_ms(step.duration * 1000)}"
            if step.kind in ("warm", "cold", "joined") and step.instance is not None:
                text += f" (instance {step.instance})"
            if step.detail and step.kind in ("compile", "cache_load"):
                text += f" ({step.detail})"
            lines.append(f"{at:>10}  {text}")
        used = duration_ms(self.cpu_s * 1000)
        if self.outcome != "rejected":
            lines.append(f"CPU {used} of {duration_ms(max(self.latency, 0.0) * 1000)} in all")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "model": self.model,
            "route": self.route,
            "instance": None if self.instance < 0 else self.instance,
            "start": self.start or None,
            "outcome": self.outcome,
            "arrived": self.arrived,
            "ended": None if math.isinf(self.ended) else self.ended,
            "cpu_s": self.cpu_s,
            "steps": [
                {
                    "kind": s.kind,
                    "words": s.words,
                    "start": s.start,
                    "end": s.end,
                    "instance": s.instance,
                    "detail": s.detail or None,
                }
                for s in self.steps
            ],
            "bill_usd": None if self.share is None else self.share.total,
            "bill_components_usd": None if self.share is None else dict(self.share.components),
            "share_of_bill": self.share_of_bill,
            "story": self.story(),
        }


def follow(result: ModelResult, timeline: Timeline, request: int) -> RequestPath:
    """The path of ``request`` in one model's run. KeyError names an unknown request."""
    info = timeline.requests.get(request)
    if info is None:
        raise KeyError(f"no request {request} in this run (0..{len(timeline.requests) - 1})")
    end = info.ended if not math.isinf(info.ended) else timeline.end_time
    steps: list[Step] = [Step("arrived", info.arrived, info.arrived)]
    mine = [s for s in timeline.spans_between(info.arrived, end) if s.request == request]
    for span in mine:
        if span.lane == QUEUE_LANE:
            steps.append(Step("queued", span.start, span.end))
    if info.outcome == "rejected":
        steps.append(Step("rejected", info.ended, info.ended))
    if info.instance >= 0:
        iid = info.instance
        steps.append(Step(info.start or "warm", info.assigned, info.assigned, iid))
        inst = timeline.instances.get(iid)
        if info.start in ("cold", "joined") and inst is not None:
            for span in timeline.spans_between(inst.started, inst.ready):
                if (
                    span.lane == iid
                    and span.kind in COLD_START_PHASES
                    and span.request is None
                    and span.start < inst.ready
                ):
                    steps.append(Step(span.kind, span.start, span.end, iid, span.detail))
        for span in mine:
            if span.lane != QUEUE_LANE:
                steps.append(Step(span.kind, span.start, span.end, span.lane, span.detail))
        if not math.isinf(info.first_byte) and info.first_byte < info.responded:
            steps.append(Step("first_byte", info.first_byte, info.first_byte, iid))
        if info.outcome == "completed":
            steps.append(Step("response", info.responded, info.responded, iid))
            if info.ended > info.responded and not math.isinf(info.ended):
                steps.append(Step("background_done", info.ended, info.ended, iid))
        elif info.outcome in ("timed_out", "failed"):
            steps.append(Step(info.outcome, info.ended, info.ended, iid))
    order = {"arrived": 0, "queued": 1, "warm": 2, "cold": 2, "joined": 2}
    steps.sort(key=lambda s: (s.start, order.get(s.kind, 3), s.end))
    share = request_share(result, timeline, request) if result.platform is not None else None
    return RequestPath(
        request,
        result.model,
        info.route,
        info.instance,
        info.start,
        info.outcome,
        info.arrived,
        info.ended,
        tuple(steps),
        info.cpu_s,
        share,
        result.bill.total,
    )
