"""Which columns can colour, size, chart, label or name points, and why a choice cannot.

The checks of ``color_by``, ``size_by``, ``chart`` and ``label_by`` fail with the reason and
the columns that would do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column


def colorable(columns: list[Column]) -> list[str]:
    """Names of the columns points can be coloured by (categories and numbers)."""
    return [c.name for c in columns if c.kind in ("category", "number")]


def default_color_column(columns: list[Column]) -> str:
    """The column points are coloured by at first: the first categorical one, else the first
    numeric one that is not an identifier or a rank (whole numbers all distinct, or a sorted
    run: colouring by them paints a gradient in row order, which says nothing), else ''."""
    for c in columns:
        if c.kind == "category":
            return c.name
    for c in columns:
        if c.kind == "number" and not _looks_like_ids(c.numbers()):
            return c.name
    return ""


def _looks_like_ids(values: npt.NDArray[np.float64]) -> bool:
    present = values[~np.isnan(values)]
    if present.size < 2 or not np.all(present == np.round(present)):
        return False
    steps = np.diff(present)
    return bool(np.all(steps > 0) or np.all(steps < 0) or np.unique(present).size == present.size)


def check_color_by(name: str, columns: list[Column]) -> None:
    """ValueError saying why ``name`` cannot colour the points ('' is always fine)."""
    if name == "":
        return
    colorable_names = colorable(columns)
    if name not in colorable_names:
        kinds = {c.name: c.kind for c in columns}
        why = (
            f"column {name!r} holds free text (too many distinct values to colour)"
            if kinds.get(name) == "text"
            else f"there is no metadata column {name!r}"
        )
        raise ValueError(
            f"cannot colour by {name!r}: {why}; choose one of {colorable_names} or '' for none"
        )


def check_chart(name: str, columns: list[Column]) -> None:
    """ValueError saying why the chart cannot show ``name`` ('' hides it)."""
    chartable = colorable(columns)
    if name and name not in chartable:
        why = (
            "holds free text"
            if any(c.name == name for c in columns)
            else "is not a metadata column"
        )
        raise ValueError(
            f"cannot chart {name!r}: it {why}; the chart shows a category or number "
            f"column, one of {chartable}, or '' to hide it"
        )


def numeric(columns: list[Column]) -> list[str]:
    """Names of the numeric columns (those point sizes can follow)."""
    return [c.name for c in columns if c.kind == "number"]


def check_size_by(name: str, columns: list[Column]) -> None:
    """ValueError saying why ``name`` cannot size the points ('' is always fine)."""
    if not isinstance(name, str):
        raise TypeError(f"size_by must be a column name (a str, '' for none), got {name!r}")
    if name == "" or name in numeric(columns):
        return
    kind = {c.name: c.kind for c in columns}.get(name)
    why = (
        f"there is no metadata column {name!r}"
        if kind is None
        else f"column {name!r} holds {'categories' if kind == 'category' else 'free text'}, "
        "not numbers"
    )
    raise ValueError(
        f"cannot size points by {name!r}: {why}; choose one of the numeric columns "
        f"{numeric(columns)} or '' for one size"
    )


def check_label_by(name: str, columns: list[Column]) -> None:
    """ValueError unless ``name`` is a column (or '' for no labels)."""
    if name and name not in [c.name for c in columns]:
        raise ValueError(
            f"cannot label by {name!r}: there is no such column; choose one of "
            f"{[c.name for c in columns]} or '' for none"
        )


def naming_column(columns: Sequence[Column], label_by: str = "", skip: str = "") -> Column | None:
    """The column whose text names a row or a cluster: the ``label_by`` column when it holds
    text or categories, else the first text column, else the first categorical one (never
    ``skip``); None when there is none (rows are then numbered)."""
    usable = [c for c in columns if c.kind in ("text", "category") and c.name != skip]
    by_label = [c for c in usable if c.name == label_by]
    texts = [c for c in usable if c.kind == "text"]
    ranked = by_label or texts or usable
    return ranked[0] if ranked else None
