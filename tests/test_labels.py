"""labels.py: which rows get label texts, and what names a row."""

from __future__ import annotations

import numpy as np

from projector_widget.data.columns import as_columns
from projector_widget.parts import labels
from projector_widget.sync.protocol import ALL_LABELS_MAX, LABEL_ROWS_CAP

EMPTY = np.zeros(0, np.int64)


def test_small_sets_label_every_shown_row():
    rows = labels.label_rows(100, shown=None, selected=EMPTY, focus=-1, neighbours=EMPTY)
    assert rows.tolist() == list(range(100))
    shown = np.array([3, 9], np.int64)
    rows = labels.label_rows(100, shown=shown, selected=EMPTY, focus=5, neighbours=EMPTY)
    assert rows.tolist() == [3, 9]


def test_large_sets_label_what_the_user_looks_at_capped():
    n = ALL_LABELS_MAX + 1
    selected = np.arange(0, 2 * LABEL_ROWS_CAP, 2, dtype=np.int64)  # twice the cap
    rows = labels.label_rows(
        n, shown=None, selected=selected, focus=n - 1, neighbours=np.array([7, 3], np.int64)
    )
    assert rows.size == LABEL_ROWS_CAP + 3
    assert rows[-1] == n - 1 and 7 in rows and 3 in rows
    assert bool(np.all(np.diff(rows) > 0))


def test_naming_column_prefers_label_by_then_text_then_category():
    n = 60
    meta = {"n": np.arange(n) / 2, "k": ["a", "b"] * (n // 2), "t": [f"t{i}" for i in range(n)]}
    cols = as_columns(meta, n)
    assert [c.kind for c in cols] == ["number", "category", "text"]
    assert labels.naming_column(cols, "n").name == "n"
    assert labels.naming_column(cols, "").name == "t"
    assert labels.naming_column(cols[:2], "").name == "k"
    assert labels.naming_column([], "") is None
    assert labels.row_names(None, np.array([4])) == ["#4"]
