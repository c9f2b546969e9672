"""The anywidget class: traits and the Python API. Thin: the work happens in pure modules."""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import numpy as np
import numpy.typing as npt
import traitlets

from . import encoding
from .inputs import Column, as_columns, as_matrix, columns_as_table
from .projections.pca import PCAResult, pca

_STATIC = pathlib.Path(__file__).parent / "static"
_ESM = _STATIC / "widget.js"
_CSS = _STATIC / "widget.css"

#: Principal components computed up front (the UI may show any of them later).
PCA_COMPONENTS = 10


def _normalize_selection(value: Any, n: int) -> npt.NDArray[np.int64]:
    """Sorted unique int64 indices from ``value``; IndexError/ValueError when invalid."""
    if value is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(value, np.ndarray) and value.dtype == bool:
        if value.shape != (n,):
            raise ValueError(
                f"a boolean selection mask must have shape ({n},), one flag per point; "
                f"got shape {value.shape}"
            )
        return np.flatnonzero(value).astype(np.int64)
    arr = np.asarray(list(value) if isinstance(value, (set, frozenset)) else value)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(
                f"selected must be integer row indices; got values of dtype {arr.dtype}"
            )
    arr = arr.astype(np.int64).reshape(-1)
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        raise IndexError(
            f"selected index {int(bad[0])} is out of range: the projector has {n} points "
            f"(valid indices are 0 to {n - 1})"
        )
    return np.unique(arr)


class SelectionTrait(traitlets.TraitType):
    """A sorted unique int64 index array, validated against the widget's point count.

    Notifies only when the indices really change (NumPy arrays do not compare to a bool).
    """

    info_text = "row indices (a sequence of ints or a boolean mask)"
    default_value = np.zeros(0, dtype=np.int64)

    def validate(self, obj: Any, value: Any) -> npt.NDArray[np.int64]:
        """Check and normalise ``value``; raise IndexError/ValueError, leaving the old value."""
        out = _normalize_selection(value, obj._n)
        out.setflags(write=False)
        return out

    def set(self, obj: Any, value: Any) -> None:
        """Store the new indices and notify observers only when they differ from the old ones."""
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(self.name, self.default_value)
        if isinstance(old_value, np.ndarray) and np.array_equal(old_value, new_value):
            return
        obj._trait_values[self.name] = new_value
        obj._notify_trait(self.name, old_value, new_value)


def _selection_to_json(value: npt.NDArray[np.int64], widget: Any) -> dict[str, Any]:
    return encoding.encode_selection(value)


def _selection_from_json(value: Any, widget: Any) -> npt.NDArray[np.int64]:
    return encoding.decode_selection(value)


