"""How faithful a layout is to its data: trustworthiness, continuity and neighbours kept per point.

For each point i, let ``N_high(i)`` be its k nearest neighbours in the original space and
``N_low(i)`` its k nearest in the layout, and ``r_high(i, j)`` the rank of j among the distances
from i in the original space (1 = nearest), ``r_low`` the same in the layout. Following Venna &
Kaski (2001), with the rank penalty:

* trustworthiness ``T = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_low(i)} max(0, r_high(i, j) - k)``
  (points that look close in the layout but are not), the measure
  ``sklearn.manifold.trustworthiness`` computes;
* continuity, the same with the spaces swapped (true neighbours torn apart by the layout);
* per point, ``|N_high(i) & N_low(i)| / k``: the fraction of its neighbours the layout kept.

Both sums need the rank of a neighbour from one space among *all* distances in the other, so an
exact answer reads every pair once. The search goes a block of rows at a time: one BLAS product
gives the block's distances to every row in the original space (the data are centred first, so
``|x_l|^2 - 2 x_i.x_l`` loses little to rounding), and a scan of each row counts the distances
below each of the k thresholds it needs and keeps the k smallest. The layout's distances are
computed exactly in float64 (two or three columns). With numba installed the scan is one
compiled pass per row on every core (compiled on first use and cached on disk); without it,
NumPy does the same with one pass per threshold (same answers, several times slower). Rows are
compared in float64 up to ``FLOAT64_MAX_ROWS`` points and in float32 above (distances within
float32 rounding of each other may then rank either way). Tied distances share the best rank
(scikit-learn orders ties as its sort happens to, so the two agree exactly when there are none).

Above ``max_exact`` rows the report is estimated on a random sample of rows: each sampled row's
ranks are still exact against every row, so the two scores are unbiased estimates (their
standard error is printed by ``QualityReport``'s repr) and ``kept`` is NaN for rows outside the
sample; ``exact`` is False.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .neighbors import check_metric
from .progress import Reporter

INSTALL_HINT = 'pip install "projector-widget[explain]"'
#: Up to this many rows every distance is compared in float64; above, in float32.
FLOAT64_MAX_ROWS = 20_000
#: Above this many rows the report is computed on a sample of rows unless told otherwise.
MAX_EXACT_ROWS = 200_000
#: Rows evaluated when sampling.
SAMPLE_ROWS = 2_000
#: Distance values held per block of rows (the block's rows x all rows): 128 MiB of float32.
_BLOCK_VALUES = 1 << 25
#: Below this many rows the NumPy scan is used even when numba is installed (loading or
#: compiling the compiled scan costs more than the scan itself on small inputs).
_NUMBA_MIN_ROWS = 10_000

Kernel = Literal["auto", "numba", "numpy"]
FloatArray = npt.NDArray[np.floating[Any]]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class QualityReport:
    """Trustworthiness and continuity of a layout, and the neighbours it keeps per point.

    Attributes
    ----------
    trustworthiness, continuity:
        Scores in [0, 1] (1: every layout neighbour is a true neighbour, resp. every true
        neighbour stays a layout neighbour); estimates when ``exact`` is False.
    kept:
        (N,) float32, per point the fraction of its k nearest neighbours in the original space
        that are among its k nearest in the layout; NaN for points outside the sample.
    k:
        Neighbours per point.
    exact:
        True when every row was evaluated; False for a sampled estimate.
    evaluated:
        Rows whose neighbourhoods were evaluated (N when exact).
    metric:
        Distance in the original space ("euclidean" or "cosine"; the layout is Euclidean).
    trustworthiness_se, continuity_se:
        Standard errors of the estimates (0.0 when exact).
    """

    trustworthiness: float
    continuity: float
    kept: npt.NDArray[np.float32] = field(repr=False)
    k: int
    exact: bool
    evaluated: int
    metric: str
    trustworthiness_se: float = 0.0
    continuity_se: float = 0.0


def layout_quality(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    k: int = 10,
    metric: str = "euclidean",
    *,
    max_exact: int = MAX_EXACT_ROWS,
    sample: int = SAMPLE_ROWS,
    seed: int = 0,
    kernel: Kernel = "auto",
    progress: Reporter | None = None,
) -> QualityReport:
    """Return the :class:`QualityReport` of layout ``low`` (N, 2 or 3) for data ``high`` (N, D).

    ``k`` neighbours per point (``1 <= k < N / 2``, the range the normalisation of the scores
    holds for); ``metric`` is the distance in ``high``. Every pair of rows is compared when
    N <= ``max_exact``; above, ``sample`` random rows (fixed by ``seed``) are evaluated against
    every row. ``kernel`` chooses the scan: numba when installed and worth compiling ("auto"),
    or one of "numba" and "numpy" (the same answers). ``progress`` (a
    :class:`~projector_widget.progress.Reporter`) hears two phases, the rows ranked in the
    original space and then in the layout.

    Raises ValueError for non-finite values, mismatched row counts, a k out of range, an unknown
    metric, or an all-zero row under the cosine metric; ImportError when scipy (for the layout's
    neighbour search) or a requested numba is missing.
    """
    x = _as_matrix(high, "high")
    y = _as_matrix(low, "low")
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(
            f"the layout has {y.shape[0]} rows but the data have {n}; each layout row must place "
            "the data row of the same index"
        )
    k = _check_k(k, n)
    m = check_metric(metric)
    max_exact = _positive_int("max_exact", max_exact)
    sample = _positive_int("sample", sample)
    if kernel not in ("auto", "numba", "numpy"):
        raise ValueError(f"kernel must be 'auto', 'numba' or 'numpy', got {kernel!r}")

    exact = n <= max_exact or sample >= n
    if exact:
        rows = np.arange(n, dtype=np.int64)
    else:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, size=sample, replace=False)).astype(np.int64)
    scans = _choose_scan(kernel, n)
    dtype = np.float64 if n <= FLOAT64_MAX_ROWS else np.float32
    xs = _prepared(x, m, dtype)
    ys = normalised(y)  # ranks do not depend on the scale; 1e200 squared would overflow

    low_nbrs = _layout_neighbours(ys, k, rows)
    # Ranks of the layout's neighbours in the original space, and the original neighbours.
    report = progress or Reporter()
    report.phase("ranking neighbours in the original space", rows.size, unit="rows")
    high_counts, high_nbrs = _high_pass(xs, rows, low_nbrs, k, scans, done=report.update)
    # Ranks of the original neighbours in the layout.
    report.phase("ranking neighbours in the layout", rows.size, unit="rows")
    low_counts, _ = _low_pass(ys, rows, high_nbrs, k, scans, done=report.update)

    # rank = 1 + (rows strictly closer); a neighbour ranked within k costs nothing.
    t_pen = np.maximum(high_counts + 1 - k, 0).sum(axis=1, dtype=np.float64)
    c_pen = np.maximum(low_counts + 1 - k, 0).sum(axis=1, dtype=np.float64)
    norm = 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0))
    scale = n / rows.size
    t_terms, c_terms = norm * scale * t_pen, norm * scale * c_pen
    kept = np.full(n, np.nan, np.float32)
    kept[rows] = shared_neighbours(high_nbrs, low_nbrs) / np.float32(k)
    return QualityReport(
        trustworthiness=float(1.0 - t_terms.sum()),
        continuity=float(1.0 - c_terms.sum()),
        kept=kept,
        k=k,
        exact=exact,
        evaluated=int(rows.size),
        metric=m,
        trustworthiness_se=0.0 if exact else _standard_error(t_terms),
        continuity_se=0.0 if exact else _standard_error(c_terms),
    )


def exact_neighbours(
    data: npt.ArrayLike,
    k: int = 10,
    metric: str = "euclidean",
    *,
    kernel: Kernel = "auto",
) -> IntArray:
    """The (N, k) indices of every row's k nearest other rows in ``data``, nearest first.

    Exact brute force (a BLAS product per block of rows and a scan), in float64 up to
    ``FLOAT64_MAX_ROWS`` rows and float32 above. Raises ValueError like :func:`layout_quality`.
    """
    x = _as_matrix(data, "data")
    n = int(x.shape[0])
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k < n:
        raise ValueError(f"k must be an integer from 1 to {n - 1} (rows - 1), got {k!r}")
    m = check_metric(metric)
    if kernel not in ("auto", "numba", "numpy"):
        raise ValueError(f"kernel must be 'auto', 'numba' or 'numpy', got {kernel!r}")
    xs = _prepared(x, m, np.float64 if n <= FLOAT64_MAX_ROWS else np.float32)
    rows = np.arange(n, dtype=np.int64)
    _, nbrs = _high_pass(xs, rows, np.zeros((n, 0), np.int64), int(k), _choose_scan(kernel, n))
    return nbrs


# --- validation -----------------------------------------------------------------------------


def _as_matrix(obj: npt.ArrayLike, name: str) -> FloatArray:
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
    finite = np.isfinite(a).all(axis=1)
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


def _check_k(k: object, n: int) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise ValueError(f"k must be an integer, got {k!r}")
    if not 1 <= k < n / 2:
        raise ValueError(
            f"k must be at least 1 and below half the number of points ({n} points: k < {n / 2:g}),"
            f" got {k}; the scores' normalisation 2 / (n k (2n - 3k - 1)) needs k < n / 2"
        )
    return int(k)


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _prepared(x: FloatArray, metric: str, dtype: type[np.floating[Any]]) -> FloatArray:
    """Rows ready for Euclidean ranking, with their squared norms as a last column.

    Unit rows for cosine (the same order as cosine distance), centred rows otherwise (the same
    distances, less rounding). The extra column lets one product of ``[-2 x_i, 1]`` with the
    result give ``|x_l|^2 - 2 x_i.x_l``, which orders rows as ``|x_i - x_l|`` does.
    """
    out = np.empty((x.shape[0], x.shape[1] + 1), dtype)
    step = 65_536
    # Divided by the largest |value| first: the order of distances stays, and squares of values
    # up to float64's largest no longer overflow (nor do the cosine norms).
    # A block at a time, so no full-size copy of the data is made.
    blocks = range(0, x.shape[0], step)
    top = max((float(np.abs(x[s : s + step]).max()) for s in blocks), default=0.0) or 1.0
    mean = None
    if metric != "cosine":
        total = sum((x[s : s + step].astype(np.float64) / top).sum(axis=0) for s in blocks)
        mean = np.asarray(total, dtype=np.float64) / max(x.shape[0], 1)
    for s in range(0, x.shape[0], step):
        block = x[s : s + step].astype(np.float64) / top
        if mean is None:
            norms = np.linalg.norm(block, axis=1)
            zero = np.flatnonzero(norms == 0)
            if zero.size:
                raise ValueError(
                    f"row {s + zero[0]} is all zeros; cosine distance is undefined for it: "
                    "drop such rows or use metric='euclidean'"
                )
            block /= norms[:, None]
        else:
            block -= mean
        out[s : s + step, :-1] = block
        out[s : s + step, -1] = np.einsum("ij,ij->i", block, block)
    return out


def _standard_error(terms: npt.NDArray[np.float64]) -> float:
    """Standard error of ``terms.sum()`` as an estimate from a sample of ``terms.size`` rows."""
    s = terms.size
    return float(np.std(terms, ddof=1) * s / math.sqrt(s)) if s > 1 else float("nan")


def shared_neighbours(a: IntArray, b: IntArray) -> npt.NDArray[np.int64]:
    """Per row, how many indices rows of ``a`` and ``b`` (same shape, no repeats) share."""
    out = np.empty(a.shape[0], np.int64)
    step = 65_536
    for s in range(0, a.shape[0], step):
        aa, bb = a[s : s + step], b[s : s + step]
        out[s : s + step] = (aa[:, :, None] == bb[:, None, :]).any(axis=2).sum(axis=1)
    return out


def optional_import(name: str, why: str) -> Any:
    """Module ``name``, or ImportError saying ``why`` it is needed and the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"{why}, which is not installed: {INSTALL_HINT}") from None


