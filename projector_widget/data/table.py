"""The metadata as a table: a pandas DataFrame (a dict of lists without pandas)."""

from __future__ import annotations

from typing import Any

import numpy as np

from projector_widget.data.columns import Column, category_values


def columns_as_table(columns: list[Column]) -> Any:
    """The metadata as a pandas DataFrame when pandas is installed, else a dict of lists.

    Each value is the one given, never a copy per row: a categorical column of strings is a
    pandas Categorical (its codes and one string per category), free text an object column of
    the values themselves (pandas' own string type would copy every row's string, and cannot
    hold text that is not valid Unicode), other categories and numbers as pandas types them.
    """
    try:
        import pandas as pd  # noqa: PLC0415 - optional
    except ImportError:
        return {c.name: c.values.tolist() for c in columns}
    data: dict[str, Any] = {}
    for c in columns:
        if c.kind == "number":
            data[c.name] = c.values
        elif c.kind == "text":
            data[c.name] = pd.Series(c.values, dtype=object, copy=False)
        else:
            data[c.name] = _categorical_table_column(pd, c)
    return pd.DataFrame(data)


def _categorical_table_column(pd: Any, column: Column) -> Any:
    """A categorical column for :func:`columns_as_table`: a pandas Categorical of the values
    themselves when they are strings, else the values as pandas types them (integers stay
    numbers)."""
    assert column.codes is not None
    first = category_values(column)
    if not all(isinstance(v, str) for v in first):
        return column.values.tolist()
    codes = column.codes.astype(np.int64)
    if column.missing_code is not None:
        codes[codes == column.missing_code] = -1
    categories = pd.Index(np.asarray(first, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories)
