"""Link projectors: a selection in one shows in the others (same items, e.g. two models)."""

from __future__ import annotations

from typing import Any

from projector_widget.widget import Projector


class SelectionLink:
    """Keeps the ``selected`` rows of several projectors equal; :meth:`unlink` stops it."""

    def __init__(self, widgets: tuple[Projector, ...]) -> None:
        self.widgets = widgets
        self._handlers = []
        for w in widgets:
            handler = self._make_handler(w)
            w.observe(handler, "selected")
            self._handlers.append((w, handler))

    def _make_handler(self, source: Projector) -> Any:
        def handler(change: dict[str, Any]) -> None:
            # Setting an equal selection notifies nobody, so the propagation ends by itself.
            for other in self.widgets:
                if other is not source:
                    other.selected = change["new"]

        return handler

    def unlink(self) -> None:
        """Stop linking the selections."""
        for w, handler in self._handlers:
            w.unobserve(handler, "selected")
        self._handlers = []


def link_selection(*widgets: Projector) -> SelectionLink:
    """Link the selections of two or more projectors of the same rows; returns the link.

    Raises ValueError when they do not have the same number of points (rows must correspond).
    """
    if len(widgets) < 2:
        raise ValueError("link_selection needs at least two projectors")
    for w in widgets:
        if not isinstance(w, Projector):
            raise TypeError(f"link_selection takes Projector widgets, got {type(w).__name__}")
    counts = [w.n_points for w in widgets]
    if len(set(counts)) != 1:
        raise ValueError(f"linked projectors must show the same rows; they have {counts} points")
    widgets[1].selected = widgets[0].selected
    return SelectionLink(widgets)
