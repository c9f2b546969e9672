"""Clusters in a layout, at nested levels of detail, and where their labels go.

* :func:`find_clusters` runs HDBSCAN (scikit-learn's) on the layout's coordinates. Its run time
  grows about quadratically with the points (measured on 2 cores, sklearn 1.9, 2-D blobs:
  5,000 points 0.13 s, 20,000 2.2 s, 50,000 15 s), so above ``SAMPLE_ROWS`` points it clusters a
  random sample and every other point takes the label of its nearest sampled point when it
  lies within that point's core distance (noise otherwise, so sparse regions stay noise). The
  standalone ``hdbscan`` package's Boruvka tree would avoid the sample but is one more compiled
  dependency; on a 2-D layout the sample loses little, since a cluster of the full size keeps
  ``SAMPLE_ROWS / n`` of its points.
* :func:`cluster_levels` gives nested levels, coarse to fine, for labels that follow the zoom,
  each cluster named by :func:`~projector_widget.compute.explain.naming.name_clusters` and
  labelled at its medoid (:func:`cluster_medoids`, :func:`cluster_positions`).

Everything takes plain arrays and returns plain values; noise is cluster -1. Density contours
are traced in the browser from the drawn positions (js/ui/density.ts), so they follow pan, zoom
and a moving layout without the kernel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.central import Encoder
from projector_widget.compute.explain.checks import (
    Labels,
    check_labels,
    check_layout,
    int_at_least,
    normalised,
    optional_import,
)
from projector_widget.compute.explain.naming import ClusterName, Namer, name_clusters
from projector_widget.util.extras import MissingExtra
from projector_widget.util.progress import Reporter

#: Points HDBSCAN clusters at most; the others follow their nearest sampled point.
SAMPLE_ROWS = 20_000


@dataclass(frozen=True)
class ClusterSummary:
    """One cluster of one level: its size, where its label goes and what it says.

    ``terms`` and ``weights`` are those of its
    :class:`~projector_widget.compute.explain.naming.ClusterName`. ``position`` is the medoid of
    the cluster's points (a point of the cluster, so the label sits on points even when the
    cluster is curved) and ``row`` that point's row, so a view can place the label where it
    draws that row (following the layout as it moves); ``parent`` is the cluster of the next
    coarser level that contains it (-1 on the coarsest level).
    """

    cluster: int
    parent: int
    size: int
    position: tuple[float, ...]
    label: str
    terms: tuple[str, ...]
    row: int = -1
    weights: tuple[float, ...] = ()


@dataclass(frozen=True)
class ClusterLevel:
    """One level of detail: the ``min_size`` it was found with, the label of every point
    (``labels``, -1 for noise) and its clusters, largest first."""

    min_size: int
    labels: Labels = field(repr=False)
    clusters: list[ClusterSummary]


def default_min_size(n: int) -> int:
    """Smallest cluster for ``n`` points: about sqrt(n) / 2, from 5 to 1,000 (digits' 1,797
    points: 21; 100,000: 158)."""
    return int(min(1000, max(5, round(math.sqrt(max(n, 0)) / 2))))


def find_clusters(
    layout: npt.ArrayLike,
    min_size: int | None = None,
    *,
    min_samples: int | None = None,
    max_points: int = SAMPLE_ROWS,
    seed: int = 0,
) -> Labels:
    """Cluster label of each point of ``layout`` (N, dims): 0 for the largest cluster, 1 for the
    next, ..., -1 for noise.

    ``min_size`` is the smallest cluster (default :func:`default_min_size`), ``min_samples`` the
    neighbours that make a point dense (default ``min(min_size, 10)``; larger is more
    conservative: more noise). Above ``max_points`` points HDBSCAN runs on a random sample
    (``seed``) and the rest take their nearest sampled point's label, if they are within its
    core distance (the distance to its ``min_samples``-th nearest sampled neighbour), else -1.

    Raises ValueError for non-finite coordinates or sizes below 2; ImportError without
    scikit-learn.
    """
    # Scale-free: huge coordinates neither overflow nor blow up.
    y = normalised(check_layout(layout))
    n = y.shape[0]
    size = _min_size(min_size, n)
    samples = _min_samples(min_samples, size)
    max_points = int_at_least("max_points", max_points, 2)
    sample = _sample(y, max_points, samples, seed)
    labels = _hdbscan(y[sample.rows], _scaled(size, sample.rows.size, n), samples)
    return _by_size(sample.spread(labels))


def cluster_positions(layout: npt.ArrayLike, labels: npt.ArrayLike) -> dict[int, tuple[float, ...]]:
    """Where each cluster's label goes: the coordinates of its medoid (:func:`cluster_medoids`)."""
    y = check_layout(layout)
    return {c: tuple(float(v) for v in y[row]) for c, row in cluster_medoids(y, labels).items()}