def _scipy_spatial() -> Any:
    """``scipy.spatial``, or ImportError naming the extra (scipy comes with scikit-learn)."""
    return optional_import("scipy.spatial", "This needs scipy (installed with scikit-learn)")


def _check_indices(idx: IntArray, n: int, what: str) -> None:
    """Raise ValueError unless every index of ``idx`` names one of ``n`` rows (the compiled
    scans read ``scores[idx]`` unchecked)."""
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(
            f"{what} gave a neighbour index outside 0..{n - 1} (the coordinates are probably "
            "too large or too close together to be told apart); rescale the layout"
        )


# --- the layout's neighbours ------------------------------------------------------------------


def _layout_neighbours(y: npt.NDArray[np.float64], k: int, rows: IntArray) -> IntArray:
    """The k nearest other points of ``rows`` in the layout (a k-d tree, exact)."""
    tree = _scipy_spatial().cKDTree(y)
    # One extra neighbour for the point itself; when duplicates tie with it, the tree may list
    # another point first, so drop the point itself wherever it is, else the last one found.
    _, idx = tree.query(y[rows], k=k + 1, workers=-1)
    idx = np.asarray(idx, dtype=np.int64)
    _check_indices(idx, y.shape[0], "the layout's k-d tree")
    is_self = idx == rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(rows.size), drop] = False
    return idx[keep].reshape(rows.size, k)


