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
float32 rounding of each other may then rank either way); in float32 with numba, every pair is
read once for both its rows (a triangle of tiles, see the scans below), which halves the
products that dominate the cost: 100,000 x 64 in about 30 s on two cores. Tied distances share the best rank
(scikit-learn orders ties as its sort happens to, so the two agree exactly when there are none).

Above ``max_exact`` rows the report is estimated on a random sample of rows: each sampled row's
ranks are still exact against every row, so the two scores are unbiased estimates (their
standard error is printed by ``QualityReport``'s repr) and ``kept`` is NaN for rows outside the
sample; ``exact`` is False.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import (
    INSTALL_HINT,
    FloatArray,
    IntArray,
    check_indices,
    check_matrix,
    normalised,
    optional_import,
)
from projector_widget.compute.neighbours import check_metric
from projector_widget.util.progress import Reporter

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
    :class:`~projector_widget.util.progress.Reporter`) hears two phases, the rows ranked in the
    original space and then in the layout.

    Raises ValueError for non-finite values, mismatched row counts, a k out of range, an unknown
    metric, or an all-zero row under the cosine metric; ImportError when scipy (for the layout's
    neighbour search) or a requested numba is missing.
    """
    x = check_matrix(high, "high")
    y = check_matrix(low, "low")
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
    high_counts, high_nbrs = _any_high_pass(xs, rows, low_nbrs, k, scans, done=report.update)
    # Ranks of the original neighbours in the layout.
    report.phase("ranking neighbours in the layout", rows.size, unit="rows")
    low_counts = _low_pass(ys, rows, high_nbrs, scans, done=report.update)

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
    x = check_matrix(data, "data")
    n = int(x.shape[0])
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k < n:
        raise ValueError(f"k must be an integer from 1 to {n - 1} (rows - 1), got {k!r}")
    m = check_metric(metric)
    if kernel not in ("auto", "numba", "numpy"):
        raise ValueError(f"kernel must be 'auto', 'numba' or 'numpy', got {kernel!r}")
    xs = _prepared(x, m, np.float64 if n <= FLOAT64_MAX_ROWS else np.float32)
    rows = np.arange(n, dtype=np.int64)
    none = np.zeros((n, 0), np.int64)
    _, nbrs = _any_high_pass(xs, rows, none, int(k), _choose_scan(kernel, n))
    return nbrs


# --- validation -----------------------------------------------------------------------------


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


def _scipy_spatial() -> Any:
    """``scipy.spatial``, or ImportError naming the extra (scipy comes with scikit-learn)."""
    return optional_import("scipy.spatial", "This needs scipy (installed with scikit-learn)")


# --- the layout's neighbours ------------------------------------------------------------------


def _layout_neighbours(y: npt.NDArray[np.float64], k: int, rows: IntArray) -> IntArray:
    """The k nearest other points of ``rows`` in the layout (a k-d tree, exact)."""
    tree = _scipy_spatial().cKDTree(y)
    # One extra neighbour for the point itself; when duplicates tie with it, the tree may list
    # another point first, so drop the point itself wherever it is, else the last one found.
    _, idx = tree.query(y[rows], k=k + 1, workers=-1)
    idx = np.asarray(idx, dtype=np.int64)
    check_indices(idx, y.shape[0], "the layout's k-d tree")
    is_self = idx == rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(rows.size), drop] = False
    return idx[keep].reshape(rows.size, k)


# --- the scans ---------------------------------------------------------------------------------
#
# The original space. Per row, given the indices ``others`` of its neighbours from the layout, a
# scan returns how many rows are strictly closer than each of those neighbours, and the row's k
# nearest other rows, nearest first (ties: lower index first). Scores stand for distances:
# ``|x_l|^2 - 2 x_i.x_l`` orders the rows l as ``|x_i - x_l|`` does.
#
# * NumPy, and numba on sampled rows or in float64: a block of rows against every row (one BLAS
#   product), then a scan of each row.
# * numba on every row in float32 (the large case): the pairs are read in square tiles of the
#   upper triangle only, since ``x_i.x_l`` serves row i and row l alike: half the products of
#   the block scan, which dominate it. Each row's answer is added up tile by tile: per tile, the
#   scores within its largest threshold are kept (branch-free), counted below each threshold
#   (vectorised passes) and offered to its k best. The thresholds are computed before the
#   tiles, so a neighbour's own score in a tile can differ from its threshold by rounding:
#   where it falls below, that one count is taken back. One worker per core takes tiles from
#   a shared list, with single-threaded BLAS and a partial answer of its own (merged at the
#   end), so no thread pool waits on another.
#
# The layout (two or three columns, float64): the layout's own neighbours come from a k-d tree;
# what is left is to count, per row, the points strictly closer than each of its neighbours from
# the original space. The points are sorted by their first coordinate, so those within the
# largest of those distances lie in one slab of the sorted order, found by binary search, and
# only the slab is read (with the same arithmetic as the thresholds, so the comparisons are
# exact).


@dataclass(frozen=True)
class _Scans:
    """The scans of one kernel (NumPy or numba)."""

    high: Callable[[FloatArray, IntArray, int], tuple[IntArray, IntArray]]
    low: Callable[[_Layout, IntArray, IntArray], IntArray]
    #: numba's triangle of tiles over every row in float32 (None: the block scan serves).
    tiled: Callable[..., tuple[IntArray, IntArray]] | None = None


@dataclass(frozen=True)
class _Layout:
    """A layout's coordinates; the same sorted by the first coordinate (``ys``), that column
    alone (``first``, for the slab searches) and each row's place in the sorted order."""

    y: npt.NDArray[np.float64]
    pos: IntArray
    ys: npt.NDArray[np.float64]
    first: npt.NDArray[np.float64]

    @staticmethod
    def of(y: npt.NDArray[np.float64]) -> _Layout:
        """Sort ``y`` by its first coordinate (ties by row) and remember where each row went."""
        order = np.argsort(y[:, 0], kind="stable").astype(np.int64)
        pos = np.empty_like(order)
        pos[order] = np.arange(order.size, dtype=np.int64)
        ys = np.ascontiguousarray(y[order])
        return _Layout(y=y, pos=pos, ys=ys, first=np.ascontiguousarray(ys[:, 0]))


