"""Several embeddings of the same rows: aligned layouts, and how far each row drifts.

Layouts computed separately (t-SNE or UMAP of each step, or each step's own PCA) differ by an
arbitrary rotation, mirror image, scale and shift even where nothing changed. Orthogonal
Procrustes finds the rotation (and, by default, the scale and shift) that best maps one layout
onto another in the least-squares sense, so that what still moves after it is real movement.

Reflections are allowed by default: t-SNE, UMAP and PCA (whose components have arbitrary
signs) produce a layout and its mirror image with equal probability, so a mirror flip between
steps is never movement. Pass ``reflection=False`` to keep handedness (a layout whose axes
mean something).

Rows that really moved pull the fit towards themselves; ``trim`` refits without the given
fraction of worst-fitting rows (10% by default) so that a few movers do not drag the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import check_layout
from projector_widget.compute.explain.quality import exact_neighbours, shared_neighbours
from projector_widget.compute.explain.scans import Kernel

Layout = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Transform:
    """``y -> scale * (y - source_mean) @ rotation + target_mean``: maps a layout onto another."""

    rotation: npt.NDArray[np.float64]
    scale: float
    source_mean: npt.NDArray[np.float64]
    target_mean: npt.NDArray[np.float64]

    def apply(self, y: npt.ArrayLike) -> Layout:
        """The points ``y`` (N, dims) moved by this transform."""
        a = np.asarray(y, dtype=np.float64)
        return self.scale * (a - self.source_mean) @ self.rotation + self.target_mean


def procrustes(
    source: npt.ArrayLike,
    target: npt.ArrayLike,
    *,
    scale: bool = True,
    reflection: bool = True,
    trim: float = 0.1,
    anchors: npt.ArrayLike | None = None,
) -> Transform:
    """The :class:`Transform` that best maps ``source`` onto ``target`` (same shape (N, dims)).

    Least squares over the ``anchors`` rows (a boolean mask or row indices; all rows by
    default) with a rotation (a mirror image too if ``reflection``), a shift, and a uniform
    scale if ``scale``. With ``trim`` > 0 the fit is done twice, the second time without the
    ``trim`` fraction of rows that fitted worst.
    """
    src = check_layout(source, "source")
    dst = check_layout(target, "target")
    if src.shape != dst.shape:
        raise ValueError(
            f"source has shape {src.shape} but target has {dst.shape}; both must place the "
            "same rows in the same number of dimensions"
        )
    if not (isinstance(trim, (int, float)) and 0.0 <= trim < 1.0):
        raise ValueError(f"trim must be a fraction in [0, 1), got {trim!r}")
    rows = _anchor_rows(anchors, src.shape[0])
    fit = _fit(src[rows], dst[rows], scale=scale, reflection=reflection)
    keep = int(round(rows.size * (1.0 - trim)))
    if trim > 0 and src.shape[1] <= keep < rows.size:
        residual = np.linalg.norm(fit.apply(src[rows]) - dst[rows], axis=1)
        best = rows[np.argsort(residual, kind="stable")[:keep]]
        fit = _fit(src[best], dst[best], scale=scale, reflection=reflection)
    return fit


def align_layouts(
    layouts: Sequence[npt.ArrayLike],
    *,
    to: str = "previous",
    scale: bool = True,
    reflection: bool = True,
    trim: float = 0.1,
    anchors: npt.ArrayLike | None = None,
) -> list[Layout]:
    """The ``layouts`` (each (N, dims), the same rows) moved onto each other by
    :func:`procrustes`; the first is returned as it is.

    ``to="previous"`` aligns each step to the aligned step before it (small steps stay small
    even when the first and last differ a lot); ``to="first"`` aligns every step to the first.
    """
    fits = align_transforms(
        layouts, to=to, scale=scale, reflection=reflection, trim=trim, anchors=anchors
    )
    return [fit.apply(y) for fit, y in zip(fits, layouts, strict=True)]


def align_transforms(
    layouts: Sequence[npt.ArrayLike],
    *,
    to: str = "previous",
    scale: bool = True,
    reflection: bool = True,
    trim: float = 0.1,
    anchors: npt.ArrayLike | None = None,
) -> list[Transform]:
    """The :class:`Transform` of each layout that :func:`align_layouts` applies (the first is
    the identity): it also places a new point, projected like that step, where the step shows."""
    if to not in ("previous", "first"):
        raise ValueError(f"to must be 'previous' or 'first', got {to!r}")
    if len(layouts) == 0:
        raise ValueError("align_layouts needs at least one layout")
    arrays = [check_layout(y, f"layout {i}") for i, y in enumerate(layouts)]
    for i, a in enumerate(arrays[1:], start=1):
        if a.shape != arrays[0].shape:
            raise ValueError(
                f"layout {i} has shape {a.shape} but layout 0 has {arrays[0].shape}; every "
                "step must place the same rows in the same number of dimensions"
            )
    dims = arrays[0].shape[1]
    fits = [Transform(np.eye(dims), 1.0, np.zeros(dims), np.zeros(dims))]
    aligned = [arrays[0]]
    for a in arrays[1:]:
        target = aligned[-1] if to == "previous" else aligned[0]
        fit = procrustes(a, target, scale=scale, reflection=reflection, trim=trim, anchors=anchors)
        fits.append(fit)
        aligned.append(fit.apply(a))
    return fits


def drift(
    embeddings_a: npt.ArrayLike,
    embeddings_b: npt.ArrayLike,
    layout_a: npt.ArrayLike,
    layout_b: npt.ArrayLike,
    k: int = 10,
    *,
    metric: str = "euclidean",
    align: bool = True,
    kernel: Kernel = "auto",
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Per row, how far it moved between two steps and how much its neighbourhood changed.

    Returns ``(displacement, jaccard)``, both (N,) float32: the distance between the row's
    place in ``layout_a`` and in ``layout_b`` (moved onto ``layout_a`` by :func:`procrustes`
    first when ``align``), and the Jaccard overlap ``|A & B| / |A | B|`` of its ``k`` nearest
    neighbours in ``embeddings_a`` and in ``embeddings_b`` (exact, ``metric``; 1: the same
    neighbours, 0: none shared). The embeddings may differ in dimensions but not in rows.
    """
    ya = check_layout(layout_a, "layout_a")
    yb = check_layout(layout_b, "layout_b")
    if ya.shape != yb.shape:
        raise ValueError(
            f"layout_a has shape {ya.shape} but layout_b has {yb.shape}; both must place the "
            "same rows in the same number of dimensions"
        )
    xa = np.asarray(embeddings_a)
    xb = np.asarray(embeddings_b)
    for name, x in (("embeddings_a", xa), ("embeddings_b", xb)):
        if x.ndim != 2 or x.shape[0] != ya.shape[0]:
            raise ValueError(
                f"{name} must have one row per layout row ({ya.shape[0]}), got shape {x.shape}"
            )
        if np.issubdtype(x.dtype, np.number) and not np.isfinite(x).all():
            row = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
            raise ValueError(f"{name} has NaN or infinite values (first: row {row})")
    check_neighbour_count(k, ya.shape[0])
    if align:
        yb = procrustes(yb, ya).apply(yb)
    displacement = np.linalg.norm(yb - ya, axis=1).astype(np.float32)
    na = exact_neighbours(xa, k, metric, kernel=kernel)
    nb = exact_neighbours(xb, k, metric, kernel=kernel)
    shared = shared_neighbours(na, nb)
    jaccard = (shared / (2 * k - shared)).astype(np.float32)
    return displacement, jaccard