# --- the scans --------------------------------------------------------------------------------
#
# Per row of a block, given the indices ``others`` of its neighbours from the other space, a
# scan returns how many rows are strictly closer than each of those neighbours, and the row's k
# nearest other rows, nearest first (ties: lower index first). ``high`` takes the block's
# scores against every row (``|x_l|^2 - 2 x_i.x_l``, in the order of the distances; each row's
# own entry +inf); ``low`` computes exact squared distances in the layout from the block's row
# indices.


@dataclass(frozen=True)
class _Scans:
    """The two scans of one kernel (NumPy or numba)."""

    high: Callable[[FloatArray, IntArray, int], tuple[IntArray, IntArray]]
    low: Callable[[FloatArray, IntArray, IntArray, int], tuple[IntArray, IntArray]]


def _choose_scan(kernel: Kernel, n: int) -> _Scans:
    if kernel == "numpy" or (kernel == "auto" and n < _NUMBA_MIN_ROWS):
        return _Scans(high=_numpy_select, low=_numpy_low)
    try:
        return _numba_scans()
    except ImportError:
        if kernel == "numba":
            raise ImportError(
                f"kernel='numba' needs numba, which is not installed: {INSTALL_HINT}"
            ) from None
        return _Scans(high=_numpy_select, low=_numpy_low)


