"""Realistic generated application bundles: one Python package per chunk, many modules.

A chunk of ``size_kb`` becomes a package ``lab_chunk_<name>`` of modules of about 8 kB each,
with what application and library code has: mostly functions with loops and branches and
classes with methods, an occasional enum or dataclass, a constant table. Like importing a real
library, importing a chunk executes little top-level code (defining functions and classes is
cheap), so compiling is most of an uncached import and what a bytecode cache saves is of the
order measured on this project's build machine (an 800 kB import: ~440 ms without a cache,
~120 ms with one; ``benchmarks/live_coldstart.py`` prints the table). Code generation at
import (``@dataclass``, ``enum.Enum``) is kept rare on purpose: a generator that put a frozen
dataclass every few hundred bytes spent more time running top-level code than compiling it.

Generation is deterministic (seeded by the chunk's name and size), so the same scenario always
produces byte-identical sources: a bytecode cache made by one run stays valid for the next one,
and a changed source really is a changed source.

Bundles are generated at run time into a cache directory rather than committed.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

BUNDLE_VERSION = 5
MODULE_BYTES = 8_000
CODEGEN_EVERY = 3
"""One module in this many defines a (frozen) dataclass, and one other an enum: code generation
at import that grows in step with the bundle (not by chance: calibration fits a straight line
through the import costs of a few sizes, and a small chunk must cost what the line says)."""
PACKAGE_PREFIX = "lab_chunk_"

_WORDS = tuple(
    [
        "order",
        "invoice",
        "cart",
        "user",
        "session",
        "token",
        "price",
        "stock",
        "item",
        "account",
        "ledger",
        "route",
        "page",
        "blog",
        "post",
        "comment",
        "tag",
        "media",
        "image",
        "thumb",
        "feed",
        "search",
        "index",
        "query",
        "cursor",
        "batch",
        "shard",
        "region",
        "quota",
        "limit",
        "policy",
        "audit",
        "event",
        "metric",
        "trace",
        "span",
        "cache",
        "entry",
        "record",
        "payload",
        "header",
    ]
)


def package_name(chunk: str) -> str:
    """The importable package of a chunk (names are sanitised to identifiers)."""
    return PACKAGE_PREFIX + re.sub(r"\W", "_", chunk).lower()


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "serverless-lab" / "live"


def bundle_dir(root: Path, chunks: Sequence[tuple[str, float]]) -> Path:
    key = repr((BUNDLE_VERSION, sorted((name, float(kb)) for name, kb in chunks)))
    return root / "bundles" / hashlib.sha256(key.encode()).hexdigest()[:16]


def ensure_bundle(root: Path, chunks: Sequence[tuple[str, float]]) -> Path:
    """The source dir holding every chunk's package, generated once (atomically)."""
    target = bundle_dir(root, chunks)
    if (target / "COMPLETE").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".gen-", dir=target.parent))
    try:
        for name, kb in chunks:
            write_chunk(tmp, name, kb)
        (tmp / "COMPLETE").write_text("ok\n")
        try:
            os.rename(tmp, target)
        except OSError:  # another process won the race: theirs is identical
            if not (target / "COMPLETE").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def write_chunk(src: Path, chunk: str, size_kb: float) -> list[Path]:
    """Write one chunk's package under ``src``; returns its files."""
    pkg = src / package_name(chunk)
    pkg.mkdir(parents=True, exist_ok=True)
    files = []
    total, index, target = 0, 0, int(size_kb * 1024)
    rng = random.Random(f"{chunk}:{size_kb}:{BUNDLE_VERSION}")
    names = []
    while total < target - 600 or index == 0:
        text = _module(rng, chunk, index, min(MODULE_BYTES, max(target - total, 1500)))
        path = pkg / f"mod_{index:03d}.py"
        path.write_text(text, encoding="utf-8")
        files.append(path)
        names.append(path.stem)
        total += len(text.encode())
        index += 1
    init = _package_init(chunk, names)
    (pkg / "__init__.py").write_text(init, encoding="utf-8")
    files.append(pkg / "__init__.py")
    return files


