"""Lesson text with numbers from the run: ``{expression|filter}`` placeholders.

``The fluid bill is {ai.fluid.bill_usd.total|money}, {saving(ai.fluid.bill_usd.total,
ai.traditional.bill_usd.total)|pct0} lower.`` Each placeholder is a lesson expression
(``lessons.expr``) and an optional filter that writes the number for people. Write ``{{`` and
``}}`` for literal braces.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lessons.expr import ExprError, Resolver, evaluate, parse
from lessons.format import duration_ms, money, seconds


def _duration(seconds: float) -> str:
    """A duration in seconds as a person says it: ``30 s``, ``90 s``, ``12 minutes``, ``1 hour``."""
    for size, one, many in ((3600, "hour", "hours"), (60, "minute", "minutes")):
        if seconds >= 2 * size or (size == 3600 and seconds >= size):
            text = f"{round(seconds / size, 1):g}"
            return f"{text} {one if text == '1' else many}"
    return f"{seconds:.3g} s"


def _num(value: float, digits: int = 3) -> str:
    if value == 0 or not math.isfinite(value):
        return str(value)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def _signed_pct(fraction: float) -> str:
    return f"{fraction * 100:+.0f}%"


FILTERS: dict[str, Callable[[Any], str]] = {
    "money": money,
    "ms": duration_ms,
    "s": seconds,
    "dur": _duration,
    "ms0": lambda ms: f"{ms:,.0f} ms",
    "pct": lambda fraction: f"{fraction * 100:.1f}%",
    "pct0": lambda fraction: f"{fraction * 100:.0f}%",
    "spct": _signed_pct,
    "int": lambda value: f"{round(value):,}",
    "num": _num,
    "num2": lambda value: _num(value, 2),
    "dec0": lambda value: f"{value:,.0f}",
    "dec1": lambda value: f"{value:,.1f}",
    "dec2": lambda value: f"{value:,.2f}",
    "dec3": lambda value: f"{value:,.3f}",
    "x": lambda value: f"{value:.1f}×",
    "hours": lambda hours: f"{hours:,.2f} h",
    "kb": lambda kb: f"{kb:,.0f} kB",
    "str": str,
}
"""How a placeholder's number is written; the default is ``num`` for numbers."""

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")


@dataclass(frozen=True)
class Placeholder:
    expression: str
    filter: str | None


def placeholders(text: str) -> list[Placeholder]:
    """Every ``{...}`` of a text, checked (ExprError for a bad one)."""
    found = []
    for match in _PLACEHOLDER.finditer(text):
        body = match.group(1)
        if body is None:
            continue
        expression, _, filter_name = body.partition("|")
        filter_name = filter_name.strip()
        if filter_name and filter_name not in FILTERS:
            raise ExprError(
                f"placeholder {{{body}}}: unknown filter {filter_name!r}; "
                f"known: {', '.join(FILTERS)}"
            )
        try:
            parse(expression)
        except ExprError as exc:
            raise ExprError(f"placeholder {{{body}}}: {exc}") from None
        found.append(Placeholder(expression.strip(), filter_name or None))
    unmatched = _PLACEHOLDER.sub("", text)
    if "{" in unmatched or "}" in unmatched:
        raise ExprError("unbalanced '{' or '}' (write {{ or }} for a literal brace)")
    return found


def format_value(value: Any, filter_name: str | None) -> str:
    if filter_name is not None:
        try:
            return FILTERS[filter_name](value)
        except (TypeError, ValueError) as exc:
            raise ExprError(f"filter {filter_name!r} cannot write {value!r}: {exc}") from None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(text: str, resolve: Resolver) -> str:
    """The text with every placeholder replaced by its value."""

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        expression, _, filter_name = match.group(1).partition("|")
        value = evaluate(expression, resolve)
        return format_value(value, filter_name.strip() or None)

    return _PLACEHOLDER.sub(replace, text)


def without_placeholders(text: str, mark: str = "…") -> str:
    """The text with every placeholder replaced by ``mark`` (literal braces kept as braces)."""

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        return {"{{": "{", "}}": "}"}.get(whole, mark)

    return _PLACEHOLDER.sub(replace, text)
