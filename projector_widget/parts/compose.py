"""The parts of one widget, made in the order they depend on each other, and what they share:
their message handlers, their observers and their lifetime.

Order: the metadata and the projection session first (they depend on nothing else), then the
overview and the timeline (they read the session), the points (the session reports its
coordinates to them), the neighbours and labels, the explanations, the projection traits (which
tell the neighbours and labels when the rows shown change) and the bookmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.backend import Backend
from projector_widget.data.columns import Column
from projector_widget.parts.bookmarks import BookmarksPart
from projector_widget.parts.columns import Metadata
from projector_widget.parts.explain import ExplainPart
from projector_widget.parts.host import Host
from projector_widget.parts.labels import LabelsPart
from projector_widget.parts.neighbours import Encoder, NeighboursPart
from projector_widget.parts.overview import OverviewPart
from projector_widget.parts.points import PointsPart
from projector_widget.parts.projection import ProjectionPart
from projector_widget.parts.session import ProjectionSession, progress_value
from projector_widget.parts.timeline import Timeline, TimelinePart
from projector_widget.sync import protocol
from projector_widget.sync.traits import normalize_selection, selection_rows

#: The traits ``Projector(...)`` also takes as keywords (its named parameters aside).
INIT_TRAITS = (
    *("height", "point_size", "color_map", "palette", "opacity", "size_by", "size_range"),
    *("focus", "k_neighbors", "metric", "camera", "chart", "show_clusters", "show_density"),
    "show_images",
)


def check_init_traits(traits: dict[str, Any]) -> None:
    """TypeError naming the keywords ``Projector()`` does not take (and those it does)."""
    unknown = sorted(set(traits) - set(INIT_TRAITS))
    if unknown:
        raise TypeError(
            f"Projector() got unexpected keyword argument(s) {unknown}; besides embeddings, "
            "metadata, color_by, label_by, dimensions, selected, images, encoder, copy, "
            f"layout_sample and overview_above it takes {list(INIT_TRAITS)} (help(Projector))"
        )


@dataclass
class Parts:
    """Every capability of one widget."""

    metadata: Metadata
    session: ProjectionSession
    overview: OverviewPart
    timeline: TimelinePart
    points: PointsPart
    neighbours: NeighboursPart
    labels: LabelsPart
    explain: ExplainPart
    projection: ProjectionPart
    bookmarks: BookmarksPart
    #: The thumbnails (N, h, w, 4) uint8, or None.
    images: npt.NDArray[np.uint8] | None
    selection: Callable[[], npt.NDArray[np.int64]]
    host: Host
    #: The widget's handler of the page's messages (set by :meth:`open`).
    _on_msg: Callable[[Any, Any, Any], None] | None = None

    def handlers(self) -> dict[type, Callable[[Any], None]]:
        """One handler per request type of the protocol."""
        return {
            **self.metadata.handlers(self.selection),
            **self.points.handlers(),
            **self.projection.handlers(self.selection),
            **self.neighbours.handlers(),
            **self.bookmarks.handlers(),
            **self.explain.handlers(),
            **self.overview.handlers(),
        }

    def first_state(
        self, coords: npt.NDArray[np.float32], dims: int, color_by: str
    ) -> dict[str, Any]:
        """The first values of the traits the parts keep: the first layout ``coords`` shown in
        ``dims`` dimensions (coloured by ``color_by`` in overview mode)."""
        session, overview = self.session, self.overview
        shown = self.timeline.shown(coords)
        return {
            "_overview": overview.build(shown, color_by) if overview.active else {},
            "_spec": protocol.spec(),
            "_columns": self.metadata.encoded(),
            "_points": self.points.first(coords, dims),
            "_pca_variance": session.variance(),
            "projection": session.method,
            "projection_params": dict(session.params),
            "_progress": progress_value("pca", "done"),
            "_timeline": self.timeline.encoded(),
            "_timeline_active": self.timeline.active(),
        }

    def close(self) -> Parts:
        """End every part; returns what the widget holds from then on (:class:`ClosedParts`).

        The background work stops, and close waits for it (at most the time of a step): the
        running job, the PCA refinement (between two passes), the panel's clustering or layout
        check (at its next step, without landing). Indexes, caches and the points held for the
        page are released, the parts' observers and message handlers dropped.
        """
        self.session.close()
        self.projection.close()
        self.explain.close()
        self.overview.close()
        self.points.close()
        self.timeline.close()
        self.host.unobserve_all()
        if self._on_msg is not None:
            self.host.on_msg(self._on_msg, remove=True)
        return ClosedParts()

    def describe(self, host: Host) -> str:
        """The widget's text form: size, projection, selection, columns."""
        params = ", ".join(f"{k}={v!r}" for k, v in host.projection_params.items())
        subset = self.session.subset
        shown = "" if subset is None else f", {subset.size:,} isolated"
        return (
            f"<Projector: {self.session.n:,} points x {self.session.backend.dims} dims, "
            f"{host.projection}({params}) in {host.dimensions}-D, "
            f"{len(host.selected):,} selected{shown}, columns {list(self.metadata.kinds)}>"
        )

    def open(self, selected: Any, bookmarks: list[dict[str, Any]] | None) -> None:
        """Once the widget's traits hold their first values: the parts' observers and message
        handlers, the first selection and bookmarks, the neighbours and labels they need."""
        for part in (self.projection, self.neighbours, self.labels, self.overview):
            part.bind()
        handlers = self.handlers()
        host = self.host

        def on_msg(_widget: Any, msg: Any, _buffers: Any) -> None:
            protocol.dispatch(msg, handlers, host.send)

        self._on_msg = on_msg
        host.on_msg(on_msg)
        if selected is not None:
            self.host.selected = selected
        self.bookmarks.adopt(bookmarks or [])
        self.neighbours.refresh()
        self.labels.refresh()


