"""Exact nearest neighbours in the original high-dimensional space.

One BLAS matrix-vector product over the float32 matrix per query (the squared row norms are
computed once at validation), then a partial sort: no N x D temporary.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Metric = Literal["cosine", "euclidean"]
METRICS: tuple[str, ...] = ("cosine", "euclidean")


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
        inv = 1.0 / np.sqrt(sq_norms, dtype=np.float32)
    inv[~np.isfinite(inv)] = 0.0
    return inv


def nearest(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    query: npt.NDArray[np.floating] | int,
    k: int = 10,
    metric: str = "cosine",
    *,
    candidates: npt.NDArray[np.int64] | None = None,
    inv_norms: npt.NDArray[np.float32] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``k`` rows closest to ``query`` (a row index or a vector), closest first.

    When ``query`` is a row index, that row is excluded. ``candidates`` restricts the search to
    those rows (e.g. the isolated subset); returned indices are always original row indices.
    One matrix-vector product ranks every row (``inv_norms``, from :func:`inverse_norms`, saves
    a pass for cosine); distances are computed for the k winners only.
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
    dots = x @ vector
    # Rank by a score where smaller is closer, computed in place on the product.
    if m == "cosine":
        inv = inverse_norms(sq_norms) if inv_norms is None else inv_norms
        np.multiply(dots, inv, out=dots)
        np.negative(dots, out=dots)
    else:
        np.multiply(dots, -2.0, out=dots)
        np.add(dots, sq_norms, out=dots)
    score = dots
    if candidates is not None:
        mask = np.ones(n, dtype=bool)
        mask[candidates] = False
        score[mask] = np.inf
    if exclude >= 0:
        score[exclude] = np.inf
    available = int(np.isfinite(score).sum()) if candidates is not None else n - (exclude >= 0)
    k = int(min(k, available))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    part = np.argpartition(score, k - 1)[:k] if k < n else np.arange(n)
    order = part[np.lexsort((part, score[part]))]
    q64 = vector.astype(np.float64)
    q_sq = float(q64 @ q64)
    if m == "cosine":
        q_norm = np.sqrt(q_sq)
        sim = -score[order].astype(np.float64) / q_norm if q_norm > 0 else np.zeros(k)
        dist = 1.0 - np.clip(sim, -1.0, 1.0)
    else:
        dist = np.sqrt(np.maximum(score[order].astype(np.float64) + q_sq, 0.0))
    return order.astype(np.int64), dist.astype(np.float32)
