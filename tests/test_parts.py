"""parts.py: the first value of a large ``_points`` goes in parts, answered only while current."""

from __future__ import annotations

import numpy as np

from projector_widget import encoding
from projector_widget.parts import PointsOutbox


def _value(n: int) -> dict:
    rng = np.random.default_rng(0)
    return encoding.encode_points(rng.standard_normal((n, 2)).astype(np.float32))


def test_small_or_later_values_go_whole(monkeypatch):
    monkeypatch.setattr(encoding, "PROGRESSIVE_MIN_POINTS", 100)
    box = PointsOutbox()
    small = _value(50)
    assert box.prepare(small, in_parts=True) is small
    big = _value(300)
    assert box.prepare(big) is big  # a later value replaces points on screen: whole


def test_parts_cover_every_row_once_and_stale_versions_get_nothing(monkeypatch):
    monkeypatch.setattr(encoding, "PROGRESSIVE_MIN_POINTS", 100)
    monkeypatch.setattr(encoding, "FIRST_PART_POINTS", 64)
    monkeypatch.setattr(encoding, "PART_POINTS", 100)
    box = PointsOutbox()
    full = _value(300)
    first = box.prepare(full, in_parts=True)
    assert first["loaded"] == 64 and first["version"] == 1
    parts = list(box.later_parts(1, 64))
    assert [(c["type"], c["start"], c["count"]) for c, _ in parts] == [
        ("points", 64, 100),
        ("points", 164, 100),
        ("points", 264, 36),
    ]
    data = b"".join([bytes(first["data"]), *(bytes(b) for _, b in parts)])
    assert data == bytes(full["data"])
    assert list(box.later_parts(2, 64)) == []
    box.prepare(_value(300))  # superseded by a whole value
    assert list(box.later_parts(1, 64)) == []
