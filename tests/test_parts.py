"""parts.py: the first value of a large ``_points`` goes in parts, answered only while current."""

from __future__ import annotations

import decoders
import numpy as np

from projector_widget.sync import wire as encoding
from projector_widget.sync.outbox import PointsOutbox


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


def test_the_rest_covers_every_row_once_and_stale_versions_get_nothing(monkeypatch):
    monkeypatch.setattr(encoding, "PROGRESSIVE_MIN_POINTS", 100)
    monkeypatch.setattr(encoding, "FIRST_PART_POINTS", 64)
    box = PointsOutbox()
    full = _value(300)
    first = box.prepare(full, in_parts=True)
    assert first["loaded"] == 64 and first["version"] == 1
    rest = box.rest(1, 64)
    assert rest is not None
    assert (rest["version"], rest["start"], rest["count"]) == (1, 64, 236)
    assert bytes(first["data"]) + bytes(rest["data"]) == bytes(full["data"])
    assert box.pending() == rest  # what saved state needs before any browser asked
    joined = decoders.join_parts(first, rest)
    assert joined is not None and bytes(joined["data"]) == bytes(full["data"])
    assert "loaded" not in joined and "version" not in joined
    assert box.rest(2, 64) is None  # another version
    assert box.rest(1, 300) is None  # nothing left
    box.prepare(_value(300))  # superseded by a whole value
    assert box.rest(1, 64) is None and box.pending() is None


def test_join_parts_refuses_a_rest_that_does_not_continue_the_first_part(monkeypatch):
    monkeypatch.setattr(encoding, "PROGRESSIVE_MIN_POINTS", 100)
    monkeypatch.setattr(encoding, "FIRST_PART_POINTS", 64)
    box = PointsOutbox()
    full = _value(300)
    first = box.prepare(full, in_parts=True)
    rest = box.rest(1, 64)
    assert rest is not None
    assert decoders.join_parts(first, {}) is None
    assert decoders.join_parts(first, {**rest, "version": 2}) is None
    assert decoders.join_parts(first, encoding.rest_part(full, 1, 65)) is None  # a gap
    assert decoders.join_parts(full, {}) is full  # already whole
