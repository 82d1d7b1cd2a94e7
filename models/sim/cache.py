"""The bytecode cache as a platform keeps it: which chunks have compiled bytecode stored.

* ``off``: nothing is kept; every cold start compiles every chunk it loads.
* ``per_instance``: each instance publishes the cache of what it loaded, replacing the stored
  one (last writer wins). A ``/blog`` instance can throw away the ``/home`` bytecode.
* ``merged``: caches made by different instances, for different chunks, are merged into one,
  as Vercel describes for ``/home`` and ``/blog``: traffic keeps improving cold starts.
"""

from __future__ import annotations

from collections.abc import Set

from models.scenario import CacheMode


class BytecodeCache:
    __slots__ = ("chunks", "mode")

    def __init__(self, mode: CacheMode) -> None:
        self.mode = mode
        self.chunks: set[str] = set()

    def lookup(self, chunk: str) -> bool:
        """True when loading ``chunk`` now would be a cache hit."""
        return chunk in self.chunks

    def store(self, chunk: str, instance_chunks: Set[str]) -> None:
        """Record that an instance compiled ``chunk``; it has now loaded ``instance_chunks``."""
        if self.mode == "merged":
            self.chunks.add(chunk)
        elif self.mode == "per_instance":
            self.chunks = set(instance_chunks)