def _choose_scan(kernel: Kernel, n: int) -> _Scans:
    if kernel == "numpy" or (kernel == "auto" and n < _NUMBA_MIN_ROWS):
        return _NUMPY_SCANS
    try:
        return _numba_scans()
    except ImportError:
        if kernel == "numba":
            raise ImportError(
                f"kernel='numba' needs numba, which is not installed: {INSTALL_HINT}"
            ) from None
        return _NUMPY_SCANS


def _numpy_counts(scores: FloatArray, others: IntArray) -> IntArray:
    """Per row of ``scores``, how many entries lie strictly below the entry of each ``others``."""
    thresholds = np.take_along_axis(scores, others, axis=1)
    counts = np.empty(others.shape, np.int64)
    for j in range(others.shape[1]):
        counts[:, j] = np.count_nonzero(scores < thresholds[:, j : j + 1], axis=1)
    return counts


def _numpy_select(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """Counts below each neighbour's score and the k best, one NumPy pass per threshold."""
    counts = _numpy_counts(scores, others)
    part = np.argpartition(scores, k - 1, axis=1)[:, :k]
    best = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, best), axis=1)
    return counts, np.take_along_axis(part, order, axis=1).astype(np.int64)


def _numpy_low(layout: _Layout, block: IntArray, others: IntArray) -> IntArray:
    y = layout.y
    d2 = np.zeros((block.size, y.shape[0]), np.float64)
    for c in range(y.shape[1]):
        d2 += np.square(y[None, :, c] - y[block, c][:, None])
    d2[np.arange(block.size), block] = np.inf
    return _numpy_counts(d2, others)


