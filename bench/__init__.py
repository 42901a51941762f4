"""Benchmarks (not tests): ``python -m bench.run`` prints a table of measured values and targets."""
