"""Benchmarks of Connect my Home: `make bench` (see bench/run.py)."""