_NUMPY_SCANS = _Scans(high=_numpy_select, low=_numpy_low)


@functools.cache
def _numba_scans() -> _Scans:
    """Compile the scans with numba (once per process, cached on disk between processes);
    ImportError when numba is missing."""
    global _prange, _nb_insert, _nb_select, _nb_insert_lex  # noqa: PLW0603 - bound once
    numba = importlib.import_module("numba")
    _prange = numba.prange
    _nb_insert = numba.njit(cache=True, inline="always")(_insert_py)
    _nb_select = numba.njit(cache=True)(_select_py)
    high = numba.njit(cache=True, parallel=True)(_high_py)
    low = numba.njit(cache=True, parallel=True)(_slab_low_py)
    _nb_insert_lex = numba.njit(cache=True, inline="always")(_insert_lex_py)
    tile = numba.njit(cache=True, nogil=True)(_tile_py)
    tile_cols = numba.njit(cache=True, nogil=True)(_tile_cols_py)

    def run_high(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
        check_indices(others, scores.shape[1], "the neighbour search")
        counts = np.zeros(others.shape, np.int64)
        top = np.empty((scores.shape[0], k), np.int64)
        high(scores, np.ascontiguousarray(others), k, counts, top)
        return counts, top

    def run_low(layout: _Layout, block: IntArray, others: IntArray) -> IntArray:
        n = layout.y.shape[0]
        check_indices(others, n, "the neighbour search")
        check_indices(block, n, "the row block")
        counts = np.zeros(others.shape, np.int64)
        chunks = 4 * max(1, int(numba.get_num_threads()))
        low(
            layout.ys, layout.first, layout.pos, block, np.ascontiguousarray(others), counts, chunks
        )
        return counts

    def run_tiled(
        xa: FloatArray, others: IntArray, k: int, done: Callable[[int], None]
    ) -> tuple[IntArray, IntArray]:
        check_indices(others, xa.shape[0], "the neighbour search")
        return _tiles(xa, np.ascontiguousarray(others), k, tile, tile_cols, done)

    return _Scans(high=run_high, low=run_low, tiled=run_tiled)


# The numba kernels, written as plain Python at module level so that numba can cache their
# machine code between processes; _numba_scans compiles them and binds these names.
_prange: Any = range
_nb_insert: Any = None
_nb_select: Any = None
_nb_insert_lex: Any = None
#: Rows and columns of a tile of the triangle: 1024 x 1024 float32 is 4 MiB, which stays in the
#: cache between the product that writes it and the two scans that read it (2048 measured
#: slower on the two-core machine).
_TILE = 1024


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


def _slab_low_py(  # noqa: PLR0917
    ys: Any, first: Any, pos: Any, block: Any, others: Any, counts: Any, chunks: Any
) -> None:
    """Rows ``block`` of the layout: per neighbour in ``others``, the points strictly closer.

    ``ys`` is the layout sorted by its first coordinate (``first``), ``pos[i]`` row i's place.
    """
    n, dims = ys.shape
    kt = others.shape[1]
    size = (block.shape[0] + chunks - 1) // chunks
    for ch in _prange(chunks):
        kept = np.empty(n, dtype=np.float64)
        thr = np.empty(kt, np.float64)
        for r in range(ch * size, min(block.shape[0], ch * size + size)):
            p = pos[block[r]]
            top = -1.0
            for j in range(kt):
                q = pos[others[r, j]]
                d = 0.0
                for c in range(dims):
                    e = ys[q, c] - ys[p, c]
                    d += e * e
                thr[j] = d
                top = max(top, d)
            if kt == 0 or top <= 0.0:
                for j in range(kt):
                    counts[r, j] = 0
                continue
            # |dx| <= the distance: every point closer than the farthest neighbour lies in the
            # slab (widened past rounding; the exact comparisons below decide). Keep those
            # closer than it (branch-free), then count below each neighbour (vectorised).
            reach = np.sqrt(top) * (1.0 + 1e-9) + 1e-12
            lo = np.searchsorted(first, ys[p, 0] - reach)
            hi = np.searchsorted(first, ys[p, 0] + reach, side="right")
            m = 0
            for q in range(lo, hi):
                d = 0.0
                for c in range(dims):
                    e = ys[q, c] - ys[p, c]
                    d += e * e
                kept[m] = d
                m += (d < top) & (q != p)
            for j in range(kt):
                t = thr[j]
                below = 0
                for q in range(m):
                    below += kept[q] < t
                counts[r, j] = below


def _insert_lex_py(best: Any, where: Any, v: Any, idx: Any) -> None:
    """Insert (v, idx) into ``best``/``where``, ascending by value then index (the last entry
    drops out), so that the order does not depend on the order the scores came in."""
    s = best.shape[0] - 1
    while s > 0 and (best[s - 1] > v or (best[s - 1] == v and where[s - 1] > idx)):
        best[s] = best[s - 1]
        where[s] = where[s - 1]
        s -= 1
    best[s] = v
    where[s] = idx


def _tile_py(  # noqa: PLR0913, PLR0917
    g: Any,
    norms: Any,
    row0: Any,
    col0: Any,
    thr: Any,
    reach: Any,
    others: Any,
    counts: Any,
    best: Any,
    where: Any,
    kept_v: Any,
    kept_c: Any,
) -> None:
    """A tile's rows against its columns: ``g[r, c] = x_(row0+r) . x_(col0+c)``, ``norms`` the
    columns' squared norms. Adds to each row's counts below its thresholds and keeps its k best
    (never itself); a column counts even where it is the row itself or the neighbour whose
    threshold it is, and is taken back below. ``reach``: per row, the largest score that can
    matter (its largest threshold, widened past rounding; +inf without thresholds).
    ``kept_v``/``kept_c``: scratch of the tile's width."""
    nr, nc = g.shape
    kt = thr.shape[1]
    k = best.shape[1]
    for r in range(nr):
        i = row0 + r
        # Keep the scores within reach (branch-free), count below each threshold among those
        # (vectorised passes), then offer them to the k best: the k nearest lie within the
        # largest threshold, since the row's k neighbours from the layout do.
        top = reach[i]
        p = 0
        for c in range(nc):
            v = norms[c] - (g[r, c] + g[r, c])
            kept_v[p] = v
            kept_c[p] = c
            p += v <= top
        for m in range(kt):
            t = thr[i, m]
            n_below = 0
            for q in range(p):
                n_below += kept_v[q] < t
            counts[i, m] += n_below
        worst = best[i, k - 1]
        last = where[i, k - 1]
        for q in range(p):
            v = kept_v[q]
            col = col0 + kept_c[q]
            if (v < worst or (v == worst and col < last)) and col != i:
                _nb_insert_lex(best[i], where[i], v, col)
                worst = best[i, k - 1]
                last = where[i, k - 1]
        for m in range(kt):
            c = others[i, m] - col0
            if 0 <= c < nc and norms[c] - (g[r, c] + g[r, c]) < thr[i, m]:
                counts[i, m] -= 1  # the neighbour itself, a rounding below its threshold
        c = i - col0
        if 0 <= c < nc:  # the row itself, on the diagonal
            v = norms[c] - (g[r, c] + g[r, c])
            for m in range(kt):
                counts[i, m] -= v < thr[i, m]


def _tile_cols_py(  # noqa: PLR0913, PLR0917
    g: Any,
    norms: Any,
    row0: Any,
    col0: Any,
    thr: Any,
    others: Any,
    counts: Any,
    best: Any,
    where: Any,
    thr_t: Any,
    cnt: Any,
    worst: Any,
    last: Any,
    vrow: Any,
) -> None:
    """The same tile for its columns' rows (off the diagonal), ``norms`` the tile rows' squared
    norms, reading ``g`` along memory: each row of ``g`` adds to every column's counts at once
    (vectorised across columns, thresholds laid out threshold by column in ``thr_t``) and is
    offered to their k best. A transposed copy of the tile cost more than this whole pass.
    ``thr_t``, ``cnt``, ``worst``, ``last``, ``vrow``: scratch of the tile's width."""
    nr, nc = g.shape
    kt = thr.shape[1]
    k = best.shape[1]
    for m in range(kt):
        for c in range(nc):
            thr_t[m, c] = thr[col0 + c, m]
            cnt[m, c] = 0
    for c in range(nc):
        worst[c] = best[col0 + c, k - 1]
        last[c] = where[col0 + c, k - 1]
    for r in range(nr):
        a = norms[r]
        for c in range(nc):
            vrow[c] = a - (g[r, c] + g[r, c])
        for m in range(kt):
            for c in range(nc):
                cnt[m, c] += np.int32(vrow[c] < thr_t[m, c])
        i = row0 + r
        for c in range(nc):
            v = vrow[c]
            if v < worst[c] or (v == worst[c] and i < last[c]):
                s = col0 + c
                _nb_insert_lex(best[s], where[s], v, i)
                worst[c] = best[s, k - 1]
                last[c] = where[s, k - 1]
    for c in range(nc):
        s = col0 + c
        for m in range(kt):
            counts[s, m] += cnt[m, c]
            r = others[s, m] - row0
            if 0 <= r < nr and norms[r] - (g[r, c] + g[r, c]) < thr[s, m]:
                counts[s, m] -= 1  # the neighbour itself, a rounding below its threshold


@dataclass
class _TileState:
    """One worker's share of the answer: counts summed, k best merged at the end."""

    counts: IntArray
    best: FloatArray
    where: IntArray


def _tiles(  # noqa: PLR0913, PLR0917
    xa: FloatArray,
    others: IntArray,
    k: int,
    tile_kernel: Any,
    cols_kernel: Any,
    done: Callable[[int], None],
) -> tuple[IntArray, IntArray]:
    """Every row's counts below its ``others`` and its k nearest rows, from the triangle of
    tiles (``xa`` from :func:`_prepared`, float32).

    One worker thread per core takes tiles from a shared list, each with its own single-threaded
    BLAS product and compiled scans (which release the GIL) and its own partial answer, merged
    at the end: no thread pool waits on another, where alternating multi-threaded BLAS and
    numba's parallel loops tile by tile spent more time handing over than working.
    """
    n = xa.shape[0]
    kt = others.shape[1]
    feats = np.ascontiguousarray(xa[:, :-1])
    norms = np.ascontiguousarray(xa[:, -1])
    thr = _thresholds(feats, norms, others)
    reach = (thr.max(axis=1) if kt else np.full(n, np.inf)).astype(np.float64)
    reach = (reach + np.abs(reach) * 1e-5 + 1e-30).astype(xa.dtype)
    tile = min(_TILE, n)
    blocks = range(0, n, tile)
    tasks = iter([(r0, c0) for r0 in blocks for c0 in blocks if c0 >= r0])
    total = len(blocks) * (len(blocks) + 1) // 2
    lock = threading.Lock()
    finished = 0
    workers = max(1, int(importlib.import_module("numba").get_num_threads()))
    states = [
        _TileState(
            np.zeros((n, kt), np.int64),
            np.full((n, k), np.inf, xa.dtype),
            np.full((n, k), np.iinfo(np.int64).max, np.int64),
        )
        for _ in range(workers)
    ]

    def work(state: _TileState) -> None:
        nonlocal finished
        buf = np.empty(tile * tile, xa.dtype)
        kept_v, kept_c = np.empty(tile, xa.dtype), np.empty(tile, np.int64)
        scratch = (thr, reach, others, state.counts, state.best, state.where, kept_v, kept_c)
        thr_t, cnt = np.empty((kt, tile), xa.dtype), np.empty((kt, tile), np.int32)
        worst, last, vrow = np.empty(tile, xa.dtype), np.empty(tile, np.int64), kept_v.copy()
        by_cols = (
            thr,
            others,
            state.counts,
            state.best,
            state.where,
            thr_t,
            cnt,
            worst,
            last,
            vrow,
        )
        while not cancelled.is_set():
            with lock:
                task = next(tasks, None)
            if task is None:
                return
            r0, c0 = task
            rows, cols = feats[r0 : r0 + tile], feats[c0 : c0 + tile]
            nr, nc = rows.shape[0], cols.shape[0]
            g = np.matmul(rows, cols.T, out=buf[: nr * nc].reshape(nr, nc))
            tile_kernel(g, norms[c0 : c0 + nc], r0, c0, *scratch)
            if c0 != r0:  # the same products serve the columns' rows
                cols_kernel(g, norms[r0 : r0 + nr], r0, c0, *by_cols)
            with lock:
                finished += 1
                done(n * finished // total)

    cancelled = threading.Event()
    with _one_blas_thread(), ThreadPoolExecutor(workers, "projector-quality") as pool:
        try:
            for _ in pool.map(work, states):  # re-raises a worker's error
                pass
        except BaseException:  # an error, or Ctrl-C while waiting: the others stop too
            cancelled.set()
            raise
    counts = sum((st.counts for st in states[1:]), states[0].counts)
    best = np.concatenate([st.best for st in states], axis=1)
    where = np.concatenate([st.where for st in states], axis=1)
    order = np.lexsort((where, best), axis=1)[:, :k]
    return counts, np.take_along_axis(where, order, axis=1)


def _thresholds(feats: FloatArray, norms: FloatArray, others: IntArray) -> FloatArray:
    """Each row's score of each of its ``others`` (in float64, then rounded to the data's type)."""
    n, kt = others.shape
    thr = np.empty((n, kt), feats.dtype)
    step = 8192
    for s in range(0, n, step):
        f = feats[s : s + step].astype(np.float64)
        o = others[s : s + step]
        dots = np.einsum("ij,ikj->ik", f, feats[o].astype(np.float64))
        thr[s : s + step] = norms[o] - 2.0 * dots
    return thr


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while the tile workers run (each is one core's worth of work);
    unchanged without threadpoolctl (installed with scikit-learn)."""
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        yield


def _block_rows(n: int) -> int:
    return int(max(8, min(4096, _BLOCK_VALUES // max(n, 1))))


def _any_high_pass(
    xa: FloatArray,
    rows: IntArray,
    others: IntArray,
    k: int,
    scans: _Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> tuple[IntArray, IntArray]:
    """:func:`_high_pass`, or numba's triangle of tiles when every row is asked in float32."""
    if scans.tiled is not None and xa.dtype == np.float32 and rows.size == xa.shape[0]:
        return scans.tiled(xa, others, k, done)
    return _high_pass(xa, rows, others, k, scans, done=done)


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
    y: npt.NDArray[np.float64],
    rows: IntArray,
    others: IntArray,
    scans: _Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> IntArray:
    """For each of ``rows``: how many points are strictly closer in the layout than each of its
    ``others`` (exact squared distances in float64)."""
    layout = _Layout.of(y)
    counts = np.empty((rows.size, others.shape[1]), np.int64)
    step = _block_rows(y.shape[0])
    for s in range(0, rows.size, step):
        block = rows[s : s + step]
        counts[s : s + block.size] = scans.low(layout, block, others[s : s + block.size])
        done(s + block.size)
    return counts
