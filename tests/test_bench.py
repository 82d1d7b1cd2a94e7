"""``lab bench`` runs both simulator drivers side by side, each case in its own process.

Nothing here asserts a speed (the machines are shared): only that every case ran, served every
request, and that the two drivers served the same requests (they emit the same events)."""

from __future__ import annotations

from lab.bench import DRIVERS, RATES, run_benchmarks


def test_bench_reports_both_drivers_side_by_side() -> None:
    results = run_benchmarks(300, 1, log=lambda _line: None, reference=False)
    cases = {(c["rate"], c["driver"]): c for c in results["cases"]}
    assert set(cases) == {(rate, driver) for rate in RATES for driver in DRIVERS}
    for rate in RATES:
        assert cases[rate, "heap"]["requests"] == cases[rate, "simpy"]["requests"] == 300
        assert (
            cases[rate, "heap"]["runs"][0]["instances_max"]
            == (cases[rate, "simpy"]["runs"][0]["instances_max"])
        )
    assert set(results["heap_over_simpy"]) == {f"{rate:g}" for rate in RATES}
    assert results["heap_over_simfaas"] == {}
    assert "heap_peak_rss_mb" in results["targets"]