def _package_init(chunk: str, names: list[str]) -> str:
    imports = "\n".join(f"from . import {n}" for n in names)
    listing = ", ".join(names)
    return f'''"""Chunk {chunk!r}: {len(names)} modules, imported as a whole on first use."""

from __future__ import annotations

{imports}

MODULES = ({listing},)


def render(n: int) -> int:
    """A little real work through the chunk's code (what a handler calls)."""
    total = 0
    for offset in range(3):
        module = MODULES[(n + offset) % len(MODULES)]
        total += module.entry(n + offset)
    return total
'''


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS)


def _name(rng: random.Random, kind: str) -> str:
    a, b = _word(rng), _word(rng)
    if kind == "class":
        return a.capitalize() + b.capitalize() + str(rng.randint(10, 999))
    return f"{a}_{b}_{rng.randint(10, 999)}"


def _function(rng: random.Random, name: str) -> str:
    m, r, k = rng.randint(3, 11), rng.randint(0, 2), rng.randint(2, 9)
    threshold, n = rng.randint(20, 400), rng.randint(3, 17)
    tag, prefix = _word(rng), _word(rng)
    shape = rng.randrange(3)
    if shape == 0:
        return f'''

def {name}(items: list[int], factor: int = {k}) -> dict[str, int | str]:
    """Fold {tag} values into totals, bucketing the rest by {prefix}."""
    total = 0
    seen: dict[str, int] = {{}}
    for position, value in enumerate(items):
        if value % {m} == {r}:
            total += value * factor
        elif value > {threshold}:
            total -= position
        else:
            key = f"{prefix}-{{value % {n}}}"
            seen[key] = seen.get(key, 0) + 1
    return {{"total": total, "distinct": len(seen), "tag": {tag!r}}}
'''
    if shape == 1:
        return f'''

def {name}(items: list[int], factor: int = {k}) -> dict[str, int | str]:
    """Window over {tag} values; keeps the best {prefix} run."""
    best, current, total = 0, 0, 0
    window = [value * factor for value in items if value % {m} != {r}]
    for value in window:
        current = current + value if value < {threshold} else 0
        best = max(best, current)
        total += value // {n} if value > {n} else value
    return {{"total": total + best, "distinct": len(set(window)), "tag": {tag!r}}}
'''
    return f'''

def {name}(items: list[int], factor: int = {k}) -> dict[str, int | str]:
    """Normalise {tag} entries and count {prefix} matches."""
    labels = [f"{prefix}:{{value % {n}}}" for value in items]
    matches = sum(1 for label in labels if label.endswith(str({r})))
    total = sum(value * factor for value in items if value <= {threshold}) + matches
    ordered = sorted(set(labels))
    return {{"total": total, "distinct": len(ordered), "tag": {tag!r}}}
'''


def _dataclass(rng: random.Random, name: str) -> str:
    fields = []
    for i in range(rng.randint(3, 6)):
        kind = rng.choice(("int", "str", "float", "bool"))
        default = {"int": rng.randint(0, 99), "str": repr(_word(rng)), "float": 1.5, "bool": False}
        fields.append(f"    {_word(rng)}_{i}: {kind} = {default[kind]}")
    body = "\n".join(fields)
    return f'''

@dataclasses.dataclass(frozen=True)
class {name}:
    """A {_word(rng)} record as the API returns it."""

{body}

    def weight(self) -> int:
        return sum(len(str(value)) for value in dataclasses.astuple(self))
'''


