"""Sizes of memory in messages."""

from __future__ import annotations

import pytest

from projector_widget.data.embeddings import needs_memory
from projector_widget.util.sizes import memory


@pytest.mark.parametrize(
    ("n_bytes", "text"),
    [
        (80, "80 bytes"),
        (2**10, "1.0 KiB"),
        (750 * 2**10, "750 KiB"),
        (15_360_000, "15 MiB"),
        (2**30 - 1, "1,024 MiB"),
        (3.2 * 2**30, "3.2 GiB"),
        (40 * 2**30, "40 GiB"),
    ],
)
def test_memory_is_shown_in_the_unit_that_suits_it(n_bytes, text):
    assert memory(n_bytes) == text


def test_a_set_below_a_gib_is_not_said_to_need_0_gib():
    message = str(needs_memory("spherize", (60_000, 64)))
    assert "when 15 MiB fits" in message and "GiB" not in message
