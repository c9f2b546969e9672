"""What the widget's ``cluster()`` and ``layout_quality()`` compute, on plain values.

:func:`find_named_clusters` clusters a layout at three levels of detail (:mod:`clusters`),
names them from a metadata column (:mod:`naming`) and returns the table ``w.cluster()`` gives,
the ``cluster`` column's values (the finest level; None for noise) and the ``_clusters`` payload
the browser draws labels from. :func:`quality_on_rows` runs :func:`quality.layout_quality` on
the rows a view shows, and :func:`quality_payload` is its ``_quality`` trait, the scores the
panel shows. None of them knows the widget (``projector_widget.parts.explain`` is the part that
uses them).

The payload names each label's *anchor row* (its cluster's medoid), not a position: the browser
places the label where it draws that row, so labels follow a t-SNE or UMAP layout frame by
frame without a recomputation. The clusters themselves belong to the layout they were found
on; once the layout changes, the payload is marked ``stale`` (the labels keep following their
rows, and the panel offers to find clusters again) rather than recomputed behind the user's back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain import clusters, naming, quality
from projector_widget.compute.explain.central import Encoder
from projector_widget.data.choices import naming_column as default_naming_column
from projector_widget.data.columns import Column, categorical_column
from projector_widget.util.progress import Reporter

#: Levels of detail sent to the browser (coarse to fine).
LEVELS = 3
#: Name of the metadata column the clusters become.
CLUSTER_COLUMN = "cluster"
#: Sequential colour maps whose low end is dark and far from the high one: rows whose
#: neighbours the layout lost stand out. The panel's Check layout keeps the user's colour map
#: when it is one of these (not reversed) and switches to the first otherwise.
KEPT_COLOR_MAPS = ("viridis", "magma", "inferno", "plasma", "cividis")


@dataclass(frozen=True)
class NamedClusters:
    """What :func:`find_named_clusters` found: the table, the column values, the payload and the
    column itself (categorical whatever the number of clusters; noise missing)."""

    table: Any
    values: list[int | None]
    payload: dict[str, Any]
    column: Column


def naming_column(
    columns: Sequence[Column], column: str | None, label_by: str, skip: str = CLUSTER_COLUMN
) -> Column | None:
    """The column that names clusters: ``column`` when given (text or category; KeyError or
    TypeError otherwise), else :func:`projector_widget.data.columns.naming_column` (never
    ``skip``, the clusters' own column); None when there is none (clusters are then numbered)."""
    if column is None:
        return default_naming_column(columns, label_by, skip)
    found = next((c for c in columns if c.name == column), None)
    if found is None:
        names = [c.name for c in columns]
        raise KeyError(f"there is no metadata column {column!r}; columns are {names}")
    if found.kind not in ("text", "category"):
        raise TypeError(
            f"column {column!r} holds numbers; clusters are named from a text column "
            "(keywords) or a categorical one (its most common value)"
        )
    return found


def find_named_clusters(
    layout: npt.ArrayLike,
    columns: Sequence[Column],
    *,
    column: str | None = None,
    label_by: str = "",
    min_size: int | None = None,
    rows: npt.NDArray[np.int64] | None = None,
    version: int = 0,
    output: str = CLUSTER_COLUMN,
    vectors: npt.ArrayLike | None = None,
    metric: str = "cosine",
    namer: naming.Namer | None = None,
    encoder: Encoder | None = None,
    progress: Reporter | None = None,
) -> NamedClusters:
    """Cluster ``layout`` (N, 2 or 3) at :data:`LEVELS` levels, named from ``column``.

    ``rows`` restricts the clustering to those rows (an isolated selection; the others are
    noise). Names weigh each term's centrality in ``vectors`` (N, D), the rows' embeddings, by
    ``metric`` (in the layout, Euclidean, when None), and come from ``namer`` and ``encoder`` when given
    (:func:`naming.name_clusters`). The table is the finest level (clusters of at least
    ``min_size`` points), with the columns of :func:`naming.cluster_table` and ``row``, the
    medoid's row; the column is named ``output``. The payload lists each level's clusters with
    their ``parent`` (the cluster of the level above that holds them, -1: none). ``progress``
    hears the levels done.
    """
    y = np.asarray(layout, dtype=np.float64)
    n = y.shape[0]
    idx = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    named_by = naming_column(columns, column, label_by, skip=output)
    texts = categories = None
    if named_by is not None:
        values = [named_by.text(int(i)) for i in idx.tolist()]
        if named_by.kind == "text":
            texts = values
        else:
            categories = values
    if encoder is not None and vectors is None:
        raise ValueError("an encoder needs the embeddings (vectors) its term vectors compare with")
    space = y if vectors is None else np.asarray(vectors)
    levels = clusters.cluster_levels(
        y[idx],
        min_size,
        LEVELS,
        texts=texts,
        categories=categories,
        vectors=space if rows is None else space[idx],
        metric="euclidean" if vectors is None else metric,
        namer=namer,
        encoder=encoder,
        progress=progress,
    )
    finest = levels[-1]
    # The finest level's names, as cluster_levels found them (no second c-TF-IDF pass).
    names = [
        naming.ClusterName(s.cluster, s.size, s.label, s.terms, s.weights) for s in finest.clusters
    ]
    names.sort(key=lambda name: name.cluster)
    table = naming.cluster_table(names, {s.cluster: s.position for s in finest.clusters})
    table["row"] = [int(idx[s.row]) for s in finest.clusters]
    full = np.full(n, -1, np.int32)
    full[idx] = finest.labels
    payload = {
        "version": int(version),
        "column": "" if named_by is None else named_by.name,
        "dims": int(y.shape[1]),
        "stale": False,
        "levels": [
            {
                "min_size": level.min_size,
                "clusters": [
                    {
                        "cluster": s.cluster,
                        "parent": s.parent,
                        "label": s.label,
                        "size": s.size,
                        "row": int(idx[s.row]),
                    }
                    for s in level.clusters
                ],
            }
            for level in levels
        ],
    }
    per_row: list[int | None] = [None if c < 0 else int(c) for c in full.tolist()]
    # Categorical however many clusters there are: make_column would type more than 32
    # distinct integers as numbers (a colour ramp and a histogram instead of categories).
    cells = np.empty(n, dtype=object)
    cells[:] = per_row
    return NamedClusters(table, per_row, payload, categorical_column(output, cells))


def quality_on_rows(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    k: int,
    metric: str,
    rows: npt.NDArray[np.int64] | None = None,
    *,
    progress: Reporter | None = None,
) -> tuple[quality.QualityReport, npt.NDArray[np.float32]]:
    """The :class:`quality.QualityReport` of the ``rows`` shown (all when None) and the
    ``neighbours kept`` value of every row (NaN for rows not shown or not evaluated)."""
    x = np.asarray(high)
    y = np.asarray(low)
    if rows is None:
        report = quality.layout_quality(x, y, k, metric, progress=progress)
        return report, report.kept
    report = quality.layout_quality(x[rows], y[rows], k, metric, progress=progress)
    kept = np.full(x.shape[0], np.nan, np.float32)
    kept[rows] = report.kept
    return report, kept


def quality_payload(report: quality.QualityReport, column: str, version: int) -> dict[str, Any]:
    """The ``_quality`` trait of ``report``: the scores the panel shows, the column holding the
    neighbours kept, and ``stale`` (False: the layout is still the one measured)."""
    return {
        "version": int(version),
        "column": column,
        "k": int(report.k),
        "metric": report.metric,
        "exact": bool(report.exact),
        "evaluated": int(report.evaluated),
        "trustworthiness": float(report.trustworthiness),
        "continuity": float(report.continuity),
        "trustworthiness_se": float(report.trustworthiness_se),
        "continuity_se": float(report.continuity_se),
        "stale": False,
    }


def kept_color_map(current: str) -> str:
    """The colour map to show the neighbours kept with: ``current`` when it is one of
    :data:`KEPT_COLOR_MAPS`, else the first of them."""
    return current if current in KEPT_COLOR_MAPS else KEPT_COLOR_MAPS[0]
