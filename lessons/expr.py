"""Claim and placeholder expressions: a small, safe language over run results.

A lesson writes expressions such as::

    ratio(ai.fluid.bill_usd.total, ai.traditional.bill_usd.total) <= 0.15
    approx(app250.nocache.ttfb_ms.mean, 873, rel=0.10)
    saving(app800.cache.ttfb_ms.mean, app800.nocache.ttfb_ms.mean) > 0.2 and x < 3

They are parsed with Python's own parser (``ast.parse(mode="eval")``) and then *walked*, never
``eval``-ed: only numbers, strings, names with dotted paths (``run.model.metric``), ``[i]``
indexes, arithmetic, comparisons, ``and``/``or``/``not``, a conditional and calls to the
functions in ``FUNCTIONS`` are allowed. Anything else (attribute tricks, lambdas, comprehensions,
``__import__``) is refused with a message naming the construct.

``evaluate_traced`` also returns the numbers behind the answer, so ``lab lesson check`` can
print *why* a claim passed or failed, e.g. ``0.0998 <= 0.15``.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_LENGTH = 600


class ExprError(ValueError):
    """An expression that cannot be parsed or evaluated; the message is for the lesson author."""


class UnknownName(ExprError):
    """A dotted name that does not resolve (an unknown run, model or metric)."""


Resolver = Callable[[tuple[str | int, ...]], Any]
"""Looks up a dotted path such as ``("ai", "fluid", "bill_usd", "total")``."""


def _ratio(a: float, b: float) -> float:
    if b == 0:
        raise ExprError("ratio(a, b): b is zero")
    return a / b


def _saving(new: float, old: float) -> float:
    """How much lower ``new`` is than ``old``, as a fraction of ``old`` (0.9 = 90 % lower)."""
    return 1.0 - _ratio(new, old)


def _change(new: float, old: float) -> float:
    """Relative change from ``old`` to ``new`` (-0.12 = 12 % lower)."""
    return _ratio(new, old) - 1.0


def _approx(
    value: float, target: float, rel: float | None = None, abs: float | None = None
) -> bool:
    if rel is None and abs is None:
        rel = 0.10
    limit = max(rel * math.fabs(target) if rel is not None else 0.0, abs or 0.0)
    return math.fabs(value - target) <= limit


def _between(value: float, low: float, high: float) -> bool:
    return low <= value <= high


def _increasing(*values: float) -> bool:
    return all(a < b for a, b in itertools.pairwise(values))


def _decreasing(*values: float) -> bool:
    return all(a > b for a, b in itertools.pairwise(values))


def _uniform_above(x: float, low: float, high: float) -> float:
    """The share of a uniform distribution on [low, high] above ``x`` (0 to 1)."""
    if high <= low:
        return 1.0 if x < low else 0.0
    return min(1.0, max(0.0, (high - x) / (high - low)))


def _mean(*values: float) -> float:
    if not values:
        raise ExprError("mean() of nothing")
    return sum(values) / len(values)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ratio": _ratio,
    "saving": _saving,
    "change": _change,
    "approx": _approx,
    "between": _between,
    "increasing": _increasing,
    "decreasing": _decreasing,
    "mean": _mean,
    "uniform_above": _uniform_above,
    "min": min,
    "max": max,
    "abs": math.fabs,
    "round": round,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
}
"""Every function an expression may call."""

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
}


_BOOLS = {"true": True, "false": False}
"""TOML spelling of booleans (Python's True and False are constants already)."""


def parse(text: str) -> ast.expr:
    """Parse and check an expression; ExprError says what is wrong and where."""
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"not a valid expression at column {exc.offset}: {exc.msg}") from None
    _check(tree.body)
    return tree.body


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool):
            raise ExprError(f"constant {node.value!r} is not allowed")
        return
    if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
        dotted_path(node)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExprError(f"unknown function {name!r}; known: {', '.join(sorted(FUNCTIONS))}")
        for arg in node.args:
            _check(arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise ExprError("**keyword arguments are not allowed")
            _check(kw.value)
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.left)
        _check(node.right)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd | ast.Not):
            raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand)
        return
    if isinstance(node, ast.Compare):
        if any(type(op) not in _COMPARE for op in node.ops):
            raise ExprError("only <, <=, >, >=, == and != comparisons are allowed")
        for child in (node.left, *node.comparators):
            _check(child)
        return
    if isinstance(node, ast.BoolOp):
        for child in node.values:
            _check(child)
        return
    if isinstance(node, ast.IfExp):
        for child in (node.test, node.body, node.orelse):
            _check(child)
        return
    raise ExprError(f"{type(node).__name__} is not allowed in a lesson expression")


def dotted_path(node: ast.AST) -> tuple[str | int, ...]:
    """``ai.fluid.latency_ms.p99`` or ``run.scenario.function.bundle[1]`` as a tuple."""
    if isinstance(node, ast.Name):
        return (node.id,)
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise ExprError(f"names starting with '_' are not allowed: {node.attr!r}")
        return (*dotted_path(node.value), node.attr)
    if isinstance(node, ast.Subscript):
        index = node.slice
        if isinstance(index, ast.Constant) and isinstance(index.value, int | str):
            return (*dotted_path(node.value), index.value)
        raise ExprError("only constant indexes such as [0] or ['/home'] are allowed")
    raise ExprError(f"{type(node).__name__} cannot start a name")


