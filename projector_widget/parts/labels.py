"""Which rows get a label text sent to the browser, and how a row is named in lists.

Up to ``protocol.ALL_LABELS_MAX`` points every shown row is labelled (the browser places as many
as fit); above it only the rows a user looks at: the selection (capped), the focus and its
neighbours. The saved page's local model applies the same limits, which it reads from ``_spec``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.data.choices import naming_column as default_naming_column
from projector_widget.data.columns import Column
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.session import ProjectionSession
from projector_widget.sync import wire
from projector_widget.sync.protocol import ALL_LABELS_MAX, LABEL_ROWS_CAP
from projector_widget.sync.traits import selection_rows


def label_rows(
    n: int,
    *,
    shown: npt.NDArray[np.int64] | None,
    selected: npt.NDArray[np.int64],
    focus: int,
    neighbours: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Sorted rows whose label text the browser needs.

    ``shown`` is the isolated subset (None: every row); ``focus`` is -1 when nothing is focused.
    """
    if n <= ALL_LABELS_MAX:
        return np.arange(n, dtype=np.int64) if shown is None else shown
    parts = [selected[:LABEL_ROWS_CAP].astype(np.int64), neighbours.astype(np.int64)]
    if focus >= 0:
        parts.append(np.array([focus], np.int64))
    return np.unique(np.concatenate(parts))


def naming_column(columns: list[Column], label_by: str) -> Column | None:
    """The column that names a row in lists (neighbours): ``label_by`` (of any kind), else the
    first text or category column, else None (rows are then called ``#index``)."""
    chosen = next((c for c in columns if label_by and c.name == label_by), None)
    return chosen if chosen is not None else default_naming_column(columns)


def row_names(column: Column | None, rows: npt.NDArray[np.int64]) -> list[str]:
    """The name of each row in ``rows`` (its text in ``column``, or ``#index``)."""
    return [column.format(int(i)) if column else f"#{int(i)}" for i in rows]


class LabelsPart:
    """The ``_labels`` trait: texts of the ``label_by`` column for the rows that may show one,
    sent again whenever what decides them changes."""

    def __init__(self, host: Host, session: ProjectionSession, metadata: Metadata) -> None:
        self._host = host
        self._session = session
        self._metadata = metadata

    def bind(self) -> None:
        """Follow what decides the labelled rows and their texts (the rows shown are told by
        the projection part: :meth:`refresh`)."""
        host = self._host
        host.observe(lambda _c: self.refresh(), ["label_by", "focus", "_neighbors", "_columns"])
        host.observe(self._on_selected, "selected")

    def _on_selected(self, _change: dict[str, Any]) -> None:
        if self._host.n_points > ALL_LABELS_MAX and self._host.label_by:
            self.refresh()

    def refresh(self) -> None:
        """Send label texts for the rows that may show one ({} without ``label_by``)."""
        host = self._host
        if not host.label_by:
            if host._labels:
                host._labels = {}
            return
        col = self._metadata.column(host.label_by)
        neighbours = (
            np.frombuffer(host._neighbors["indices"], "<u4").astype(np.int64)
            if host._neighbors
            else np.zeros(0, np.int64)
        )
        rows = label_rows(
            host.n_points,
            shown=self._session.subset,
            selected=selection_rows(host.selected, compute=False),
            focus=host.focus,
            neighbours=neighbours,
        )
        host._labels = wire.encode_labels(col.name, rows, [col.format(int(i)) for i in rows])
