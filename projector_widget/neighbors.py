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


def nearest(
    x: npt.NDArray[np.float32],
    sq_norms: npt.NDArray[np.float32],
    query: npt.NDArray[np.floating] | int,
    k: int = 10,
    metric: str = "cosine",
    *,
    candidates: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The ``k`` rows closest to ``query`` (a row index or a vector), closest first.

    When ``query`` is a row index, that row is excluded. ``candidates`` restricts the search to
    those rows (e.g. the isolated subset); returned indices are always original row indices.
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
        vector = np.asarray(query, dtype=np.float32)
    dist = distances_to(x, sq_norms, vector, m)
    if candidates is not None:
        mask = np.ones(n, dtype=bool)
        mask[candidates] = False
        dist[mask] = np.inf
    if exclude >= 0:
        dist[exclude] = np.inf
    available = (
        n - (1 if exclude >= 0 else 0) if candidates is None else int(np.isfinite(dist).sum())
    )
    k = int(min(k, available))
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    part = np.argpartition(dist, k - 1)[:k] if k < n else np.arange(n)
    order = part[np.lexsort((part, dist[part]))]
    return order.astype(np.int64), dist[order].astype(np.float32)
