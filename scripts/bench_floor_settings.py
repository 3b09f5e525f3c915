"""Benchmark-only settings: production's, plus the hand-written floor views (bench_floor_urls).

Only scripts/bench_load.py uses this module (PYTHONPATH=scripts); production never imports it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_floor_urls"
