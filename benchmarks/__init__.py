"""seqmine benchmarks (run with python -m benchmarks.<module>)."""