def compose(
    host: Host,
    backend: Backend,
    columns: list[Column],
    *,
    overview: bool,
    steps: Timeline | None,
    encoder: Encoder | None,
) -> Parts:
    """The parts of ``host``, a widget of ``backend``'s rows and ``columns`` (a density overview
    when ``overview``; a sequence's ``steps``; the ``encoder`` of text queries)."""
    metadata = Metadata(host, columns, backend.n, per_row=not overview)
    session = ProjectionSession(
        backend,
        lambda: metadata.columns,
        on_progress=lambda state: setattr(host, "_progress", state),
        on_refined=lambda result: setattr(
            host, "_pca_variance", [float(v) for v in result.explained_variance_ratio]
        ),
    )
    overview_part = OverviewPart(host, session, metadata, active=overview)
    timeline = TimelinePart(host, session, steps)
    points = PointsPart(host, session, timeline, overview_part)
    session.on_coords = points.show
    neighbours = NeighboursPart(host, session, timeline, metadata, encoder)
    labels = LabelsPart(host, session, metadata)
    explain = ExplainPart(host, session, metadata, timeline, encoder)
    points.listeners += [lambda coords: overview_part.rebuild(timeline.shown(coords))]
    points.listeners += [explain.mark_stale]
    projection = ProjectionPart(
        host, session, timeline=timeline, points=points, overview=overview_part, explain=explain
    )
    projection.rows_changed += [neighbours.refresh, labels.refresh]
    bookmarks = BookmarksPart(host, session, projection, metadata)

    def selection() -> npt.NDArray[np.int64]:
        return normalize_selection(selection_rows(host.selected), backend.n)

    return Parts(
        metadata=metadata,
        session=session,
        overview=overview_part,
        timeline=timeline,
        points=points,
        neighbours=neighbours,
        labels=labels,
        explain=explain,
        projection=projection,
        bookmarks=bookmarks,
        images=None,
        selection=selection,
        host=host,
    )


class ClosedError(RuntimeError):
    """A closed :class:`~projector_widget.Projector` was used."""


class ClosedParts(Parts):
    """What a closed widget holds instead of its parts: any use raises :class:`ClosedError`
    (closing again and the widget's text form aside), and nothing of the parts is kept."""

    def __init__(self) -> None:  # no parts: the widget's were released
        pass

    def __getattribute__(self, name: str) -> Any:
        if name in ("close", "describe"):
            return object.__getattribute__(self, name)
        raise ClosedError(
            "this Projector was closed; make a new one to work with its data again (close() "
            "stopped its jobs and released what it held)"
        )

    def close(self) -> Parts:
        """Closing again does nothing."""
        return self

    def describe(self, host: Host) -> str:
        """The text form of a closed widget."""
        return "<Projector: closed>"

    def __repr__(self) -> str:
        return "ClosedParts()"
