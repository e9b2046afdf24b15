"""Benchmarks: `make bench` or `bench/run.py [NAME...]` (see bench/run.py)."""
