"""Which rows get a label text sent to the browser, and which column names a row.

Up to ``protocol.ALL_LABELS_MAX`` points every shown row is labelled (the browser places as many
as fit); above it only the rows a user looks at: the selection (capped), the focus and its
neighbours. The saved page's local model applies the same limits, which it reads from ``_spec``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column
from projector_widget.sync.protocol import ALL_LABELS_MAX, LABEL_ROWS_CAP


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
    """The column that names a row in lists (neighbours): ``label_by``, else the first text or
    category column, else None (rows are then called ``#index``)."""
    if label_by:
        for c in columns:
            if c.name == label_by:
                return c
    for kind in ("text", "category"):
        for c in columns:
            if c.kind == kind:
                return c
    return None


def row_names(column: Column | None, rows: npt.NDArray[np.int64]) -> list[str]:
    """The name of each row in ``rows`` (its text in ``column``, or ``#index``)."""
    return [column.format(int(i)) if column else f"#{int(i)}" for i in rows]
