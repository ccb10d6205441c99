"""The queue simulator: a seeded consulate day driven through the real site code on a virtual clock.

`dour simulate` (core/cli.py) and bench/bench_simulate.py use it; docs/queue-policy.md has its results.
It imports `core/` only: no Flask, no surface, no device.
"""
