"""The points the page draws: the current coordinates as the ``_points`` trait.

New coordinates from the projection session become a ``_points`` value (quantised, binary,
:func:`projector_widget.sync.wire.encode_points`); the widget's first value goes in parts
(:class:`~projector_widget.sync.outbox.PointsOutbox`) and its rest as ``_points_rest`` when the
page asks. Those who follow the layout (the overview's index, the explanations' staleness)
listen here.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.parts.host import Host
from projector_widget.parts.overview import OverviewPart
from projector_widget.parts.session import ProjectionSession
from projector_widget.parts.timeline import TimelinePart
from projector_widget.sync import protocol, wire
from projector_widget.sync.outbox import PointsOutbox

Coords = npt.NDArray[np.float32]


class PointsPart:
    """``_points`` and ``_points_rest`` of the session's coordinates as they show."""

    def __init__(
        self,
        host: Host,
        session: ProjectionSession,
        timeline: TimelinePart,
        overview: OverviewPart,
    ) -> None:
        self._host = host
        self._session = session
        self._timeline = timeline
        self._overview = overview
        self._outbox = PointsOutbox()
        self._lock = threading.Lock()  # _points and its _points_rest change together
        #: Called with the session's new (N, 3) coordinates after they are sent.
        self.listeners: list[Callable[[Coords], None]] = []

    def value(self, coords: Coords, dims: int, transition_ms: int) -> dict[str, Any]:
        """The ``_points`` value of (N, >= dims) ``coords`` shown in ``dims`` dimensions."""
        if self._overview.active:  # no rows travel as points: the overview sends grids and tiles
            value = wire.encode_points(np.zeros((0, dims), np.float32))
        else:
            shown = self._timeline.shown(coords)
            value = wire.encode_points(shown[:, :dims], visible_rows=self._session.subset)
        value["transition_ms"] = int(transition_ms)
        value["layout"] = self._session.layout_id
        return value

    def first(self, coords: Coords, dims: int) -> dict[str, Any]:
        """The widget's first ``_points`` value: a large one in parts."""
        return self._outbox.prepare(self.value(coords, dims, 0), in_parts=True)

    def show(self, coords: Coords, transition_ms: int) -> None:
        """The session has new coordinates: send them whole (they replace points on screen)."""
        host = self._host
        value = self.value(coords, host.dimensions, transition_ms)
        host._timeline_active = self._timeline.active()
        with self._lock:
            host._points = self._outbox.prepare(value)
            host._points_rest = {}
        for listener in self.listeners:
            listener(coords)

    def redraw(self) -> None:
        """Send the current coordinates again (the view's dimensions changed)."""
        with self._session.lock:
            self.show(self._session.coords, 0)

    def handlers(self) -> dict[type, Any]:
        """The page's ``points`` request (the rest of a value sent in parts)."""
        return {protocol.PointsRequest: self._reply_points}

    def _reply_points(self, request: protocol.PointsRequest) -> None:
        with self._lock:
            rest = self._outbox.rest(request.version, request.start)
            if rest is not None:
                self._host._points_rest = rest

    def pending(self) -> dict[str, Any] | None:
        """The ``_points_rest`` value that completes the first ``_points`` sent in parts (None
        when the current value went whole)."""
        return self._outbox.pending()

    def embed_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """``ipywidgets.embed``'s saved ``state`` with every row: the rest of a first value
        sent in parts that no page has asked for yet (nothing displayed it) is added."""
        with self._lock:
            pending = self._outbox.pending()
            if pending is None or self._host._points_rest.get("version") == pending["version"]:
                return state
        rest, found = wire.split_buffers(pending)
        state["state"]["_points_rest"] = rest
        kept = [b for b in state.get("buffers", []) if b["path"][0] != "_points_rest"]
        state["buffers"] = kept + [
            {
                "encoding": "base64",
                "path": ["_points_rest", *path],
                "data": base64.standard_b64encode(data).decode("ascii"),
            }
            for path, data in found
        ]
        return state

    def close(self) -> None:
        """Forget the value held for the page and the listeners."""
        with self._lock:
            self._outbox = PointsOutbox()
        self.listeners.clear()
