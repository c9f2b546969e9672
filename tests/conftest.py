"""Shared test settings: Hypothesis runs a bounded, reproducible number of examples."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# ``derandomize``: the same examples on every run (CI included); HYPOTHESIS_PROFILE=deep explores
# more, with fresh randomness, when hunting bugs locally.
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
