"""A large ``_points`` value sent in parts: its first rows go with the trait, the rest on request.

Only a widget's first value goes in parts (it is what the user waits for); later values replace
points already on screen, where a partial set would blink, so they go whole. The outbox keeps
the full value behind the part that was synced, and answers the browser's ``points`` request
for the rest only while that value is current.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from . import encoding, protocol


class PointsOutbox:
    """The full value behind the ``_points`` last synced, and its version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._full: dict[str, Any] | None = None
        self._version = 0

    def prepare(self, value: dict[str, Any], *, in_parts: bool = False) -> dict[str, Any]:
        """The ``_points`` value to sync for ``value``; with ``in_parts`` a large one carries
        its first part and the rest waits here for :meth:`later_parts`."""
        with self._lock:
            if not (in_parts and encoding.is_progressive(value)):
                self._full = None
                return value
            self._version += 1
            self._full = value
            return encoding.first_part(value, self._version)

    def later_parts(self, version: int, start: int) -> Iterator[tuple[dict[str, Any], memoryview]]:
        """The ``points`` replies (content, buffer) for rows ``start`` onwards; none when
        ``version`` is not the value in the outbox (the browser has a newer one coming)."""
        with self._lock:
            full, current = self._full, self._version
        if full is None or version != current:
            return
        for start_row, count, buffer in encoding.later_parts(full, start):
            yield protocol.points_part(current, start_row, count), buffer
