"""What the parts of a widget read and set on it: its synced traits, ``send`` and ``hold_sync``.

Each part (one capability: its state, the logic of its traits, its message handlers, its
background work and its ``close()``) is given the widget as a :class:`Host` and never imports
the widget class, so parts stay free of import circles and a test can give them any object with
these attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Host(Protocol):
    """The widget as its parts see it (``Projector`` satisfies it)."""

    selected: Any
    focus: int
    k_neighbors: int
    metric: str
    color_by: str
    label_by: str
    size_by: str
    chart: str
    color_map: str
    dimensions: int
    projection: str
    projection_params: dict[str, Any]
    spherize: bool
    camera: dict[str, Any]
    step: int
    show_clusters: bool
    bookmarks: list[dict[str, str]]
    _points: dict[str, Any]
    _points_rest: dict[str, Any]
    _columns: list[dict[str, Any]]
    _labels: dict[str, Any]
    _neighbors: dict[str, Any]
    _query_point: dict[str, Any]
    _isolated: bool
    _pca_variance: list[float]
    _progress: dict[str, Any]
    _timeline_active: bool
    _clusters: dict[str, Any]
    _quality: dict[str, Any]
    _overview: dict[str, Any]

    @property
    def n_points(self) -> int:
        """Number of rows."""
        ...

    def send(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        """Send a custom message to the browser."""
        ...

    def hold_sync(self) -> AbstractContextManager[Any]:
        """Batch the trait changes made inside into one sync."""
        ...

    def observe(self, handler: Callable[[Any], None], names: Any = ...) -> None:
        """Call ``handler`` when one of the traits ``names`` changes."""
        ...

    def unobserve_all(self) -> None:
        """Drop every observer (the widget is closed)."""
        ...

    def on_msg(self, callback: Callable[[Any, Any, Any], None], remove: bool = False) -> None:
        """Call ``callback(widget, content, buffers)`` for each custom message from the page
        (``remove``: no longer)."""
        ...
