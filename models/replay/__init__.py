"""Trace replay: each function of a public Azure Functions trace as its own deployment."""
