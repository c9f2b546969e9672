"""The metadata columns of a widget and the edits made to them, from Python or from the page.

:class:`Metadata` keeps the typed columns (:mod:`projector_widget.data.columns`), sends them as
the ``_columns`` trait, and knows which columns the widget made itself (clusters, layout quality,
drift): only those may be replaced by the widget, never a column of the user's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.data.choices import colorable, numeric
from projector_widget.data.columns import Column, make_column, set_values
from projector_widget.data.table import columns_as_table
from projector_widget.parts.host import Host
from projector_widget.sync import protocol, wire
from projector_widget.sync.traits import normalize_selection


class Metadata:
    """The columns of ``n`` rows; ``per_row`` sends each row's values to the page (not in
    overview mode, where tiles carry the codes they need)."""

    def __init__(self, host: Host, columns: list[Column], n: int, *, per_row: bool) -> None:
        self._host = host
        self._n = n
        self._per_row = per_row
        self.columns = columns
        #: Columns the widget made (cluster(), layout_quality(), drift()): the only ones it replaces.
        self.made: set[str] = set()

    # ------------------------------------------------------------------ reading
    @property
    def kinds(self) -> dict[str, str]:
        """Column names mapped to their kind: 'category', 'number' or 'text'."""
        return {c.name: c.kind for c in self.columns}

    def table(self) -> Any:
        """The columns as a pandas DataFrame when pandas is installed, else a dict of lists."""
        return columns_as_table(self.columns)

    def column(self, name: str) -> Column:
        """The column ``name``; ValueError listing the columns otherwise."""
        for c in self.columns:
            if c.name == name:
                return c
        raise ValueError(f"there is no metadata column {name!r}; columns are {list(self.kinds)}")

    def encoded(self) -> list[dict[str, Any]]:
        """The ``_columns`` value (descriptors only unless ``per_row``)."""
        return [wire.encode_column(c, per_row=self._per_row) for c in self.columns]

    def row_reply(self, index: int) -> dict[str, Any] | None:
        """The ``row`` reply of row ``index`` (its values as text; None: not a row)."""
        if not 0 <= index < self._n:
            return None
        return protocol.row_reply(index, [[c.name, c.text(index)] for c in self.columns])

    # ------------------------------------------------------------------ editing
    def label(
        self, column: str, value: Any, rows: Any, selection: Callable[[], npt.NDArray[np.int64]]
    ) -> int:
        """Set ``column`` to ``value`` on ``rows`` (None: the ``selection``); returns the count
        (see Projector.label_selection)."""
        if not isinstance(column, str) or not column:
            raise ValueError("column must be a non-empty string")
        target = normalize_selection(selection() if rows is None else rows, self._n)
        if target.size == 0:
            raise ValueError("no rows to label: select some points first (or pass rows=...)")
        self.replace(set_values(self.columns, column, value, target, self._n))
        return int(target.size)

    def set_column(self, name: str, values: Any) -> None:
        """Add or replace the column ``name`` (yours from now on: the widget never replaces it)."""
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        new = make_column(name, values, self._n)
        self.made.discard(name)
        self._put(new)

    def check_made_name(self, name: object, method: str, remedy: str | None = None) -> None:
        """Raise unless ``name`` may receive ``method``'s output: a free name, or a column the
        widget itself made (a metadata column of the user's is never overwritten). ``remedy``
        says what the user can do instead; None: pass ``into=`` another name (for a method that
        takes one)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"into must be a non-empty column name, got {name!r}")
        if name in self.made or all(c.name != name for c in self.columns):
            return
        if remedy is None:
            remedy = f"pass into='another name' to {method}() to keep both"
        raise ValueError(
            f"the metadata already has a column {name!r} of yours, which {method}() would "
            f"overwrite; {remedy}"
        )

    def put_made(self, column: Column, method: str, remedy: str | None = None) -> None:
        """Add or replace ``column``, one the widget computed (see :meth:`check_made_name`)."""
        self.check_made_name(column.name, method, remedy)
        self.made.add(column.name)
        self._put(column)

    def put_made_values(
        self, name: str, values: Any, method: str, remedy: str | None = None
    ) -> None:
        """:meth:`put_made` of a column typed from ``values`` (one per row)."""
        self.put_made(make_column(name, values, self._n), method, remedy)

    def _put(self, new: Column) -> None:
        out = [new if c.name == new.name else c for c in self.columns]
        if not any(c.name == new.name for c in self.columns):
            out.append(new)
        self.replace(out)

    def replace(self, columns: list[Column]) -> None:
        """Show ``columns`` as the metadata; a colour, size or chart column that no longer fits
        is reset (those who draw from the columns observe ``_columns``)."""
        self.columns = columns
        host = self._host
        with host.hold_sync():
            host._columns = self.encoded()
            if host.color_by and host.color_by not in colorable(columns):
                host.color_by = ""
            if host.size_by and host.size_by not in numeric(columns):
                host.size_by = ""
            if host.chart and host.chart not in colorable(columns):
                host.chart = ""

    def handlers(self, selection: Callable[[], npt.NDArray[np.int64]]) -> dict[type, Any]:
        """The page's ``row`` and ``label`` requests (``selection``: the selected rows)."""
        host = self._host

        def row(request: protocol.RowRequest) -> None:
            reply = self.row_reply(request.index)
            if reply is not None:
                host.send(reply)

        def label(request: protocol.Label) -> None:
            count = self.label(request.column, request.value, None, selection)
            host.send(protocol.label_reply(request.column, count))

        return {protocol.RowRequest: row, protocol.Label: label}