def check_neighbour_count(k: object, rows: int) -> None:
    """Raise ValueError unless every one of ``rows`` rows has ``k`` other rows to compare."""
    if rows < 2:
        raise ValueError(
            f"the sequence has {rows} row; comparing neighbourhoods needs at least 2 rows"
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < rows:
        raise ValueError(
            f"k must be a number of neighbours from 1 to {rows - 1} (rows - 1), got {k!r}"
        )


def _anchor_rows(anchors: npt.ArrayLike | None, n: int) -> npt.NDArray[np.int64]:
    if anchors is None:
        return np.arange(n, dtype=np.int64)
    a = np.asarray(anchors)
    if a.dtype == np.bool_:
        if a.shape != (n,):
            raise ValueError(f"an anchors mask must have one entry per row ({n}), got {a.shape}")
        rows = np.flatnonzero(a)
    elif np.issubdtype(a.dtype, np.integer) and a.ndim == 1:
        if a.size and (a.min() < 0 or a.max() >= n):
            raise IndexError(f"anchor rows must be in 0..{n - 1}")
        rows = np.unique(a)
    else:
        raise TypeError(f"anchors must be a boolean mask or row indices, got {a.dtype}")
    if rows.size == 0:
        raise ValueError("anchors selects no rows; the fit needs at least one")
    return rows.astype(np.int64)


def _fit(src: Layout, dst: Layout, *, scale: bool, reflection: bool) -> Transform:
    ms, md = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - ms, dst - md
    u, sigma, vt = np.linalg.svd(a.T @ b)
    signs = np.ones(sigma.size)
    if not reflection and np.linalg.det(u @ vt) < 0:
        signs[-1] = -1.0  # the best rotation proper: flip the weakest direction
    rotation = (u * signs) @ vt
    spread = float((a * a).sum())
    s = float((sigma * signs).sum()) / spread if scale and spread > 0 else 1.0
    return Transform(rotation=rotation, scale=s, source_mean=ms, target_mean=md)
