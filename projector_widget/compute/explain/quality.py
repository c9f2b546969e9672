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
exact answer reads every pair once: the scans of :mod:`.scans` do that, a block of rows (or, in
float32 with numba, a tile of row pairs) at a time, with numba's compiled kernels when numba is
installed (compiled on first use and cached on disk) and NumPy otherwise (the same answers,
several times slower); :mod:`.scans` explains how. The layout's distances are computed exactly
in float64 (two or three columns). Rows of the data are compared in float64 up to
``FLOAT64_MAX_ROWS`` points and in float32 above (distances within float32 rounding of each
other may then rank either way); 100,000 x 64 takes about 30 s on two cores. Tied distances
share the best rank (scikit-learn orders ties as its sort happens to, so the two agree exactly
when there are none).

Above ``max_exact`` rows the report is estimated on a random sample of rows: each sampled row's
ranks are still exact against every row, so the two scores are unbiased estimates (their
standard error is printed by ``QualityReport``'s repr) and ``kept`` is NaN for rows outside the
sample; ``exact`` is False.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import (
    IntArray,
    check_indices,
    check_matrix,
    normalised,
    optional_import,
)
from projector_widget.compute.explain.scans import (
    Kernel,
    choose_scans,
    high_pass,
    low_pass,
    prepared,
)
from projector_widget.compute.neighbours import check_metric
from projector_widget.util.progress import Reporter

#: Up to this many rows every distance is compared in float64; above, in float32.
FLOAT64_MAX_ROWS = 20_000
#: Above this many rows the report is computed on a sample of rows unless told otherwise.
MAX_EXACT_ROWS = 200_000
#: Rows evaluated when sampling.
SAMPLE_ROWS = 2_000


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
    scans = choose_scans(kernel, n)
    dtype = np.float64 if n <= FLOAT64_MAX_ROWS else np.float32
    xs = prepared(x, m, dtype)
    ys = normalised(y)  # ranks do not depend on the scale; 1e200 squared would overflow

    low_nbrs = _layout_neighbours(ys, k, rows)
    # Ranks of the layout's neighbours in the original space, and the original neighbours.
    report = progress or Reporter()
    report.phase("ranking neighbours in the original space", rows.size, unit="rows")
    high_counts, high_nbrs = high_pass(xs, rows, low_nbrs, k, scans, done=report.update)
    # Ranks of the original neighbours in the layout.
    report.phase("ranking neighbours in the layout", rows.size, unit="rows")
    low_counts = low_pass(ys, rows, high_nbrs, scans, done=report.update)

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
    xs = prepared(x, m, np.float64 if n <= FLOAT64_MAX_ROWS else np.float32)
    rows = np.arange(n, dtype=np.int64)
    none = np.zeros((n, 0), np.int64)
    _, nbrs = high_pass(xs, rows, none, int(k), choose_scans(kernel, n))
    return nbrs


def shared_neighbours(a: IntArray, b: IntArray) -> npt.NDArray[np.int64]:
    """Per row, how many indices rows of ``a`` and ``b`` (same shape, no repeats) share."""
    out = np.empty(a.shape[0], np.int64)
    step = 65_536
    for s in range(0, a.shape[0], step):
        aa, bb = a[s : s + step], b[s : s + step]
        out[s : s + step] = (aa[:, :, None] == bb[:, None, :]).any(axis=2).sum(axis=1)
    return out


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


def _standard_error(terms: npt.NDArray[np.float64]) -> float:
    """Standard error of ``terms.sum()`` as an estimate from a sample of ``terms.size`` rows."""
    s = terms.size
    return float(np.std(terms, ddof=1) * s / math.sqrt(s)) if s > 1 else float("nan")


# --- the layout's neighbours ------------------------------------------------------------------


def _scipy_spatial() -> Any:
    """``scipy.spatial``, or ImportError naming the extra (scipy comes with scikit-learn)."""
    return optional_import("scipy.spatial", "This needs scipy (installed with scikit-learn)")


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
