"""Search metadata columns by substring or regular expression."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column


def compile_query(pattern: str, *, regex: bool, case: bool) -> re.Pattern[str]:
    """Compile ``pattern`` (a literal substring unless ``regex``); ValueError on a bad regex."""
    if not isinstance(pattern, str):
        raise TypeError(f"the search pattern must be a string, got {type(pattern).__name__}")
    flags = 0 if case else re.IGNORECASE
    try:
        return re.compile(pattern if regex else re.escape(pattern), flags)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def search(
    columns: list[Column],
    pattern: str,
    *,
    column: str | None = None,
    regex: bool = False,
    case: bool = False,
) -> npt.NDArray[np.int64]:
    """Row indices whose value in ``column`` (or any column when None) matches ``pattern``."""
    if not columns:
        raise ValueError("there is no metadata to search; pass metadata to Projector(...)")
    if column:
        chosen = [c for c in columns if c.name == column]
        if not chosen:
            raise ValueError(
                f"there is no metadata column {column!r}; columns are {[c.name for c in columns]}"
            )
    else:
        chosen = columns
    rx = compile_query(pattern, regex=regex, case=case)
    n = chosen[0].values.shape[0]
    hits = np.zeros(n, dtype=bool)
    for col in chosen:
        if col.kind == "category":
            # Match each category once, then map through the codes.
            assert col.codes is not None
            ok = np.array(
                [
                    i != col.missing_code and bool(rx.search(cat))
                    for i, cat in enumerate(col.categories)
                ],
                dtype=bool,
            )
            hits |= ok[col.codes]
        else:
            texts = (col.text(i) for i in range(n))  # formatted once per row
            hits |= np.fromiter(
                (t is not None and bool(rx.search(t)) for t in texts), dtype=bool, count=n
            )
    return np.flatnonzero(hits).astype(np.int64)
