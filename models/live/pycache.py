"""The real bytecode cache: checked-hash ``.pyc`` files that outlive instances.

Python's ``.pyc`` is our analogue of V8's code cache. Bundle modules are imported through
``CachedSourceFinder``, whose loader, for every module:

1. reads the source and hashes it (``importlib.util.source_hash``);
2. on a cache read, checks the ``.pyc`` header (magic, *checked-hash* flags, source hash) and
   unmarshals it; anything wrong (stale, truncated, foreign) is a miss, never a crash;
3. on a miss, compiles the source and publishes a checked-hash ``.pyc`` atomically (write a
   temporary file, then ``os.replace``), so concurrent instances never see half a file.

It does not depend on ``PYTHONDONTWRITEBYTECODE``, ``-I`` or ``PYTHONPYCACHEPREFIX``: the
loader reads and writes the cache itself, in the ``sys.pycache_prefix`` layout.

Modes (``PlatformModel.bytecode_cache``):

* ``off``          compile every time, read and write nothing;
* ``merged``       one shared directory; files from different instances (different chunks)
                   add up, so a ``/home`` instance and a ``/blog`` instance build one cache;
* ``per_instance`` each instance reads the published cache, and when it compiled something it
                   publishes what *it* loaded as the new cache, replacing the old one (last
                   writer wins), through an atomic symlink swap.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import marshal
import os
import sys
import types
import uuid
from collections.abc import Sequence
from pathlib import Path

FLAGS_CHECKED_HASH = 0b11
HEADER = 16


class CacheStats:
    """Hits and misses of the modules loaded since the last ``reset``."""

    __slots__ = ("hits", "misses")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0

    def reset(self) -> None:
        self.hits = self.misses = 0


class BytecodeStore:
    """Where one instance reads and writes ``.pyc`` files for one cache mode."""

    def __init__(self, mode: str, root: Path, src_root: Path) -> None:
        self.mode = mode
        self.root = root
        self.src_root = src_root
        self.stats = CacheStats()
        self.used: dict[str, bytes] = {}
        """Relative path -> pyc bytes this instance loaded (per_instance publishes these)."""
        self._dirty = False

    def _read_dir(self) -> Path:
        return self.root / ("published" if self.mode == "per_instance" else "merged")

    def relative(self, source: str) -> str:
        rel = os.path.relpath(source, self.src_root)
        head, tail = os.path.split(rel)
        return os.path.join(head, tail[:-3] + f".{sys.implementation.cache_tag}.pyc")

    def load(self, source_path: str, data: bytes) -> types.CodeType | None:
        if self.mode == "off":
            return None
        rel = self.relative(source_path)
        try:
            blob = (self._read_dir() / rel).read_bytes()
        except OSError:
            return None
        code = validate_pyc(blob, data)
        if code is not None:
            self.used[rel] = blob
        return code

    def store(self, source_path: str, data: bytes, code: types.CodeType) -> None:
        if self.mode == "off":
            return
        rel = self.relative(source_path)
        blob = bytes(hash_pyc(code, data))
        self.used[rel] = blob
        if self.mode == "merged":
            atomic_write(self.root / "merged" / rel, blob)
        else:
            self._dirty = True

    def publish(self) -> None:
        """per_instance: what this instance loaded becomes the published cache."""
        if self.mode != "per_instance" or not self._dirty:
            return
        self._dirty = False
        generation = self.root / f"gen-{uuid.uuid4().hex[:12]}"
        for rel, blob in self.used.items():
            target = generation / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
        link = self.root / f".link-{uuid.uuid4().hex[:12]}"
        os.symlink(generation.name, link)
        os.replace(link, self.root / "published")


def hash_pyc(code: types.CodeType, source: bytes) -> bytearray:
    data = bytearray(importlib.util.MAGIC_NUMBER)
    data.extend(FLAGS_CHECKED_HASH.to_bytes(4, "little"))
    data.extend(importlib.util.source_hash(source))
    data.extend(marshal.dumps(code))
    return data


def validate_pyc(blob: bytes, source: bytes) -> types.CodeType | None:
    """The code object of a valid checked-hash pyc for ``source``, else None (a miss)."""
    if len(blob) <= HEADER or blob[:4] != importlib.util.MAGIC_NUMBER:
        return None
    if int.from_bytes(blob[4:8], "little") != FLAGS_CHECKED_HASH:
        return None
    if blob[8:16] != importlib.util.source_hash(source):
        return None
    try:
        code = marshal.loads(blob[HEADER:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def atomic_write(path: Path, blob: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}")
    with open(tmp, "wb") as handle:
        handle.write(blob)
    os.replace(tmp, path)


class CachedSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads a bundle module through the ``BytecodeStore`` (hit, or compile and store)."""

    store: BytecodeStore

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        data = self.get_data(path)
        code = self.store.load(path, data)
        if code is not None:
            self.store.stats.hits += 1
            return code
        code = compile(data, path, "exec", dont_inherit=True, optimize=0)
        self.store.stats.misses += 1
        self.store.store(path, data, code)
        return code


class CachedSourceFinder(importlib.abc.MetaPathFinder):
    """Finds the bundle's chunk packages under ``src_root`` and loads them via the store."""

    def __init__(self, store: BytecodeStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix
        loader_cls = type("BoundLoader", (CachedSourceLoader,), {"store": store})
        self._finder = importlib.machinery.FileFinder(
            str(store.src_root), (loader_cls, importlib.machinery.SOURCE_SUFFIXES)
        )
        self._loader_cls = loader_cls

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix):
            return None
        if path is None:  # a top-level chunk package
            return self._finder.find_spec(fullname)
        finder = importlib.machinery.FileFinder(
            path[0], (self._loader_cls, importlib.machinery.SOURCE_SUFFIXES)
        )
        return finder.find_spec(fullname)


def install(store: BytecodeStore, prefix: str) -> CachedSourceFinder:
    finder = CachedSourceFinder(store, prefix)
    sys.meta_path.insert(0, finder)
    return finder
