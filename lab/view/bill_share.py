"""Each request's share of the bill, from its own usage, so that shares add up to the bill.

The platform bills totals (``models.metrics``); to show "what did *this* request cost" a view
splits those totals back over requests, using the same billed-time rule as the collector:

* wall-clock: the request's own billed duration, from its assignment (or, on a starting
  instance, from the first billed cold-start phase) until its last work ends;
* active CPU: the CPU its own segments used, plus the billed cold-start CPU of the instance
  it started (``start == "cold"``) or of a chunk it loaded lazily;
* provisioned memory: at each moment, the instance's memory is shared equally by the requests
  in flight on it (so two overlapping requests pay half each while they overlap);
* invocations: one each.

Cold-start CPU of an instance no request started (pre-warm, min instances) belongs to the
instance alone, so ``instance_share`` can exceed the sum of its requests' shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.view.timeline import Timeline
from models.billing import bill
from models.events import PhaseEnded, PhaseStarted
from models.metrics import Usage
from models.run import ModelResult


@dataclass(frozen=True, slots=True)
class Share:
    components: dict[str, float]
    usage: Usage

    @property
    def total(self) -> float:
        return sum(self.components.values())


def _billed_from(result: ModelResult, instance: int, first_assigned: float) -> tuple[float, float]:
    """When billing starts on the instance, and the billed cold-start CPU of its phases that
    no request loaded (``(billed_from, init_cpu)``)."""
    platform = result.platform
    assert platform is not None
    billed = set(platform.billed_phases)
    start = -1.0
    init_cpu = 0.0
    ready = None
    for e in result.events or ():
        if isinstance(e, PhaseStarted) and e.instance == instance:
            if start < 0 and e.phase in billed:
                start = e.t
        elif isinstance(e, PhaseEnded) and e.instance == instance:
            if e.phase in billed and e.request is None:
                init_cpu += e.cpu_s
        elif e.kind == "instance_ready" and e.instance == instance:  # type: ignore[attr-defined]
            ready = e.t
    if start < 0:
        start = min(first_assigned, ready) if ready is not None else first_assigned
    return start, init_cpu


def _lazy_cpu(result: ModelResult, instance: int) -> dict[int, float]:
    platform = result.platform
    assert platform is not None
    out: dict[int, float] = {}
    for e in result.events or ():
        if (
            isinstance(e, PhaseEnded)
            and e.instance == instance
            and e.request is not None
            and e.phase in platform.billed_phases
        ):
            out[e.request] = out.get(e.request, 0.0) + e.cpu_s
    return out


def instance_shares(
    result: ModelResult, timeline: Timeline, instance: int
) -> tuple[dict[int, Share], Share]:
    """Every request's share on ``instance``, and the instance's total share."""
    platform = result.platform
    if platform is None or result.events is None:
        raise ValueError("bill shares need a run that kept its events")
    memory_gb = result.memory_mb / 1024
    reqs = [r for r in timeline.requests.values() if r.instance == instance]
    if not reqs:
        empty = Usage(memory_gb, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return {}, Share(bill(empty, platform.prices).components, empty)
    billed_from, init_cpu = _billed_from(result, instance, min(r.assigned for r in reqs))
    lazy = _lazy_cpu(result, instance)
    spans = {r.id: (max(r.assigned, billed_from), r.ended) for r in reqs}
    provisioned = _split_overlaps(spans)
    cold = next((r.id for r in reqs if r.start == "cold"), None)
    shares: dict[int, Share] = {}
    for r in reqs:
        start, end = spans[r.id]
        wall = max(0.0, end - start) if end != float("inf") else 0.0
        extra = lazy.get(r.id, 0.0) + (init_cpu if r.id == cold else 0.0)
        usage = Usage(
            memory_gb=memory_gb,
            invocations=1 if r.outcome in ("completed", "timed_out", "failed") else 0,
            wall_clock_s=wall,
            active_cpu_s=r.cpu_s + extra,
            request_cpu_s=r.cpu_s,
            init_cpu_s=extra,
            provisioned_s=provisioned.get(r.id, 0.0),
            idle_s=0.0,
        )
        shares[r.id] = Share(bill(usage, platform.prices).components, usage)
    unowned = 0.0 if cold is not None else init_cpu
    total_usage = Usage(
        memory_gb=memory_gb,
        invocations=sum(s.usage.invocations for s in shares.values()),
        wall_clock_s=sum(s.usage.wall_clock_s for s in shares.values()),
        active_cpu_s=sum(s.usage.active_cpu_s for s in shares.values()) + unowned,
        request_cpu_s=sum(s.usage.request_cpu_s for s in shares.values()),
        init_cpu_s=sum(s.usage.init_cpu_s for s in shares.values()) + unowned,
        provisioned_s=sum(s.usage.provisioned_s for s in shares.values()),
        idle_s=0.0,
    )
    return shares, Share(bill(total_usage, platform.prices).components, total_usage)


def request_share(result: ModelResult, timeline: Timeline, request: int) -> Share | None:
    """One request's share (None for a rejected request, which is never billed)."""
    info = timeline.requests.get(request)
    if info is None or info.instance < 0:
        return None
    shares, _ = instance_shares(result, timeline, info.instance)
    return shares.get(request)


def _split_overlaps(spans: dict[int, tuple[float, float]]) -> dict[int, float]:
    """Time each interval holds, with every moment split equally among the intervals open."""
    edges: list[tuple[float, int, int]] = []
    for rid, (start, end) in spans.items():
        if end > start and end != float("inf"):
            edges.append((start, 1, rid))
            edges.append((end, -1, rid))
    edges.sort(key=lambda e: (e[0], e[1]))
    open_: set[int] = set()
    out: dict[int, float] = {}
    last = 0.0
    for t, delta, rid in edges:
        if open_ and t > last:
            each = (t - last) / len(open_)
            for other in open_:
                out[other] = out.get(other, 0.0) + each
        last = t
        if delta > 0:
            open_.add(rid)
        else:
            open_.discard(rid)
    return out