def cluster_medoids(layout: npt.ArrayLike, labels: npt.ArrayLike) -> dict[int, int]:
    """The row of each cluster's medoid: the point with the least summed distance to the
    cluster's other points (of up to 1,000 of them, chosen at random with a fixed seed, for
    large clusters)."""
    y = normalised(check_layout(layout))  # the same medoid, with no overflow in the squares
    lab = check_labels(labels, y.shape[0])
    order = np.argsort(lab, kind="stable")
    ids, starts = np.unique(lab[order], return_index=True)
    bounds = [*starts.tolist(), lab.size]
    rng = np.random.default_rng(0)
    out: dict[int, int] = {}
    for i, c in enumerate(ids.tolist()):
        if c < 0:
            continue
        members = order[bounds[i] : bounds[i + 1]]
        if members.size > 1000:
            members = rng.choice(members, 1000, replace=False)
        pts = y[members]
        d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(axis=2)).sum(axis=1)
        out[int(c)] = int(members[int(np.argmin(d))])
    return out


def cluster_levels(
    layout: npt.ArrayLike,
    min_size: int | None = None,
    levels: int = 3,
    *,
    factor: int = 3,
    texts: Sequence[Any] | npt.ArrayLike | None = None,
    categories: Sequence[Any] | npt.ArrayLike | None = None,
    top: int = 3,
    vectors: npt.ArrayLike | None = None,
    metric: str = "cosine",
    namer: Namer | None = None,
    encoder: Encoder | None = None,
    max_points: int = SAMPLE_ROWS,
    seed: int = 0,
    progress: Reporter | None = None,
) -> list[ClusterLevel]:
    """Nested clusterings of ``layout``, coarsest first, for labels that follow the zoom.

    Level i (of ``levels``) uses ``min_size * factor ** (levels - 1 - i)`` (so the finest uses
    ``min_size``, default :func:`default_min_size`). Each level splits every cluster of the
    level above with HDBSCAN on that cluster's points alone (a cluster with no denser parts
    stays whole), so every cluster lies inside one cluster, or the noise, of each coarser level:
    the noise of the level above is clustered again too, so a compact group too small for a
    coarser level becomes a cluster of a finer one (its ``parent`` -1). Each cluster comes with
    its size, label position (:func:`cluster_positions`) and label text (:func:`name_clusters`
    with ``texts`` or ``categories``, ``vectors``, ``metric``, ``namer`` and ``encoder``): below the
    coarsest level, a cluster is named against its siblings (the other parts of its parent), and
    a cluster that is its parent's only part keeps its parent's name. Sampling as in
    :func:`find_clusters`. ``progress`` hears one phase counting the levels done.
    """
    y = check_layout(layout)
    ys_all = normalised(y)
    n = y.shape[0]
    size = _min_size(min_size, n)
    levels = int_at_least("levels", levels, 1)
    factor = int_at_least("factor", factor, 2)
    max_points = int_at_least("max_points", max_points, 2)
    sample = _sample(ys_all, max_points, min(size, 10), seed)
    ys = ys_all[sample.rows]
    parent = np.full(sample.rows.size, -1, np.int32)  # above the coarsest level: all unclustered
    result: list[ClusterLevel] = []
    previous: Labels | None = None
    if progress is not None:
        progress.phase("clustering the layout", levels, unit="levels")
    names_above: dict[int, ClusterName] = {}
    for i in range(levels):
        level_size = size * factor ** (levels - 1 - i)
        labels = _split(ys, parent, _scaled(level_size, sample.rows.size, n))
        full = _by_size(sample.spread(labels))
        ups = _parents(full, previous)
        parts = np.bincount([p + 1 for p in ups.values()], minlength=1)
        only = {c: names_above[p] for c, p in ups.items() if p >= 0 and parts[p + 1] == 1}
        names = name_clusters(
            full,
            texts=texts,
            categories=categories,
            top=top,
            vectors=vectors,
            metric=metric,
            groups=ups,
            namer=namer,
            encoder=encoder,
            known=only,
        )
        medoids = cluster_medoids(ys_all, full)
        summaries = []
        for name in names:
            up = ups[name.cluster]
            summaries.append(
                ClusterSummary(
                    cluster=name.cluster,
                    parent=up,
                    size=name.size,
                    position=tuple(float(v) for v in y[medoids[name.cluster]]),
                    label=name.label,
                    terms=name.terms,
                    row=medoids[name.cluster],
                    weights=name.weights,
                )
            )
        result.append(ClusterLevel(min_size=int(level_size), labels=full, clusters=summaries))
        parent = labels
        previous = full
        names_above = {name.cluster: name for name in names}
        if progress is not None:
            progress.update(i + 1)
    return result


# --- helpers ---------------------------------------------------------------------------------


