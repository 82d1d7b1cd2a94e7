"""Trace readers, replay, keep-alive policies, sweeps and the Dask engine (issue 7)."""
