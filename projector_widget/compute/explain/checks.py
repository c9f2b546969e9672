"""The input checks the explain modules share, and the optional imports they need.

Quality (:mod:`.quality`), clusters (:mod:`.clusters`), their names (:mod:`.naming`) and the
alignment of layouts (:mod:`projector_widget.compute.alignment`) take arrays from the user: each
check here returns its input in the form the computation needs, or raises an error that says
what to fix, so one input is checked the same way, with the same message, wherever it goes.
:func:`optional_import` loads a dependency of the ``explain`` extra inside the function that
needs it, or says which extra to install.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.util.extras import imported, install_line

INSTALL_HINT = install_line("explain")

FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.int64]
#: A cluster number per point, -1 for noise.
Labels = npt.NDArray[np.int32]


def optional_import(name: str, why: str) -> Any:
    """Module ``name``, or :class:`~projector_widget.util.extras.MissingExtra` saying ``why``
    it is needed and the extra to install."""
    return imported(name, f"{why}, which is not installed", "explain")


def check_matrix(obj: npt.ArrayLike, name: str) -> FloatArray:
    """``obj`` as a 2-D array of real numbers with finite values (float64 unless it is
    floating already).

    Raises TypeError for what is not real numbers, ValueError for another shape or NaN or
    infinite values (naming how many rows and the first).
    """
    try:
        a = np.asarray(obj)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a 2-D array of numbers: {err}") from None
    if a.dtype == object or not (
        np.issubdtype(a.dtype, np.number) or np.issubdtype(a.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a 2-D array of numbers, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real numbers, got dtype {a.dtype}")
    if a.ndim != 2 or a.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-D array (rows, columns), got shape {a.shape}")
    a = a.astype(np.float64, copy=False) if not np.issubdtype(a.dtype, np.floating) else a
    _check_finite_rows(a, name, "values", "rows")
    return a


def _check_finite_rows(a: np.ndarray, name: str, what: str, rows: str) -> None:
    """Raise a ValueError naming how many rows of ``a`` hold NaN or infinite ``what``, and
    the first of them."""
    # A block of rows at a time: no boolean copy of the whole array (1M x 768: 0.8 GB).
    step = max(1, (1 << 24) // max(1, a.shape[1]))
    finite = np.concatenate(
        [np.isfinite(a[s : s + step]).all(axis=1) for s in range(0, a.shape[0], step)] or [[]]
    ).astype(bool)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValueError(
            f"{name} has NaN or infinite {what} in {bad.size} rows (first: row {bad[0]}); "
            f"drop or fill those {rows} first"
        )


def check_layout(obj: npt.ArrayLike, name: str = "the layout") -> npt.NDArray[np.float64]:
    """``obj`` as a float64 (N, dims) array with N >= 1 and finite coordinates.

    Raises TypeError for what is not numbers, ValueError for another shape or NaN or infinite
    coordinates (naming how many rows and the first).
    """
    try:
        a = np.asarray(obj, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an (N, dims) array of numbers: {err}") from None
    if a.ndim != 2 or a.shape[1] < 1 or a.shape[0] < 1:
        raise ValueError(f"{name} must be an (N, dims) array with N >= 1, got shape {a.shape}")
    _check_finite_rows(a, name, "coordinates", "points")
    return a


def normalised(a: FloatArray) -> npt.NDArray[np.float64]:
    """``a`` (finite) in float64, divided by its largest absolute value and centred.

    Distances keep their order (ranks, nearest neighbours and HDBSCAN's clusters do not depend
    on the scale), and coordinates as large as 1e300 no longer overflow when squared.
    """
    out = np.array(a, dtype=np.float64)
    if out.size == 0:
        return out
    top = float(np.abs(out).max())
    if top > 0:
        out /= top
    out -= out.mean(axis=0)
    return out


def check_indices(idx: IntArray, n: int, what: str) -> None:
    """Raise ValueError unless every index of ``idx`` names one of ``n`` rows (the compiled
    scans read ``scores[idx]`` unchecked)."""
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(
            f"{what} gave a neighbour index outside 0..{n - 1} (the coordinates are probably "
            "too large or too close together to be told apart); rescale the layout"
        )


def check_labels(obj: npt.ArrayLike, n: int | None = None) -> Labels:
    """``obj`` as int32 cluster labels (-1: noise), one per point of a layout of ``n`` points
    when ``n`` is given; ValueError for anything else."""
    a = np.asarray(obj)
    if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
        raise ValueError(
            f"labels must be a 1-D array of integers, got {a.dtype} of shape {a.shape}"
        )
    if n is not None and a.size != n:
        raise ValueError(f"labels has {a.size} entries but the layout has {n} points")
    if a.size and a.min() < -1:
        raise ValueError(f"labels must be cluster numbers >= 0 or -1 for noise, got {a.min()}")
    return a.astype(np.int32, copy=False)


def int_at_least(name: str, value: object, least: int) -> int:
    """``value`` as an int, or ValueError naming the argument ``name`` unless it is an integer
    of at least ``least``."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < least:
        raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)
