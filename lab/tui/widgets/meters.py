"""The running meters under a lane panel: the bill so far and what drives it.

Six lines, each in the longest of three wordings that fits the panel (``LONG``, ``SHORT``,
``COMPACT``). The wording is picked for the panel's width and the run's widest numbers (its
final counts, money and durations at their widest), not the numbers of the moment, so it stays
put while the run plays; the shorter ones use the legend's marks (``!`` timed out,
``x`` rejected, ``*`` cold starts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from lab.format import count, duration_ms, money, percent
from lab.tui.widgets.line_static import LineStatic
from lab.view import OUTCOMES, Meters
from lab.view.legend import bill_label

LONG, SHORT, COMPACT = 0, 1, 2
ABBREVIATED: dict[int, dict[str, str]] = {
    SHORT: {"active_cpu": "CPU", "provisioned_memory": "memory", "invocations": "calls"},
    COMPACT: {
        "wall_clock": "wall",
        "active_cpu": "CPU",
        "provisioned_memory": "mem",
        "invocations": "req",
    },
}
"""Bill components in the shorter wordings, for narrow panels; the long wording, and any
component not shortened here, is the name every front end uses (``lab.view.legend``)."""
NOTHING = "–"
"""Shown for p50/p99 until a request has completed."""
MONEY = "bold #f0c674"
COLD = "bold #e15759"
_WIDEST = {"money": 9, "duration": 7, "percent": 4, "mean": 4}
"""Widest forms: ``$0.000390``, ``0.14 ms``/``4.2 min``, ``100%``, ``12.5``."""


def money_short(usd: float) -> str:
    """Like ``lab.format.money``, to three significant figures under $1: ``$0.00159``."""
    if usd == 0 or abs(usd) >= 1:
        return money(usd)
    digits = 2 - math.floor(math.log10(abs(usd)))
    return f"${usd:.{digits}f}"


class _Numbers:
    """Formats numbers, padded to their widest form when measuring a wording."""

    def __init__(self, widest: bool) -> None:
        self.widest = widest

    def _pad(self, text: str, kind: str) -> str:
        return text.ljust(_WIDEST[kind]) if self.widest else text

    def money(self, usd: float, short: bool = False) -> str:
        return self._pad(money_short(usd) if short else money(usd), "money")

    def duration(self, ms: float, tight: bool = False) -> str:
        text = self._pad(duration_ms(ms), "duration")
        return text.replace(" ", "") if tight else text

    def percent(self, fraction: float) -> str:
        return self._pad(percent(fraction, 0), "percent")

    def mean(self, value: float) -> str:
        return self._pad(f"{value:.1f}", "mean")


Line = list[tuple[str, str]]
"""``(text, style)`` parts of one line (every character here is one cell wide)."""


def _bill(m: Meters, run_total: float | None, level: int, n: _Numbers) -> Line:
    line = [("bill ", "bold")]
    if level == COMPACT:  # bill so far / whole run, to three figures
        line.append((n.money(m.bill_total, short=True), MONEY))
        if run_total is not None:
            line += [("/", "dim"), (n.money(run_total, short=True), "#f0c674")]
        return line
    line.append((n.money(m.bill_total), MONEY))
    if run_total is not None:
        line.append((" · whole run " if level == LONG else " · run ", "dim"))
        line.append((n.money(run_total), "#f0c674"))
    return line


def _breakdown(m: Meters, level: int) -> Line:
    total = m.bill_total
    parts = [
        f"{component_label(k, level)} {percent(v / total, 0)}"  # shares: at most one is 100%
        for k, v in m.bill.items()
        if total and not (level == COMPACT and round(v / total * 100) == 0)
    ]
    if not parts:
        return [(" nothing billed yet", "dim")]
    if level == COMPACT:
        return [(" ".join(parts), "dim")]
    return [(" = " + " + ".join(parts), "dim")]


def component_label(component: str, level: int = LONG) -> str:
    """A bill component's name in the wording of ``level``."""
    return ABBREVIATED.get(level, {}).get(component) or bill_label(component)


def _outcomes(m: Meters, level: int) -> Line:
    line = [("done ", ""), (count(m.completed), "bold")]
    sep = " " if level == COMPACT else " · "
    for kind, value in (("timed_out", m.timed_out), ("rejected", m.rejected)):
        look = OUTCOMES[kind]
        if level == LONG:
            line.append((f" · {look.label} ", ""))
        else:
            line += [(sep, ""), (look.glyph, f"bold {look.color}")]
        line.append((count(value), "bold"))
    if m.failed:
        line += [(f"{sep}failed ", ""), (count(m.failed), "bold")]
    return line