def _numpy_select(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """Counts below each neighbour's score and the k best, one NumPy pass per threshold."""
    thresholds = np.take_along_axis(scores, others, axis=1)
    counts = np.empty(others.shape, np.int64)
    for j in range(others.shape[1]):
        counts[:, j] = np.count_nonzero(scores < thresholds[:, j : j + 1], axis=1)
    part = np.argpartition(scores, k - 1, axis=1)[:, :k]
    best = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, best), axis=1)
    return counts, np.take_along_axis(part, order, axis=1).astype(np.int64)


def _numpy_low(
    y: FloatArray, block: IntArray, others: IntArray, k: int
) -> tuple[IntArray, IntArray]:
    d2 = np.zeros((block.size, y.shape[0]), np.float64)
    for c in range(y.shape[1]):
        d2 += np.square(y[block, c][:, None] - y[None, :, c])
    d2[np.arange(block.size), block] = np.inf
    return _numpy_select(d2, others, k)


@functools.cache
def _numba_scans() -> _Scans:
    """Compile the scans with numba (once per process, cached on disk between processes);
    ImportError when numba is missing."""
    global _prange, _nb_insert, _nb_select  # noqa: PLW0603 - bound once, for numba to resolve
    numba = importlib.import_module("numba")
    _prange = numba.prange
    _nb_insert = numba.njit(cache=True, inline="always")(_insert_py)
    _nb_select = numba.njit(cache=True)(_select_py)
    high = numba.njit(cache=True, parallel=True)(_high_py)
    low = numba.njit(cache=True, parallel=True)(_low_py)

    def run_high(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
        _check_indices(others, scores.shape[1], "the neighbour search")
        counts = np.zeros(others.shape, np.int64)
        top = np.empty((scores.shape[0], k), np.int64)
        high(scores, np.ascontiguousarray(others), k, counts, top)
        return counts, top

    def run_low(
        y: FloatArray, block: IntArray, others: IntArray, k: int
    ) -> tuple[IntArray, IntArray]:
        _check_indices(others, y.shape[0], "the neighbour search")
        _check_indices(block, y.shape[0], "the row block")
        counts = np.zeros(others.shape, np.int64)
        top = np.empty((block.size, k), np.int64)
        low(np.asfortranarray(y), block, np.ascontiguousarray(others), k, counts, top)
        return counts, top

    return _Scans(high=run_high, low=run_low)


# The numba kernels, written as plain Python at module level so that numba can cache their
# machine code between processes; _numba_scans compiles them and binds these names.
_prange: Any = range
_nb_insert: Any = None
_nb_select: Any = None


def _insert_py(best: Any, where: Any, v: Any, idx: Any) -> Any:
    """Insert (v, idx) into the ascending list ``best`` (its last entry drops out); return the
    new last entry."""
    s = best.shape[0] - 1
    while s > 0 and best[s - 1] > v:
        best[s] = best[s - 1]
        where[s] = where[s - 1]
        s -= 1
    best[s] = v
    where[s] = idx
    return best[best.shape[0] - 1]


def _select_py(scores: Any, others: Any, k: Any, counts: Any, top: Any) -> None:
    """One row: counts below each of ``scores[others]``, and the k best into ``top``."""
    n = scores.shape[0]
    kt = others.shape[0]
    best = np.full(k, np.inf, dtype=scores.dtype)
    where = np.full(k, -1, dtype=np.int64)
    worst = best[k - 1]
    if kt == 0:
        for col in range(n):
            v = scores[col]
            if v < worst:
                worst = _nb_insert(best, where, v, col)
    else:
        # Keep the scores at or below the largest neighbour's (branch-free), count below each
        # neighbour's among those, and take the k best of those: the row's k neighbours from
        # the other space are kept, so the k best are among them.
        top_t = scores[others[0]]
        for j in range(1, kt):
            top_t = max(top_t, scores[others[j]])
        kept_v = np.empty(n, dtype=scores.dtype)
        kept_i = np.empty(n, dtype=np.int32)
        p = 0
        for col in range(n):
            v = scores[col]
            kept_v[p] = v
            kept_i[p] = col
            p += v <= top_t
        for j in range(kt):
            tj = scores[others[j]]
            c = 0
            for q in range(p):
                c += kept_v[q] < tj
            counts[j] = c
        for q in range(p):
            v = kept_v[q]
            if v < worst:
                worst = _nb_insert(best, where, v, kept_i[q])
    for j in range(k):
        top[j] = where[j]


def _high_py(scores: Any, others: Any, k: Any, counts: Any, top: Any) -> None:
    """Rows of scores (each row's own entry +inf), in parallel."""
    for r in _prange(scores.shape[0]):
        _nb_select(scores[r], others[r], k, counts[r], top[r])


def _low_py(y: Any, block: Any, others: Any, k: Any, counts: Any, top: Any) -> None:  # noqa: PLR0917
    """Rows of the layout: exact squared distances, a column of ``y`` at a time."""
    n, dims = y.shape
    for r in _prange(block.shape[0]):
        i = block[r]
        scores = np.zeros(n, dtype=np.float64)
        for c in range(dims):
            yc = y[i, c]
            for col in range(n):
                d = y[col, c] - yc
                scores[col] += d * d
        scores[i] = np.inf
        _nb_select(scores, others[r], k, counts[r], top[r])


def _block_rows(n: int) -> int:
    return int(max(8, min(4096, _BLOCK_VALUES // max(n, 1))))


def _high_pass(
    xa: FloatArray,
    rows: IntArray,
    others: IntArray,
    k: int,
    scans: _Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> tuple[IntArray, IntArray]:
    """For each of ``rows``: how many rows are strictly closer in the original space than each
    of its ``others`` (row indices), and its k nearest rows there. ``xa`` is from
    :func:`_prepared`."""
    n = xa.shape[0]
    counts = np.empty((rows.size, others.shape[1]), np.int64)
    nbrs = np.empty((rows.size, k), np.int64)
    step = _block_rows(n)
    buf = np.empty((min(step, rows.size), n), xa.dtype)
    for s in range(0, rows.size, step):
        block = rows[s : s + step]
        b = block.size
        query = xa[block] * -2.0
        query[:, -1] = 1.0
        scores = np.matmul(query, xa.T, out=buf[:b])
        scores[np.arange(b), block] = np.inf
        counts[s : s + b], nbrs[s : s + b] = scans.high(scores, others[s : s + b], k)
        done(s + b)
    return counts, nbrs


def _low_pass(
    y: FloatArray,
    rows: IntArray,
    others: IntArray,
    k: int,
    scans: _Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> tuple[IntArray, IntArray]:
    """As :func:`_high_pass` in the layout (exact squared distances in float64)."""
    counts = np.empty((rows.size, others.shape[1]), np.int64)
    nbrs = np.empty((rows.size, k), np.int64)
    step = _block_rows(y.shape[0])
    for s in range(0, rows.size, step):
        block = rows[s : s + step]
        b = block.size
        counts[s : s + b], nbrs[s : s + b] = scans.low(y, block, others[s : s + b], k)
        done(s + b)
    return counts, nbrs