class Projector(anywidget.AnyWidget):
    """An embedding projector in a notebook cell.

    Parameters
    ----------
    embeddings:
        (N, D) array-like of numbers: NumPy, nested lists, TensorFlow/PyTorch tensors, pandas.
    metadata:
        One label per row, a dict of equal-length columns, or a pandas DataFrame; optional.
    color_by:
        Column to colour by; by default the first categorical column.
    dimensions:
        2 or 3: the initial view (the UI switches between them).
    height:
        Height of the widget in pixels; the width fills the cell.
    point_size:
        Point diameter in pixels; 0 chooses one from the number of points.
    selected:
        Initially selected row indices.

    Examples
    --------
    >>> w = Projector(embeddings, {"label": labels})  # doctest: +SKIP
    >>> w.selected = [3, 17, 42]                        # doctest: +SKIP
    """

    _esm = (
        _ESM
        if _ESM.exists()
        else "export default { render({ el }) { el.textContent = 'projector-widget: the frontend bundle is missing (run `npm run build`).'; } };"
    )
    _css = _CSS if _CSS.exists() else ""

    _points = traitlets.Dict().tag(sync=True)
    _columns = traitlets.List().tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    selected = SelectionTrait().tag(
        sync=True, to_json=_selection_to_json, from_json=_selection_from_json
    )
    dimensions = traitlets.Int(3).tag(sync=True)
    height = traitlets.Int(520).tag(sync=True)
    point_size = traitlets.Float(0.0).tag(sync=True)

    def __init__(
        self,
        embeddings: Any,
        metadata: Any = None,
        *,
        color_by: str | None = None,
        dimensions: int = 3,
        height: int = 520,
        point_size: float = 0.0,
        selected: Any = None,
        **kwargs: Any,
    ) -> None:
        if not _ESM.exists():
            raise RuntimeError(
                f"the frontend bundle {_ESM} is missing: install the package with "
                "`pip install .` (which builds it) or run `npm install && npm run build`"
            )
        matrix = as_matrix(embeddings)
        columns = as_columns(metadata, matrix.n)
        self._matrix = matrix
        self._n = matrix.n
        self._column_list: list[Column] = columns
        self._pca: PCAResult = pca(matrix.values, PCA_COMPONENTS, sq_norms=matrix.sq_norms)
        _check_dimensions(dimensions)
        if color_by is None:
            color_by = _default_color_column(columns)
        _check_color_by(color_by, columns)
        super().__init__(
            _columns=[encoding.encode_column(c) for c in columns],
            _points=encoding.encode_points(self._coords_for(dimensions)),
            color_by=color_by,
            dimensions=dimensions,
            height=height,
            point_size=point_size,
            **kwargs,
        )
        if selected is not None:
            self.selected = selected
        self.on_msg(self._on_custom_msg)

    # ------------------------------------------------------------------ read-only views
    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._n

    @property
    def embeddings(self) -> npt.NDArray[np.float32]:
        """The validated (N, D) float32 embeddings kept in the kernel."""
        return self._matrix.values

    @property
    def metadata(self) -> Any:
        """The metadata columns: a pandas DataFrame when pandas is installed, else a dict of lists."""
        return columns_as_table(self._column_list)

    @property
    def columns(self) -> dict[str, str]:
        """Column names mapped to their kind: 'category', 'number' or 'text'."""
        return {c.name: c.kind for c in self._column_list}

    @property
    def coordinates(self) -> npt.NDArray[np.float32]:
        """The current projection's (N, dimensions) float32 coordinates (before quantisation)."""
        return self._coords_for(self.dimensions)

    @property
    def explained_variance_ratio(self) -> npt.NDArray[np.float64]:
        """Fraction of the total variance along each principal component."""
        return self._pca.explained_variance_ratio

    # ------------------------------------------------------------------ traits
    def _coords_for(self, dims: int) -> npt.NDArray[np.float32]:
        coords = self._pca.coords[:, :dims]
        if coords.shape[1] < dims:
            pad = np.zeros((self._n, dims - coords.shape[1]), np.float32)
            coords = np.hstack([coords, pad])
        return coords

    @traitlets.validate("dimensions")
    def _validate_dimensions(self, proposal: dict[str, Any]) -> int:
        _check_dimensions(proposal["value"])
        return int(proposal["value"])

    @traitlets.validate("color_by")
    def _validate_color_by(self, proposal: dict[str, Any]) -> str:
        _check_color_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.observe("dimensions")
    def _on_dimensions(self, change: dict[str, Any]) -> None:
        self._points = encoding.encode_points(self._coords_for(change["new"]))

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "row":
            return
        index = content.get("index")
        if not isinstance(index, int) or not 0 <= index < self._n:
            return
        values = [[c.name, c.format(index)] for c in self._column_list]
        self.send({"type": "row", "index": index, "values": values})


def _check_dimensions(value: Any) -> None:
    if value not in (2, 3) or isinstance(value, bool):
        raise ValueError(f"dimensions must be 2 or 3, got {value!r}")


def _default_color_column(columns: list[Column]) -> str:
    for kind in ("category", "number"):
        for c in columns:
            if c.kind == kind:
                return c.name
    return ""


def _check_color_by(name: str, columns: list[Column]) -> None:
    if name == "":
        return
    colorable = [c.name for c in columns if c.kind in ("category", "number")]
    if name not in colorable:
        kinds = {c.name: c.kind for c in columns}
        why = (
            f"column {name!r} holds free text (too many distinct values to colour)"
            if kinds.get(name) == "text"
            else f"there is no metadata column {name!r}"
        )
        raise ValueError(
            f"cannot colour by {name!r}: {why}; choose one of {colorable} or '' for none"
        )
