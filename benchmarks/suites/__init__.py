"""Benchmark suites, one module per area; each runnable with python -m."""
