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


def test_bill_shares_of_all_requests_add_up_to_the_bill(small) -> None:
    """lab.view.bill_share: every instance's share, summed, is the simulator's bill (to 1e-9),
    and on Fluid two overlapping requests split the provisioned memory between them."""
    import pytest

    from lab.view import build_timeline
    from lab.view.bill_share import instance_shares
    from models.run import simulate

    result = simulate(small)
    for model, run in result.models.items():
        timeline = build_timeline(run)
        totals: dict[str, float] = {}
        for instance in timeline.instances:
            shares, total = instance_shares(run, timeline, instance)
            assert sum(s.total for s in shares.values()) <= total.total + 1e-12
            for name, value in total.components.items():
                totals[name] = totals.get(name, 0.0) + value
        for name, value in run.bill.components.items():
            assert totals[name] == pytest.approx(value, rel=1e-9, abs=1e-12), (model, name)
