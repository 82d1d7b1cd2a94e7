"""The playback cache: instant when a what-if setting comes back, bounded in memory."""

from __future__ import annotations


def test_the_playback_cache_keeps_recent_runs_within_its_budget(monkeypatch, small) -> None:
    from lab.tui import playback as module

    cache = module.PlaybackCache(size=2)
    runs = [small.with_changes(**{"platforms.fluid.concurrency": k}) for k in (1, 2, 3)]
    first = cache.build(runs[0])
    assert cache.build(runs[0]) is first  # a hit: the same object, no simulation
    cache.build(runs[1])
    cache.build(runs[2])
    assert len(cache) == 2 and cache.get(runs[0]) is None
    monkeypatch.setattr(module, "CACHE_EVENTS", 1)
    cache.build(runs[0])
    assert len(cache) == 1 and cache.get(runs[0]) is not None
