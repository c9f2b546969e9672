"""Custom linear projection, as in the TF projector: axes defined by two text queries each.

Each axis runs from the mean vector of the rows matching its *left* query to the mean vector of
the rows matching its *right* query. The Y axis is made orthogonal to X (Gram-Schmidt) so the
view is not sheared; a missing Y (or Z) axis is the leading principal direction orthogonal to
the ones given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.projections.base import Inputs, Layout, Method
from projector_widget.compute.search import search
from projector_widget.data.columns import Column


def axis_vector(
    x: npt.NDArray[np.float32],
    columns: list[Column],
    column: str | None,
    left: str,
    right: str,
    *,
    regex: bool = False,
    rows: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.float64]:
    """mean(rows matching ``right``) - mean(rows matching ``left``), in the embedding space."""
    means = []
    for side, query in (("left", left), ("right", right)):
        if not query:
            raise ValueError(f"the {side} query of a custom axis is empty")
        hits = search(columns, query, column=column, regex=regex)
        if rows is not None:
            hits = np.intersect1d(hits, rows)
        if hits.size == 0:
            where = f"column {column!r}" if column else "any column"
            raise ValueError(f"no point matches the {side} query {query!r} in {where}")
        means.append(x[hits].mean(axis=0, dtype=np.float64))
    vec = means[1] - means[0]
    if not np.any(vec):
        raise ValueError(
            f"the queries {left!r} and {right!r} match points with the same mean: the axis is zero"
        )
    return vec


def custom_projection(
    x: npt.NDArray[np.float32],
    columns: list[Column],
    params: dict[str, Any],
    *,
    dims: int,
    principal: npt.NDArray[np.float32],
    rows: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
    """Coordinates (N, dims) and the orthonormal axes (dims, D) of a custom projection.

    ``params``: ``{"column": str | None, "x": [left, right], "y": [left, right] | None,
    "regex": bool}``. ``principal`` (k, D) supplies directions for axes not given.
    """
    column = params.get("column") or None
    regex = bool(params.get("regex", False))
    xq = params.get("x")
    if not xq or len(xq) != 2:
        raise ValueError("a custom projection needs x=(left_query, right_query)")
    given = [axis_vector(x, columns, column, xq[0], xq[1], regex=regex, rows=rows)]
    yq = params.get("y")
    if yq:
        if len(yq) != 2:
            raise ValueError("y must be (left_query, right_query) or None")
        given.append(axis_vector(x, columns, column, yq[0], yq[1], regex=regex, rows=rows))
    axes: list[npt.NDArray[np.float64]] = []
    for vec in [*given, *principal.astype(np.float64)]:
        v = vec.copy()
        for a in axes:
            v -= (v @ a) * a
        norm = float(np.linalg.norm(v))
        if norm > 1e-9 * max(1.0, float(np.linalg.norm(vec))):
            axes.append(v / norm)
        if len(axes) == dims:
            break
    basis = np.asarray(axes)
    coords = (x @ basis.T.astype(np.float32)).astype(np.float32)
    return coords, basis


# ----------------------------------------------------------------------------- the method
_PARAMS = ("column", "x", "y", "regex")


def _axis(name: str, value: object) -> list[str]:
    """A custom axis ``(left_query, right_query)``: two strings, neither empty; ValueError."""
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(q, str) for q in value)
    ):
        raise ValueError(
            f"a custom projection needs {name}=(left_query, right_query), two strings; "
            f"got {value!r}"
        )
    for side, query in zip(("left", "right"), value, strict=True):
        if not query:
            raise ValueError(f"the {side} query of the custom {name} axis is empty")
    return list(value)


def _check(params: dict[str, Any], _inputs: Inputs) -> dict[str, Any]:
    """The parameters' shapes (whether the queries match rows is known when it runs)."""
    unknown = set(params) - set(_PARAMS)
    if unknown:
        raise ValueError(f"unknown custom-projection parameter(s) {sorted(unknown)}")
    column, regex = params.get("column"), params.get("regex", False)
    if column is not None and not isinstance(column, str):
        raise ValueError(f"the custom projection's column must be a name or None, got {column!r}")
    if not isinstance(regex, (bool, np.bool_)):
        raise ValueError(f"the custom projection's regex must be True or False, got {regex!r}")
    y = params.get("y")
    return {
        "column": column,
        "x": _axis("x", params.get("x")),
        "y": None if y is None or (isinstance(y, (list, tuple)) and not y) else _axis("y", y),
        "regex": bool(regex),
    }


def _run(inputs: Inputs, params: dict[str, Any]) -> Layout:
    coords, axes = custom_projection(
        inputs.values,
        inputs.columns,
        params,
        dims=3,
        principal=inputs.pca().components,
        rows=inputs.subset,
    )
    if inputs.subset is not None:
        coords = coords[inputs.subset]
    return Layout(coords, axes=axes)


METHOD = Method(
    name="custom",
    label="Custom",
    kind="instant",
    defaults={"column": None, "x": [], "y": None, "regex": False},
    check=_check,
    run=_run,
)
