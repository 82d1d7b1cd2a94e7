"""The real bytecode cache: checked-hash ``.pyc`` files that outlive instances.

Python's ``.pyc`` is our analogue of V8's code cache. Bundle modules are imported through
``CachedSourceFinder``, whose loader, for every module:

1. reads the source and hashes it (``importlib.util.source_hash``);
2. on a cache read, checks the file's CRC-32 trailer, the ``.pyc`` header (magic,
   *checked-hash* flags, source hash) and unmarshals it; anything wrong (unreadable,
   truncated, corrupt, stale, foreign) is a miss, never a crash: the file is evicted, counted
   (``CacheStats.evicted``, reported with the ``code_load`` phase) and written anew;
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
import shutil
import sys
import types
import uuid
import zlib
from collections.abc import Sequence
from pathlib import Path

FLAGS_CHECKED_HASH = 0b11
HEADER = 16
TRAILER_TAG = b"LAB1"
TRAILER = 8


class CacheStats:
    """What the cache did for the modules loaded since the last ``reset``: hits, misses, bad
    files evicted (each also a miss) and writes that failed (the import went on without)."""

    __slots__ = ("evicted", "hits", "misses", "write_errors")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.hits = self.misses = self.evicted = self.write_errors = 0


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
        """The cached code for this source, or None (a miss). A file that is there but cannot
        be read, or is truncated, corrupt, stale or foreign, is evicted (and counted)."""
        if self.mode == "off":
            return None
        rel = self.relative(source_path)
        path = self._read_dir() / rel
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:  # unreadable: a directory, no permission, an I/O error
            self._evict(path)
            return None
        code = validate_pyc(blob, data)
        if code is None:
            self._evict(path)
            return None
        self.used[rel] = blob
        return code

    def _evict(self, path: Path) -> None:
        self.stats.evicted += 1
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass  # another instance evicted it first, or it cannot go: still a miss

    def store(self, source_path: str, data: bytes, code: types.CodeType) -> None:
        if self.mode == "off":
            return
        rel = self.relative(source_path)
        blob = bytes(hash_pyc(code, data))
        self.used[rel] = blob
        if self.mode == "merged":
            try:
                atomic_write(self.root / "merged" / rel, blob)
            except OSError:  # a cache that cannot be written only costs the next start
                self.stats.write_errors += 1
        else:
            self._dirty = True

    def publish(self) -> None:
        """per_instance: what this instance loaded becomes the published cache."""
        if self.mode != "per_instance" or not self._dirty:
            return
        self._dirty = False
        try:
            generation = self.root / f"gen-{uuid.uuid4().hex[:12]}"
            for rel, blob in self.used.items():
                target = generation / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(blob)
            link = self.root / f".link-{uuid.uuid4().hex[:12]}"
            os.symlink(generation.name, link)
            os.replace(link, self.root / "published")
        except OSError:
            self.stats.write_errors += 1


def hash_pyc(code: types.CodeType, source: bytes) -> bytearray:
    """A checked-hash ``.pyc`` (CPython loads it as is), with a check of its own appended:
    ``LAB1`` and the CRC-32 of everything before it. ``marshal.loads`` ignores bytes after the
    code object; ``validate_pyc`` uses them to tell a damaged file from a good one."""
    data = bytearray(importlib.util.MAGIC_NUMBER)
    data.extend(FLAGS_CHECKED_HASH.to_bytes(4, "little"))
    data.extend(importlib.util.source_hash(source))
    data.extend(marshal.dumps(code))
    data.extend(TRAILER_TAG)
    data.extend(zlib.crc32(data).to_bytes(4, "little"))
    return data


def validate_pyc(blob: bytes, source: bytes) -> types.CodeType | None:
    """The code object of a valid checked-hash pyc for ``source``, else None (a miss).

    Never raises: a damaged file can make ``marshal.loads`` raise anything (``EOFError``,
    ``ValueError``, ``SystemError``...), or worse, return a code object that crashes when run,
    so the CRC-32 trailer is checked first and the unmarshalling is guarded anyway."""
    if len(blob) <= HEADER + TRAILER or blob[:4] != importlib.util.MAGIC_NUMBER:
        return None
    body, tag, crc = blob[:-TRAILER], blob[-TRAILER:-4], blob[-4:]
    if tag != TRAILER_TAG or zlib.crc32(blob[:-4]).to_bytes(4, "little") != crc:
        return None
    if int.from_bytes(blob[4:8], "little") != FLAGS_CHECKED_HASH:
        return None
    if blob[8:16] != importlib.util.source_hash(source):
        return None
    try:
        code = marshal.loads(body[HEADER:])
    except Exception:
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
