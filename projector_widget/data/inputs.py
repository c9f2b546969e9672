"""Validate the embeddings: any array-like becomes one float32 matrix, or a precise error.

Everything a user passes as embeddings to :class:`~projector_widget.Projector` goes through this
module first, so that a mistake fails here with a message that says what was received and what
is expected, never later as a blank widget. Metadata has its own module, ``columns.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.data.embeddings import is_out_of_core, needs_memory

_ROW_CHUNK = 65536


@dataclass(frozen=True)
class Matrix:
    """The validated embeddings: a C-contiguous float32 (N, D) matrix and its squared row norms."""

    values: npt.NDArray[np.float32]
    sq_norms: npt.NDArray[np.float32]

    @property
    def n(self) -> int:
        """Number of rows (points)."""
        return int(self.values.shape[0])

    @property
    def dims(self) -> int:
        """Number of columns (embedding dimensions)."""
        return int(self.values.shape[1])


def _describe(obj: object) -> str:
    """Short description of an object for error messages."""
    shape = getattr(obj, "shape", None)
    kind = type(obj).__name__
    if shape is not None:
        return f"{kind} of shape {tuple(shape)}"
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return f"{kind} of length {len(obj)}"
    return kind


def _to_numpy(obj: object) -> np.ndarray:
    """Turn an array-like (NumPy, lists, TensorFlow, PyTorch, pandas, JAX ...) into an ndarray."""
    if isinstance(obj, np.ndarray):
        return obj
    if is_out_of_core(obj):  # never a silent copy of a larger-than-memory array
        raise needs_memory("this function", tuple(obj.shape))  # type: ignore[attr-defined]
    if isinstance(obj, (str, bytes, Mapping)) or obj is None:
        raise TypeError(
            f"embeddings must be a 2-D array-like of numbers (n_points, n_dims); got {_describe(obj)}"
        )
    # PyTorch: tensors that require grad or live on a GPU refuse __array__; say how to fix it.
    if hasattr(obj, "detach") and hasattr(obj, "cpu") and hasattr(obj, "requires_grad"):
        try:
            obj = obj.detach().cpu()
        except Exception as exc:  # pragma: no cover - depends on the tensor library
            raise TypeError(
                f"could not copy the tensor to the CPU ({exc}); pass tensor.detach().cpu().numpy()"
            ) from exc
    if hasattr(obj, "to_numpy") and callable(obj.to_numpy) and not hasattr(obj, "__array__"):
        obj = obj.to_numpy()
    try:
        return np.asarray(obj)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(
                "embeddings are ragged: every row must have the same number of dimensions "
                f"({exc}); got {_describe(obj)}"
            ) from None
        raise


def as_matrix(embeddings: object, *, copy: bool | None = None) -> Matrix:
    """Validate ``embeddings`` and return them as a C-contiguous float32 :class:`Matrix`.

    Accepts NumPy arrays of any real integer or float dtype, nested lists, and objects with
    ``__array__`` (TensorFlow tensors and variables, PyTorch CPU tensors, pandas). Other dtypes
    are converted (a copy). What the kernel keeps can never change behind its back, because
    its norms, PCA and answers would silently go stale:

    * ``copy=None`` (default): a float32 C-contiguous NumPy array is used in place, without a
      copy, and marked read-only, so changing it later in place raises instead of corrupting
      answers (``np.memmap`` opened read-only, ``mode="r"``, stays as it is); other array-likes
      that share memory (a PyTorch tensor) are copied, since they cannot be frozen;
    * ``copy=True``: always a copy of its own (your array stays writable);
    * ``copy=False``: never copy when the memory can be shared; a NumPy array is frozen as
      above, and other array-likes must not be changed while the widget lives.

    Raises
    ------
    TypeError
        when the values are not real numbers.
    ValueError
        when the input is not 2-D, is empty or ragged, or has NaN/Inf (the first bad row is named).
    """
    arr = source = _to_numpy(embeddings)
    if arr.dtype == object:
        # pandas' nullable columns (Int64, Float64) hold pd.NA: read as NaN, which the
        # finiteness check then names by row, like NaN in any other array.
        arr = (
            np.where([[type(v).__name__ == "NAType" for v in row] for row in arr], np.nan, arr)
            if arr.ndim == 2
            else arr
        )
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                "embeddings must contain only numbers; got an array of Python objects "
                f"of shape {arr.shape} that could not be converted to float"
            ) from None
    kind = arr.dtype.kind
    if kind not in "fiub":
        what = {"c": "complex numbers", "U": "strings", "S": "bytes", "M": "datetimes"}.get(
            kind, f"dtype {arr.dtype}"
        )
        raise TypeError(
            f"embeddings must be real numbers (float or int); got {what} of shape {arr.shape}"
        )
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = "; for one value per point use x.reshape(-1, 1)"
        elif arr.ndim > 2:
            hint = "; flatten each item first, e.g. x.reshape(len(x), -1)"
        raise ValueError(
            f"embeddings must be a 2-D array of shape (n_points, n_dims); "
            f"got {arr.ndim}-D with shape {arr.shape}{hint}"
        )
    n, d = arr.shape
    if n == 0 or d == 0:
        raise ValueError(
            f"embeddings are empty (shape {arr.shape}); need at least one point with one dimension"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.ascontiguousarray(arr, dtype=np.float32)
    sq_norms = _squared_norms_checked(values, source_dtype=arr.dtype)
    return Matrix(values=_kept(values, source, embeddings, copy), sq_norms=sq_norms)


def _kept(
    values: npt.NDArray[np.float32], source: np.ndarray, given: object, copy: bool | None
) -> Any:
    """``values`` as the kernel keeps them: its own copy, or memory nobody can write any more.

    ``source`` is the array made of ``given`` (the user's object) before the float32 view.
    """
    if not np.may_share_memory(values, source):
        return values  # converted: already the kernel's own
    if not _writable_anywhere(values):
        return values  # read-only down to its owner (np.memmap opened with mode "r")
    owns = isinstance(given, np.ndarray) and _owner(given) is given
    if copy is True or (copy is None and not owns):
        # A view of a larger array, or an array-like that cannot be frozen (a PyTorch tensor):
        # its owner could still change it, so the kernel keeps a copy.
        return values.copy()
    if isinstance(given, np.ndarray):
        given.setflags(write=False)
    frozen = values.view()
    frozen.setflags(write=False)
    return frozen


def _owner(a: np.ndarray) -> object:
    """The object at the end of ``a``'s chain of bases: the array that owns the memory, or a
    buffer (mmap, bytes) when no array does."""
    owner: object = a
    while isinstance(owner, np.ndarray) and owner.base is not None:
        owner = owner.base
    return owner


def _writable_anywhere(a: np.ndarray) -> bool:
    """Whether ``a`` or any array or buffer its memory comes from can still be written."""
    node: object = a
    while isinstance(node, np.ndarray):
        if node.flags.writeable:
            return True
        node = node.base
    if node is None:
        return False
    try:
        return not memoryview(node).readonly  # type: ignore[arg-type]
    except TypeError:
        return True


def _squared_norms_checked(
    x: npt.NDArray[np.float32], *, source_dtype: np.dtype
) -> npt.NDArray[np.float32]:
    """Squared row norms of ``x``; raise ValueError naming the first row with NaN or Inf.

    The norms are wanted anyway (cosine neighbours, total variance) and NaN/Inf propagate into
    them, so this single pass is also the finiteness check. A finite row whose squared norm
    overflows float32 is reported as too large rather than as NaN/Inf.
    """
    out = squared_norms(x)
    bad = BadRows.find(x, out)
    if bad is not None:
        raise bad.error(
            "Drop or impute them first, e.g. emb[np.isfinite(emb).all(axis=1)]",
            wide_source=source_dtype.kind == "f" and np.dtype(source_dtype).itemsize > 4,
        )
    return out


def squared_norms(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Squared row norms of ``x`` in float32: NaN or Inf where a row is not finite or its
    squared norm overflows float32."""
    n = x.shape[0]
    out = np.empty(n, dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n, _ROW_CHUNK):
            chunk = x[start : start + _ROW_CHUNK]
            np.einsum("ij,ij->i", chunk, chunk, out=out[start : start + _ROW_CHUNK])
    return out


@dataclass(frozen=True)
class BadRows:
    """Rows that cannot be embeddings: how many, and the first (its row, a column, what is
    wrong there). Every backend refuses them with :meth:`error`, before any native code sees
    them: a NaN, an Inf, or a row whose squared norm overflows float32 (where distances and
    sums of squares become Inf, and PCA, t-SNE and UMAP NaN or worse)."""

    count: int
    row: int
    column: int
    what: str  # "NaN", "Inf" or "too large"
    value: float

    @classmethod
    def find(cls, x: npt.NDArray[np.float32], sq_norms: npt.NDArray[np.float32]) -> BadRows | None:
        """The bad rows of ``x`` given its :func:`squared_norms` (None when every row is fine)."""
        bad = np.flatnonzero(~np.isfinite(sq_norms))
        if not bad.size:
            return None
        first = int(bad[0])
        row = np.asarray(x[first], np.float32)
        not_finite = np.flatnonzero(~np.isfinite(row))
        if not_finite.size:
            col = int(not_finite[0])
            what = "NaN" if math.isnan(row[col]) else "Inf"
        else:
            col, what = int(np.argmax(np.abs(row))), "too large"
        return cls(int(bad.size), first, col, what, float(row[col]))

    def shifted(self, start: int) -> BadRows:
        """The same rows numbered from ``start`` (a chunk's first row in the whole array)."""
        return BadRows(self.count, self.row + int(start), self.column, self.what, self.value)

    def merged(self, other: BadRows | None) -> BadRows:
        """The bad rows of two sets of rows: both counted, the first of the two named."""
        if other is None:
            return self
        first = self if self.row <= other.row else other
        return BadRows(self.count + other.count, first.row, first.column, first.what, first.value)

    def error(self, drop_hint: str, *, wide_source: bool = False) -> ValueError:
        """The ValueError that names the first bad row and column and says what to do;
        ``drop_hint`` says how to drop non-finite rows where the embeddings are."""
        if self.what == "too large":
            return ValueError(
                f"embeddings row {self.row} has values too large to square in float32 "
                f"({self.value:.3g} at column {self.column}); {self.count} row(s) in all are too "
                "large or not finite. Rescale the embeddings (divide every value by the same "
                "constant: projections do not depend on the scale)"
            )
        extra = " (or a value too large for float32)" if wide_source else ""
        return ValueError(
            f"embeddings contain {self.what}{extra} at row {self.row}, column {self.column}; "
            f"{self.count} row(s) in all are not finite. {drop_hint}"
        )


def check_dimensions(value: object) -> None:
    """ValueError unless ``value`` is 2 or 3 (the view's dimensions)."""
    if value not in (2, 3) or isinstance(value, bool):
        raise ValueError(f"dimensions must be 2 or 3, got {value!r}")
