"""Exact nearest neighbours in the original high-dimensional space.

The plain path is one BLAS matrix-vector product over the float32 matrix per query (the squared
row norms are computed once at validation), then a partial sort: no N x D temporary. At 1M x 768
that product reads 3 GB and is bound by memory bandwidth (~100 ms on two cores).

Large inputs can carry a :class:`Sketch`: every row projected on a few orthonormal directions
(the widget reuses the subspace its PCA already computed) plus the length of the part those
directions miss. By Cauchy-Schwarz on that remainder, ``x . q <= z_x . z_q + r_x r_q``, so the
sketch bounds every row's distance from below while reading 30 floats a row instead of 768. Rows
whose bound is no better than the k-th best exact distance found so far cannot be among the k
nearest and are never read; the rest are scored exactly, so the answer is the same as the plain
path's. When the bound prunes too little (data whose variance is spread over many directions),
the query falls back to the plain path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Metric = Literal["cosine", "euclidean"]
METRICS: tuple[str, ...] = ("cosine", "euclidean")
#: The most neighbours a widget lists (``k_neighbors``).
K_MAX = 1000
#: Below this many rows a query always takes the plain path (it costs a few milliseconds).
SKETCH_MIN_ROWS = 100_000
#: If more than this fraction of rows survives the bound, the plain path is cheaper.
SKETCH_MAX_FRACTION = 0.25
#: Rows per block when computing the sketch or gathering rows to score.
_BLOCK_ROWS = 32_768


@dataclass(frozen=True)
class Sketch:
    """Rows projected on ``w`` orthonormal directions, and what the projection misses.

    Attributes
    ----------
    basis:
        (D, w) float32 with orthonormal columns.
    scores:
        (N, w) float32, ``x @ basis`` (not centred).
    residual:
        (N,) float32, an upper bound on ``|x - basis basis^T x|`` (padded for rounding).
    """

    basis: npt.NDArray[np.float32]
    scores: npt.NDArray[np.float32]
    residual: npt.NDArray[np.float32]


def make_sketch(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    basis: npt.NDArray[np.floating],
    scores: npt.NDArray[np.float32] | None = None,
) -> Sketch:
    """The :class:`Sketch` of ``x`` on ``basis`` (D, w); pass ``scores = x @ basis`` if known.

    Raises ValueError when the shapes disagree or the columns of ``basis`` are not orthonormal
    (the bound would not hold).
    """
    b = np.ascontiguousarray(basis, dtype=np.float32)
    if b.ndim != 2 or b.shape[0] != x.shape[1]:
        raise ValueError(f"basis must have shape ({x.shape[1]}, w), got {b.shape}")
    gram = b.T.astype(np.float64) @ b.astype(np.float64)
    if not np.allclose(gram, np.eye(b.shape[1]), atol=1e-4):
        raise ValueError("the columns of basis must be orthonormal")
    z = x @ b if scores is None else np.ascontiguousarray(scores, dtype=np.float32)
    if z.shape != (x.shape[0], b.shape[1]):
        raise ValueError(f"scores must have shape {(x.shape[0], b.shape[1])}, got {z.shape}")
    residual = np.empty(x.shape[0], np.float32)
    for start in range(0, x.shape[0], _BLOCK_ROWS):
        block = z[start : start + _BLOCK_ROWS].astype(np.float64)
        sq = sq_norms[start : start + _BLOCK_ROWS].astype(np.float64)
        # |r|^2 = |x|^2 - |z|^2 cancels badly when r is small: pad by 1e-6 |x|^2 so the float32
        # rounding of the norms and the products can only loosen the bound.
        r2 = np.maximum(sq - np.einsum("ij,ij->i", block, block), 0.0) + 1e-6 * sq
        residual[start : start + _BLOCK_ROWS] = np.sqrt(r2)
    return Sketch(basis=b, scores=z, residual=residual)


def check_metric(metric: str) -> Metric:
    """Return ``metric`` if it is supported, else raise ValueError listing the choices."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    return metric  # type: ignore[return-value]