def _method(rng: random.Random, i: int, functions: list[str]) -> str:
    fn = rng.choice(functions)
    step, modulo, limit = rng.randint(2, 7), rng.randint(50, 500), rng.randint(100, 900)
    verb, noun = _word(rng), _word(rng)
    if rng.random() < 0.5:
        return f'''
    def {verb}_{i}(self, n: int) -> int:
        """Call through to {fn} the way a {noun} handler would."""
        items = [(n * {step} + j) % {modulo} for j in range(self.width)]
        result = {fn}(items, self.factor)
        self.calls += 1
        return int(result["total"]) + self.calls
'''
    return f'''
    def {verb}_{i}(self, n: int, retries: int = 2) -> int:
        """Look the {noun} up, retrying through {fn} when the answer is out of range."""
        key = f"{{PREFIX}}:{noun}:{{n % {modulo}}}"
        for attempt in range(retries + 1):
            items = [(n + attempt * {step} + j) % {modulo} for j in range(self.width)]
            total = int({fn}(items, self.factor)["total"])
            if -{limit} < total < {limit} * self.width:
                self.seen[key] = total
                return total
            self.calls += 1
        return self.seen.get(key, 0)
'''


def _service(rng: random.Random, name: str, functions: list[str]) -> str:
    methods = "".join(_method(rng, i, functions) for i in range(rng.randint(3, 6)))
    width, factor = rng.randint(8, 24), rng.randint(1, 5)
    return f'''

class {name}:
    """Service object for {_word(rng)} {_word(rng)}s."""

    def __init__(self, width: int = {width}, factor: int = {factor}) -> None:
        self.width = width
        self.factor = factor
        self.calls = 0
        self.seen: dict[str, int] = {{}}

    @property
    def load(self) -> float:
        return self.calls / max(1, self.width)
{methods}'''


def _error(rng: random.Random, name: str) -> str:
    return f'''

class {name}Error(Exception):
    """Raised when a {_word(rng)} cannot be {_word(rng)}ed."""

    def __init__(self, key: str, code: int = {rng.randint(400, 599)}) -> None:
        super().__init__(f"{{key}}: {{code}}")
        self.key = key
        self.code = code
'''


def _module(rng: random.Random, chunk: str, index: int, budget: int) -> str:
    topic = f"{_word(rng)} and {_word(rng)}"
    parts = [
        f'"""Generated module {index} of chunk {chunk!r}: {topic} logic."""\n',
        "from __future__ import annotations\n",
        "import dataclasses",
        "import enum\n",
        f"LIMIT = {rng.randint(16, 4096)}",
        f"PREFIX = {_word(rng)!r}\n",
    ]
    if index % CODEGEN_EVERY == 2:
        status = _name(rng, "class")
        members = "\n".join(
            f"    {w.upper()}_{i} = {i}" for i, w in enumerate(rng.sample(_WORDS, 4))
        )
        parts.append(f"\n\nclass {status}(enum.Enum):\n{members}\n")
    parts.append(_error(rng, _name(rng, "class")))
    record = _dataclass(rng, _name(rng, "class")) if index % CODEGEN_EVERY == 1 else ""
    functions: list[str] = []
    size = sum(len(p) for p in parts) + len(record)
    while size < budget - 900 or not functions:  # entry() calls at least one
        if rng.random() < 0.55 or not functions:
            name = _name(rng, "function")
            text = _function(rng, name)
            functions.append(name)
        else:
            text = _service(rng, _name(rng, "class"), functions)
        parts.append(text)
        size += len(text)
    if record:  # somewhere among the definitions
        parts.insert(rng.randint(len(parts) // 2, len(parts)), record)
    table = ", ".join(f"{_word(rng)!r}: {rng.randint(1, 9999)}" for _ in range(8))
    calls = " + ".join(
        f'int({fn}(data)["total"])' for fn in rng.sample(functions, min(2, len(functions)))
    )
    parts.append(f'''

TABLE = {{{table}}}


def entry(n: int) -> int:
    """The module's public entry point."""
    data = [(n * 7 + j) % 97 for j in range(24)]
    return {calls}
''')
    return "\n".join(parts)