def names(node: ast.AST) -> list[tuple[str | int, ...]]:
    """Every dotted name an expression refers to (for static checks)."""
    found: list[tuple[str | int, ...]] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Name) and n.id in _BOOLS:
            return
        if isinstance(n, ast.Name | ast.Attribute | ast.Subscript):
            found.append(dotted_path(n))
            return
        if isinstance(n, ast.Call):
            for child in (*n.args, *(kw.value for kw in n.keywords)):
                visit(child)
            return
        for sub in ast.iter_child_nodes(n):
            visit(sub)

    visit(node)
    return found


@dataclass
class Traced:
    """A value and the numbers that explain it (``ratio(...) = 0.0998 <= 0.15``)."""

    value: Any
    parts: list[str] = field(default_factory=list)


def show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value == 0 or 1e-3 <= math.fabs(value) < 1e6:
            return f"{value:.4g}"
        return f"{value:.3e}"
    return str(value)


class Evaluator:
    """Walks a checked expression; names are looked up through ``resolve``."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    def value(self, node: ast.AST) -> Any:
        return self.traced(node).value

    def traced(self, node: ast.AST) -> Traced:
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "approx":
                return self._approx(node)
            if node.func.id in {"between", "increasing", "decreasing"}:
                args = [self.value(a) for a in node.args]
                result = self._call(node, args)
                shown = ", ".join(show(a) for a in args)
                return Traced(result, [f"{node.func.id}({shown})"])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.traced(node.operand)
            return Traced(not inner.value, ["not " + p for p in inner.parts])
        return Traced(self._eval(node))

    def _compare(self, node: ast.Compare) -> Traced:
        left = self._eval(node.left)
        parts = [show(left)]
        ok = True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self._eval(right_node)
            symbol, fn = _COMPARE[type(op)]
            parts.append(f"{symbol} {show(right)}")
            ok = ok and bool(fn(left, right))
            left = right
        return Traced(ok, [" ".join(parts)])

    def _boolop(self, node: ast.BoolOp) -> Traced:
        results = [self.traced(v) for v in node.values]
        values = [r.value for r in results]
        value = all(values) if isinstance(node.op, ast.And) else any(values)
        return Traced(value, [p for r in results for p in r.parts])

    def _approx(self, node: ast.Call) -> Traced:
        args = [self.value(a) for a in node.args]
        kwargs = {kw.arg: self.value(kw.value) for kw in node.keywords if kw.arg}
        result = self._call(node, args, kwargs)
        value, target = args[0], args[1]
        off = (value - target) / target if target else math.inf
        limit = kwargs.get("rel", 0.10 if "abs" not in kwargs else None)
        limit_text = f"limit {show(limit * 100)}%" if limit is not None else ""
        if "abs" in kwargs:
            limit_text = (limit_text + " or " if limit_text else "limit ") + show(kwargs["abs"])
        return Traced(
            result, [f"{show(value)} vs {show(target)} ({off * 100:+.1f}%, {limit_text})"]
        )

    def _call(
        self, node: ast.Call, args: Sequence[Any], kwargs: dict[str, Any] | None = None
    ) -> Any:
        assert isinstance(node.func, ast.Name)
        fn = FUNCTIONS[node.func.id]
        try:
            return fn(*args, **(kwargs or {}))
        except ExprError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise ExprError(f"{node.func.id}(...): {exc}") from None

    def _eval(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in _BOOLS:
            return _BOOLS[node.id]
        if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
            return self.resolve(dotted_path(node))
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "approx":
                return self._approx(node).value
            args = [self._eval(a) for a in node.args]
            kwargs = {kw.arg: self._eval(kw.value) for kw in node.keywords if kw.arg}
            return self._call(node, args, kwargs)
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left), self._eval(node.right)
            try:
                return _BINOPS[type(node.op)](left, right)
            except (TypeError, ZeroDivisionError, OverflowError) as exc:
                raise ExprError(f"{ast.unparse(node)}: {exc}") from None
        if isinstance(node, ast.UnaryOp):
            operand = self._eval(node.operand)
            if isinstance(node.op, ast.Not):
                return not operand
            return -operand if isinstance(node.op, ast.USub) else +operand
        if isinstance(node, ast.Compare | ast.BoolOp):
            return self.traced(node).value
        if isinstance(node, ast.IfExp):
            return self._eval(node.body) if self._eval(node.test) else self._eval(node.orelse)
        raise ExprError(f"{type(node).__name__} is not allowed")  # pragma: no cover - checked


def evaluate(text: str, resolve: Resolver) -> Any:
    return Evaluator(resolve).value(parse(text))


def evaluate_traced(text: str, resolve: Resolver) -> Traced:
    return Evaluator(resolve).traced(parse(text))