def distances_to(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    query: npt.NDArray[np.floating],
    metric: Metric,
) -> npt.NDArray[np.float32]:
    """Distances from ``query`` (D,) to every row of ``x``: cosine distance or Euclidean."""
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    if q.shape[0] != x.shape[1]:
        raise ValueError(f"query has {q.shape[0]} dimensions but the embeddings have {x.shape[1]}")
    dots = x @ q
    q_sq = float(q.astype(np.float64) @ q.astype(np.float64))
    if metric == "cosine":
        denom = np.sqrt(sq_norms) * np.float32(np.sqrt(q_sq))
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(denom > 0, dots / denom, 0.0).astype(np.float32)
        np.clip(sim, -1.0, 1.0, out=sim)
        return (1.0 - sim).astype(np.float32, copy=False)
    d2 = sq_norms - 2.0 * dots + np.float32(q_sq)
    np.maximum(d2, 0.0, out=d2)
    return np.sqrt(d2, out=d2)


def inverse_norms(sq_norms: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """1 / |x| per row (0 for zero rows), for cosine ranking without dividing N values per query."""
    with np.errstate(divide="ignore"):
        inv = np.float32(1.0) / np.sqrt(sq_norms, dtype=np.float32)
    inv[~np.isfinite(inv)] = 0.0
    return inv.astype(np.float32, copy=False)


def nearest(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    query: npt.NDArray[np.floating] | int,
    k: int = 10,
    metric: str = "cosine",
    *,
    candidates: npt.NDArray[np.int64] | None = None,
    inv_norms: npt.NDArray[np.float32] | None = None,
    sketch: Sketch | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``k`` rows closest to ``query`` (a row index or a vector), closest first.

    When ``query`` is a row index, that row is excluded. ``candidates`` restricts the search to
    those rows (e.g. the isolated subset); returned indices are always original row indices.
    One matrix-vector product ranks every row (``inv_norms``, from :func:`inverse_norms`, saves
    a pass for cosine); distances are computed for the k winners only. With a ``sketch`` (see
    :func:`make_sketch`) large inputs skip the rows its bound rules out; the result is the same.
    Returns ``(indices, distances)``.
    """
    m = check_metric(metric)
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    n = x.shape[0]
    exclude = -1
    if isinstance(query, (int, np.integer)) and not isinstance(query, bool):
        exclude = int(query)
        if not 0 <= exclude < n:
            raise IndexError(f"index {exclude} is out of range for {n} points")
        vector = x[exclude]
    else:
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        if vector.shape[0] != x.shape[1]:
            raise ValueError(
                f"query has {vector.shape[0]} dimensions but the embeddings have {x.shape[1]}"
            )
    inv = (inverse_norms(sq_norms) if inv_norms is None else inv_norms) if m == "cosine" else None
    blocked = None
    if candidates is not None:
        blocked = np.ones(n, dtype=bool)
        blocked[candidates] = False
    if exclude >= 0:
        if blocked is None:
            blocked = np.zeros(n, dtype=bool)
        blocked[exclude] = True
    available = n - int(blocked.sum()) if blocked is not None else n
    k = int(min(k, available))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    found = None
    if sketch is not None and n >= SKETCH_MIN_ROWS:
        found = _pruned_search(
            x, sq_norms=sq_norms, inv=inv, vector=vector, k=k, blocked=blocked, sketch=sketch
        )
    if found is None:
        found = _full_search(x, sq_norms=sq_norms, inv=inv, vector=vector, k=k, blocked=blocked)
    order, best = found
    q64 = vector.astype(np.float64)
    q_sq = float(q64 @ q64)
    if m == "cosine":
        q_norm = np.sqrt(q_sq)
        sim = -best.astype(np.float64) / q_norm if q_norm > 0 else np.zeros(k)
        dist = 1.0 - np.clip(sim, -1.0, 1.0)
    else:
        dist = np.sqrt(np.maximum(best.astype(np.float64) + q_sq, 0.0))
    return order.astype(np.int64), dist.astype(np.float32)


# Both searches rank by a score where smaller is closer: -x.q/|x| for cosine, |x|^2 - 2 x.q for
# Euclidean (the query's own terms are the same for every row). They return the k best rows,
# ordered by (score, row), and their scores.
_Found = tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]


def _to_score(
    dots: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    inv: npt.NDArray[np.float32] | None,
) -> npt.NDArray[np.float32]:
    """Turn dot products with the query into scores, in place."""
    if inv is not None:
        np.multiply(dots, inv, out=dots)
        np.negative(dots, out=dots)
    else:
        np.multiply(dots, -2.0, out=dots)
        np.add(dots, sq_norms, out=dots)
    return dots


def _k_best(rows: npt.NDArray[np.intp], score: npt.NDArray[np.float32], k: int) -> _Found:
    """The k lowest scores (ties by row), ordered."""
    if k < score.shape[0]:
        part = np.argpartition(score, k - 1)[:k]
        rows, score = rows[part], score[part]
    order = np.lexsort((rows, score))
    return rows[order], score[order]


def _full_search(
    x: npt.NDArray[np.float32],
    *,
    sq_norms: npt.NDArray[np.float32],
    inv: npt.NDArray[np.float32] | None,
    vector: npt.NDArray[np.float32],
    k: int,
    blocked: npt.NDArray[np.bool_] | None,
) -> _Found:
    score = _to_score(x @ vector, sq_norms, inv)
    if blocked is not None:
        score[blocked] = np.inf
    return _k_best(np.arange(x.shape[0]), score, k)


def _pruned_search(
    x: npt.NDArray[np.float32],
    *,
    sq_norms: npt.NDArray[np.float32],
    inv: npt.NDArray[np.float32] | None,
    vector: npt.NDArray[np.float32],
    k: int,
    blocked: npt.NDArray[np.bool_] | None,
    sketch: Sketch,
) -> _Found | None:
    """Exact k best rows, reading only the rows the sketch's bound cannot rule out.

    Returns None when too many rows survive (the caller scans everything instead).
    """
    n = x.shape[0]
    zq = vector @ sketch.basis
    q_sq = float(vector.astype(np.float64) @ vector.astype(np.float64))
    rq = np.sqrt(
        max(q_sq - float(zq.astype(np.float64) @ zq.astype(np.float64)), 0.0) + 1e-6 * q_sq
    )
    # Upper bound on x.q per row, hence a lower bound on every row's score.
    bound = sketch.scores @ zq
    bound += sketch.residual * np.float32(rq)
    bound = _to_score(bound, sq_norms, inv)
    if blocked is not None:
        bound[blocked] = np.inf
    # Rounding slack in score units (scores scale with |q| for cosine, |x|^2 + |q|^2 otherwise).
    scale = np.sqrt(q_sq) if inv is not None else float(sq_norms.max()) + q_sq
    slack = np.float32(1e-5 * scale)

    # Score the rows with the best bounds first (about 64 k of them, chosen from a sample of
    # the bounds rather than a full partial sort), then every row whose bound can still win.
    want = max(k, min(4096, n // 40))
    rng = np.random.default_rng(0)
    sample = bound[rng.integers(0, n, size=min(n, 20_000))]
    sample = sample[np.isfinite(sample)]
    cut = np.quantile(sample, min(1.0, 2.0 * want / n)) if sample.size else np.inf
    first = np.flatnonzero(bound <= cut)
    if first.size < k:
        first = np.argpartition(bound, k - 1)[:k]
    if first.size > SKETCH_MAX_FRACTION * n:
        return None
    first_score = _exact_scores(x, sq_norms, inv, vector, first)
    if blocked is not None:
        first_score[blocked[first]] = np.inf
    rows, best = _k_best(first, first_score, k)
    if not np.isfinite(best[-1]):
        return None
    bound[first] = np.inf
    rest = np.flatnonzero(bound <= best[-1] + slack)
    if first.size + rest.size > SKETCH_MAX_FRACTION * n:
        return None
    if rest.size:
        sc = _exact_scores(x, sq_norms, inv, vector, rest)
        rows, best = _k_best(np.concatenate([rows, rest]), np.concatenate([best, sc]), k)
    return rows, best


def _exact_scores(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    inv: npt.NDArray[np.float32] | None,
    vector: npt.NDArray[np.float32],
    rows: npt.NDArray[np.intp],
) -> npt.NDArray[np.float32]:
    """Scores of ``rows``, gathered a block at a time (no copy of many rows at once)."""
    dots = np.empty(rows.size, np.float32)
    for start in range(0, rows.size, _BLOCK_ROWS):
        chunk = rows[start : start + _BLOCK_ROWS]
        np.matmul(x[chunk], vector, out=dots[start : start + chunk.size])
    return _to_score(dots, sq_norms[rows], None if inv is None else inv[rows])