def _parents(full: Labels, previous: Labels | None) -> dict[int, int]:
    """Each cluster of ``full`` and the cluster of the level above that holds it (-1: the noise
    there, or no level above). Every part of a cluster lies in one cluster of the level above
    (:func:`_split` splits each separately), so its first point tells which."""
    ids, first = np.unique(full, return_index=True)
    return {
        int(c): -1 if previous is None else int(previous[f])
        for c, f in zip(ids.tolist(), first.tolist(), strict=True)
        if c >= 0
    }


def _min_size(min_size: int | None, n: int) -> int:
    return default_min_size(n) if min_size is None else int_at_least("min_size", min_size, 2)


def _min_samples(min_samples: int | None, size: int) -> int:
    if min_samples is None:
        return min(size, 10)
    return int_at_least("min_samples", min_samples, 1)


def _scaled(size: int, sampled: int, n: int) -> int:
    """A cluster of ``size`` points keeps about ``size * sampled / n`` of them in the sample."""
    return max(2, round(size * sampled / n)) if sampled < n else size


@dataclass(frozen=True)
class _Sample:
    """The rows HDBSCAN sees and how every point follows them.

    ``nearest`` is each point's nearest sampled row (an index into ``rows``) and ``reach``
    whether it lies within that row's core distance (its ``min_samples``-th nearest sampled
    neighbour): a point beyond it is as isolated as noise and stays noise.
    """

    rows: npt.NDArray[np.int64]
    nearest: npt.NDArray[np.int64] | None = None
    reach: npt.NDArray[np.bool_] | None = None

    def spread(self, labels: Labels) -> Labels:
        """The labels of the sampled rows carried to every point."""
        if self.nearest is None or self.reach is None:
            return labels
        out = labels[self.nearest]
        out[~self.reach] = -1
        return out


def _sample(y: npt.NDArray[np.float64], max_points: int, min_samples: int, seed: int) -> _Sample:
    """Every row when there are at most ``max_points``, else a random sample of them."""
    n = y.shape[0]
    if n <= max_points:
        return _Sample(np.arange(n, dtype=np.int64))
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=max_points, replace=False)).astype(np.int64)
    spatial = optional_import(
        "scipy.spatial", "Clustering needs scipy (installed with scikit-learn)"
    )
    tree = spatial.cKDTree(y[rows])
    core, _ = tree.query(y[rows], k=[min(min_samples, rows.size - 1) + 1], workers=-1)
    dist, nearest = tree.query(y, k=1, workers=-1)
    nearest = np.asarray(nearest, dtype=np.int64)
    return _Sample(rows, nearest, np.asarray(dist) <= np.asarray(core)[:, 0][nearest])


def _hdbscan(y: npt.NDArray[np.float64], min_size: int, min_samples: int) -> Labels:
    """HDBSCAN labels of ``y`` (-1 noise); all noise when there are too few points."""
    if y.shape[0] < max(min_size, 2):
        return np.full(y.shape[0], -1, np.int32)
    cluster = optional_import("sklearn.cluster", "Clustering needs scikit-learn >= 1.3")
    if not hasattr(cluster, "HDBSCAN"):
        raise MissingExtra("Clustering needs scikit-learn >= 1.3 (HDBSCAN)", "explain")
    HDBSCAN = cluster.HDBSCAN
    model = HDBSCAN(
        min_cluster_size=min_size,
        min_samples=min(min_samples, y.shape[0] - 1),
        copy=False,
    )
    return np.asarray(model.fit_predict(np.ascontiguousarray(y)), dtype=np.int32)


def _split(y: npt.NDArray[np.float64], parent: Labels, min_size: int) -> Labels:
    """Split each cluster of ``parent``, and its noise, with HDBSCAN on their own points.

    A cluster in which HDBSCAN finds fewer than two clusters stays whole; the noise keeps
    whatever clusters it holds at this size (a compact group too small for the coarser level).
    Returns labels numbered across all parents (-1 noise).
    """
    out = np.full(parent.size, -1, np.int32)
    next_id = 0
    for c in np.unique(parent).tolist():
        members = np.flatnonzero(parent == c)
        sub = _hdbscan(y[members], min_size, min(min_size, 10))
        if c >= 0 and sub.max(initial=-1) < 1:
            sub = np.zeros(members.size, np.int32)
        found = sub >= 0
        out[members[found]] = sub[found] + next_id
        next_id += int(sub.max(initial=-1)) + 1
    return out


def _by_size(labels: Labels) -> Labels:
    """Renumber clusters 0, 1, ... from the largest (ties: the lower old number first)."""
    out = np.full(labels.size, -1, np.int32)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    if ids.size == 0:
        return out
    order = np.lexsort((ids, -counts))
    new = np.empty(int(ids.max()) + 1, np.int32)
    new[ids[order]] = np.arange(ids.size, dtype=np.int32)
    clustered = labels >= 0
    out[clustered] = new[labels[clustered]]
    return out