def _latency(m: Meters, level: int, n: _Numbers) -> Line:
    label = ("cold starts ", "cold ", OUTCOMES["cold"].glyph)[level]
    line = [(label, COLD if level == COMPACT else ""), (count(m.cold_starts), COLD)]
    for name, value in (("p50", m.latency_p50_ms), ("p99", m.latency_p99_ms)):
        line.append((f" {name} " if level == COMPACT else f" · {name} ", ""))
        shown = n.duration(value, tight=level == COMPACT) if m.has_latency or n.widest else NOTHING
        line.append((shown, "bold"))
    return line


def _instances(m: Meters, level: int) -> Line:
    return [
        ("instances " if level != COMPACT else "inst ", ""),
        (count(m.instances_alive), "bold"),
        (f" up / {count(m.instances_started)} started", ""),
    ]


def _flight(m: Meters, level: int, n: _Numbers) -> Line:
    line = [("req/instance " if level == LONG else "req/inst ", "")]
    line.append((n.mean(m.concurrency_mean), "bold"))
    if level != COMPACT:
        line.append((f" (max {m.concurrency_max})", ""))
    line.append((" · CPU eff " if level != COMPACT else " · eff ", ""))
    line.append((n.percent(m.cpu_efficiency), "bold"))
    return line


LINES = 6


def meters_lines(
    m: Meters,
    run_total: float | None,
    levels: int | Sequence[int] = LONG,
    widest: bool = False,
) -> list[Line]:
    """The six lines, each at its wording level (one for all, or one per line); ``widest``
    pads numbers to their widest form."""
    lv = [levels] * LINES if isinstance(levels, int) else list(levels)
    n = _Numbers(widest)
    return [
        _bill(m, run_total, lv[0], n),
        _breakdown(m, lv[1]),
        _outcomes(m, lv[2]),
        _latency(m, lv[3], n),
        _instances(m, lv[4]),
        _flight(m, lv[5], n),
    ]


def _width(line: Line) -> int:
    return sum(len(part) for part, _ in line)


def fitting_levels(widest: Meters, run_total: float | None, width: int | None) -> list[int]:
    """Each line's longest wording that fits ``width`` with the run's widest numbers."""
    if width is None:
        return [LONG] * LINES
    widest = replace(widest, instances_alive=max(widest.instances_alive, widest.instances_started))
    by_level = [meters_lines(widest, run_total, level, widest=True) for level in (LONG, SHORT)]
    return [
        next((lv for lv, lines in enumerate(by_level) if _width(lines[i]) <= width), COMPACT)
        for i in range(LINES)
    ]


def _shown_values(m: Meters | None) -> tuple[object, ...]:
    """Everything the meters show of ``m`` (not its instant)."""
    if m is None:
        return ()
    return (
        m.completed,
        m.timed_out,
        m.rejected,
        m.failed,
        m.cold_starts,
        m.instances_alive,
        m.instances_started,
        m.latency_p50_ms,
        m.latency_p99_ms,
        m.concurrency_mean,
        m.concurrency_max,
        m.cpu_efficiency,
        *m.bill.items(),
    )


class MetersView(LineStatic):
    """Meters at the clock's time, for one platform model (``text``: what is on show)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.auto_links = False  # no links here: skip restyling every segment on each frame
        self._widest: Meters | None = None
        self._shown: tuple[Meters | None, float | None] = (None, None)
        self._levels: tuple[int, list[int]] | None = None
        """(width, each line's wording) once picked for that width."""
        self._key: tuple[object, ...] | None = None

    def set_run(self, widest: Meters | None) -> None:
        """``widest``: the meters at the run's end, whose numbers are the widest to fit."""
        self._widest = widest
        self._levels = None
        self._key = None

    def show(self, meters: Meters | None, run_total: float | None) -> None:
        self._shown = (meters, run_total)
        width = self.content_size.width or None
        if self._levels is None or self._levels[0] != (width or 0):
            sizing = self._widest or meters or Meters(t=0.0)
            self._levels = (width or 0, fitting_levels(sizing, run_total, width))
        key = (*self._levels[1], run_total, _shown_values(meters))
        if key != self._key:  # meters move with events, not with every frame
            self._key = key
            self.set_lines(meters_lines(meters or Meters(t=0.0), run_total, self._levels[1]))

    def on_resize(self) -> None:
        self.show(*self._shown)
