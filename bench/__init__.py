"""Benchmarks at realistic scale (a million collaborations); run with `make bench`.

Not part of the test suite: timings are reported against references measured in the same run,
never asserted.
"""
