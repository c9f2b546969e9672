"""The map explains itself: clusters and their names, and how far the layout can be trusted.

:meth:`ExplainPart.cluster` and :meth:`ExplainPart.layout_quality` compute on the layout shown
(:mod:`projector_widget.compute.explain`), in the calling thread, or in the background when the
page asks, one at a time (:class:`~projector_widget.util.jobs.OneAtATime`). Their results are
the ``_clusters`` and ``_quality`` traits and a metadata column each; once the layout changes
they are marked ``stale`` rather than recomputed behind the user's back. Cluster names weigh
their terms by centrality in the embeddings, by the widget's ``metric`` (in the layout when the
embeddings stay on a Dask cluster), and use the widget's encoder, when it has one, to embed them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain import named
from projector_widget.compute.explain.central import Encoder
from projector_widget.compute.explain.naming import Namer
from projector_widget.data.embeddings import NeedsMemoryError
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.session import ProjectionSession
from projector_widget.parts.timeline import TimelinePart
from projector_widget.sync import protocol
from projector_widget.util.jobs import OneAtATime, Work

if TYPE_CHECKING:
    from projector_widget.compute.explain.named import NamedClusters
    from projector_widget.compute.explain.quality import QualityReport
    from projector_widget.util.progress import Reporter

Quality = tuple["QualityReport", npt.NDArray[np.float32]]


class ExplainPart:
    """Clusters and layout quality of one widget, and their staleness."""

    def __init__(
        self,
        host: Host,
        session: ProjectionSession,
        metadata: Metadata,
        timeline: TimelinePart,
        encoder: Encoder | None = None,
    ) -> None:
        self._host = host
        self._encoder = encoder
        self._session = session
        self._metadata = metadata
        self._timeline = timeline
        self._clustered: npt.NDArray[np.float32] | None = None  # the layout _clusters is of
        self._measured: npt.NDArray[np.float32] | None = None  # the layout _quality is of
        #: Clustering and layout quality: one at a time, in a thread when the panel asks.
        self.running = OneAtATime(
            session.task,
            lambda exc: host.send(protocol.error_reply(protocol.error_text(exc))),
            cancelled=session.closed.is_set,
        )

    # ------------------------------------------------------------------ clusters
    def cluster(
        self, column: str | None, min_size: int | None, into: str, namer: Namer | None = None
    ) -> Any:
        """:meth:`Projector.cluster`: the table of the clusters found."""
        if namer is not None and not callable(namer):
            raise TypeError("namer must be a function (terms, texts) -> name")
        found: NamedClusters = self.running.run(
            "finding clusters", lambda: self._clusters_work(column, min_size, into, namer)
        )
        return found.table

    def _clusters_work(
        self,
        column: str | None,
        min_size: int | None,
        into: str,
        namer: Namer | None = None,
        *,
        show: bool = False,
    ) -> Work[NamedClusters]:
        """The clusters of the layout as it is now, checked before any work; with ``show`` the
        names are switched on when they land."""
        host, metadata = self._host, self._metadata
        metadata.check_made_name(into, "cluster")
        named.naming_column(metadata.columns, column, host.label_by, skip=into)  # a bad column: now
        layout, columns, label_by = self._timeline.coordinates(), metadata.columns, host.label_by
        rows, version = self._session.subset, int(host._clusters.get("version", 0)) + 1
        try:  # the rows' embeddings, where names measure how central their terms are
            vectors: Any = self._session.backend.memory("cluster names").values
        except NeedsMemoryError:
            vectors = None  # on a Dask cluster: in the layout (and no encoder)
        encoder, metric = (None if vectors is None else self._encoder), host.metric

        def compute(progress: Reporter) -> NamedClusters:
            return named.find_named_clusters(
                layout,
                columns,
                column=column,
                label_by=label_by,
                min_size=min_size,
                rows=rows,
                version=version,
                output=into,
                vectors=vectors,
                metric=metric,
                namer=namer,
                encoder=encoder,
                progress=progress,
            )

        def land(found: NamedClusters) -> None:
            metadata.put_made(found.column, "cluster")
            with self._session.lock:  # no new layout between the result and its stale check
                self._clustered = layout
                host._clusters = found.payload
                self.mark_stale(self._session.coords)
            if show:
                host.show_clusters = True

        return Work(compute, land)

    # ------------------------------------------------------------------ layout quality
    def layout_quality(self, k: int, metric: str, into: str) -> Any:
        """:meth:`Projector.layout_quality`: the quality report."""
        report, _kept = self.running.run(
            "checking the layout", lambda: self._quality_work(k, metric, into)
        )
        return report

    def _quality_work(self, k: int, metric: str, into: str, *, show: bool = False) -> Work[Quality]:
        """The quality of the layout as it is now; with ``show`` the map is coloured by the
        neighbours kept when they land."""
        host, metadata = self._host, self._metadata
        high = self._session.backend.memory("layout_quality (Check layout)").values
        metadata.check_made_name(into, "layout_quality")
        layout, rows = self._timeline.coordinates(), self._session.subset
        version = int(host._quality.get("version", 0)) + 1

        def compute(progress: Reporter) -> Quality:
            return named.quality_on_rows(high, layout, k, metric, rows, progress=progress)

        def land(result: Quality) -> None:
            report, kept = result
            values = [None if np.isnan(v) else float(v) for v in kept]
            metadata.put_made_values(into, values, "layout_quality")
            with self._session.lock:  # no new layout between the result and its stale check
                self._measured = layout
                host._quality = named.quality_payload(report, into, version)
                self.mark_stale(self._session.coords)
            if show:
                with host.hold_sync():
                    host.color_by = into
                    host.color_map = named.kept_color_map(host.color_map)

        return Work(compute, land)

    # ------------------------------------------------------------------ staleness
    def mark_stale(self, coords: npt.NDArray[np.float32]) -> None:
        """The layout is now ``coords``: mark ``_clusters`` and ``_quality`` stale (once) when
        it is not the layout they were computed on."""
        host = self._host
        now: npt.NDArray[np.float32] | None = None
        for name, done in (("_clusters", self._clustered), ("_quality", self._measured)):
            value = getattr(host, name)
            if done is None or value.get("stale", True):
                continue
            if now is None:
                now = self._timeline.shown(coords)[:, : host.dimensions]
            if now.shape != done.shape or not np.array_equal(now, done):
                setattr(host, name, {**value, "stale": True})

    def close(self) -> None:
        """Wait for the panel's work, which the closed session ended at its next step (its
        result never lands)."""
        self.running.join()

    def handlers(self) -> dict[type, Any]:
        """The panel's Find clusters and Check layout (in the background, one at a time)."""
        return {
            protocol.FindClusters: lambda r: self.running.start(
                "finding clusters",
                lambda: self._clusters_work(r.column or None, None, "cluster", show=True),
            ),
            protocol.CheckLayout: lambda r: self.running.start(
                "checking the layout",
                lambda: self._quality_work(r.k, "euclidean", "neighbours kept", show=True),
            ),
        }
