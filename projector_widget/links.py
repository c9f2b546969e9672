"""Link projectors: a selection in one shows in the others (same items, e.g. two models)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from projector_widget.compute.overview import SelectionTooLarge
from projector_widget.widget import Projector

#: How a projector refuses a selection (each made of a message alone).
_REFUSALS = (ValueError, TypeError, IndexError, SelectionTooLarge)


class SelectionLink:
    """Keeps the ``selected`` rows of several projectors equal; :meth:`unlink` stops it.

    Each projector holds the selection its own way: one that draws its points holds row
    indices (a lazy selection of an overview is computed into them), an overview may keep it
    lazy. A change is passed on once, not echoed back, so the overview where a lazy selection
    was made keeps it. When a projector refuses the selection (it would not fit as indices,
    say), none of them changes and the error says why. The link holds the projectors weakly:
    one that is closed (or freed) leaves it, and the others go on following each other.
    """

    def __init__(self, widgets: tuple[Projector, ...]) -> None:
        self._handlers: list[tuple[weakref.ref[Projector], Callable[[Any], None]]] = []
        self._passing = False  # a change is being passed on: the others' changes are its echo
        for w in widgets:
            source = weakref.ref(w)
            handler = self._make_handler(source)
            w.observe(handler, "selected")
            self._handlers.append((source, handler))

    @property
    def widgets(self) -> tuple[Projector, ...]:
        """The linked projectors still open."""
        alive = (_open(ref) for ref, _handler in self._handlers)
        return tuple(w for w in alive if w is not None)

    def _make_handler(self, source: weakref.ref[Projector]) -> Callable[[Any], None]:
        def handler(change: dict[str, Any]) -> None:
            if self._passing:
                return
            self._passing = True
            try:
                for other in self.widgets:
                    if other is not source():
                        other.selected = change["new"]
            except Exception as exc:
                # All or none: every projector goes back to the selection they shared.
                for w in self.widgets:
                    w.selected = change["old"]
                if not isinstance(exc, _REFUSALS):
                    raise
                raise type(exc)(
                    f"a linked projector cannot take this selection, so none changed: {exc}"
                ) from None
            finally:
                self._passing = False

        return handler

    def unlink(self) -> None:
        """Stop linking the selections."""
        for ref, handler in self._handlers:
            w = _open(ref)
            if w is not None:  # a closed projector has dropped its observers already
                w.unobserve(handler, "selected")
        self._handlers = []


def _open(ref: weakref.ref[Projector]) -> Projector | None:
    """The projector of ``ref`` unless it was freed or closed (closing ends its comm)."""
    w = ref()
    return w if w is not None and w.comm is not None else None


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
