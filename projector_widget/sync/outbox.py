"""A large ``_points`` value sent in parts: its first rows go with the trait, the rest on request.

Only a widget's first value goes in parts (it is what the user waits for); later values replace
points already on screen, where a partial set would blink, so they go whole. The outbox keeps
the full value behind the part that was synced, and gives the ``_points_rest`` value the
browser asks for only while that value is current. The rest is a synced trait rather than a
message so that saved widget state (a notebook saved with its widgets, its nbconvert page,
``ipywidgets.embed``) holds every row.
"""

from __future__ import annotations

import threading
from typing import Any

from projector_widget.sync import wire as encoding


class PointsOutbox:
    """The full value behind the ``_points`` last synced, and its version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._full: dict[str, Any] | None = None
        self._version = 0
        self._loaded = 0  # rows in the first part of the value in the outbox

    def prepare(self, value: dict[str, Any], *, in_parts: bool = False) -> dict[str, Any]:
        """The ``_points`` value to sync for ``value``; with ``in_parts`` a large one carries
        its first part and the rest waits here for :meth:`rest`."""
        with self._lock:
            if not (in_parts and encoding.is_progressive(value)):
                self._full = None
                return value
            self._version += 1
            self._full = value
            first = encoding.first_part(value, self._version)
            self._loaded = int(first["loaded"])
            return first

    def rest(self, version: int, start: int) -> dict[str, Any] | None:
        """The ``_points_rest`` value of rows ``start`` onwards; None when ``version`` is not the
        value in the outbox (the browser has a newer one coming) or nothing is left."""
        with self._lock:
            full, current = self._full, self._version
        if full is None or version != current or start >= int(full["n"]):
            return None
        return encoding.rest_part(full, current, start)

    def pending(self) -> dict[str, Any] | None:
        """The ``_points_rest`` value that completes the current ``_points`` (every row its first
        part lacks); None when the current value went whole."""
        with self._lock:
            full, current, loaded = self._full, self._version, self._loaded
        if full is None:
            return None
        return encoding.rest_part(full, current, loaded)
