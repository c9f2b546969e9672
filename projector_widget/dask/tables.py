"""Metadata in a Dask DataFrame: its columns gathered from the cluster one at a time."""

from __future__ import annotations

from typing import Any

from projector_widget.dask.cluster import client
from projector_widget.data.columns import count_message


def metadata_table(table: Any, n: int) -> dict[str, Any]:
    """A Dask DataFrame's columns as pandas Series, computed on the cluster one at a time (so
    only one column of the table is ever being gathered); its row count is checked first."""
    c = client()
    rows = int(c.compute(table.map_partitions(len).sum()).result())
    if rows != n:
        raise ValueError(count_message("metadata", rows, n))
    out: dict[str, Any] = {}
    for name in table.columns:
        out[str(name)] = c.compute(table[name]).result().reset_index(drop=True)
    return out
