"""Benchmarks of the controller against the limits the APIs set.

Each benchmark measures its own baseline in the same run and reports ratios, because the
machines these run on are shared and noisy: seconds alone would say more about the
neighbours than about the controller. `python -m bench` runs them all, prints a table and
writes `bench/results.json`.
"""
