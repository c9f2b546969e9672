"""Neighbours and search: the focused row's nearest neighbours in the original space, search by
meaning through the user's encoder, and search of the metadata text.

Queries go to the backend's searcher (exact, or through an approximate index built with
:meth:`NeighboursPart.build_index`); a step of a sequence has its own backend, so the
neighbours follow the step shown. The focused row's neighbours are the ``_neighbors`` trait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.backend import Searcher
from projector_widget.compute.neighbours import check_metric
from projector_widget.compute.search import search as search_columns
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.labels import naming_column, row_names
from projector_widget.parts.session import ProjectionSession
from projector_widget.parts.timeline import TimelinePart
from projector_widget.sync import protocol, wire

Found = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]
Encoder = Callable[[list[str]], Any]


class NeighboursPart:
    """Nearest neighbours, the encoder's queries and metadata search of one widget."""

    def __init__(
        self,
        host: Host,
        session: ProjectionSession,
        timeline: TimelinePart,
        metadata: Metadata,
        encoder: Encoder | None,
    ) -> None:
        if encoder is not None and not callable(encoder):
            raise TypeError("encoder must be a function list[str] -> array of embeddings")
        self._host = host
        self._session = session
        self._timeline = timeline
        self._metadata = metadata
        self.encoder = encoder
        #: A failed refresh is putting its trait back (nothing to refresh for that).
        self._restoring = False

    @property
    def searcher(self) -> Searcher:
        """The neighbour queries of the embeddings shown (the current step's)."""
        return self._session.backend.searcher()

    def bind(self) -> None:
        """Follow the focus, ``k_neighbors`` and ``metric`` (a change whose neighbours cannot
        be found is undone, and its error raised)."""
        self._host.observe(self._on_focus, ["focus", "k_neighbors", "metric"])

    def _on_focus(self, change: dict[str, Any]) -> None:
        if self._restoring or not (change["name"] == "focus" or self._host.focus >= 0):
            return
        try:
            self.refresh()
        except Exception:
            # All or nothing: the trait goes back to the value its neighbours are of.
            self._restoring = True
            try:
                setattr(self._host, change["name"], change["old"])
            finally:
                self._restoring = False
            raise

    def nearest(self, index: Any, k: int, metric: str, *, exact: bool = False) -> Found:
        """:meth:`Projector.nearest`."""
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be a row index (an int), got {index!r}")
        return self.searcher.query(
            int(index), k, metric, candidates=self._session.subset, exact=exact
        )

    def build_index(self, metric: str, **options: Any) -> Any:
        """:meth:`Projector.build_index` for ``metric`` (checked)."""
        m = check_metric(metric)
        with self._session.task() as report:
            index = self.searcher.build_index(m, progress=report, **options)
        if self._host.focus >= 0 and m == self._host.metric:
            self.refresh()
        return index

    def query(self, text: str, k: int | None) -> Found:
        """:meth:`Projector.query`: the encoder's vector of ``text``, its neighbours shown."""
        if self.encoder is None:
            raise ValueError("no encoder: pass Projector(..., encoder=fn) to search by meaning")
        host, dims = self._host, self._session.backend.dims
        vec = np.asarray(self.encoder([text]), dtype=np.float32)
        if vec.ndim == 2 and vec.shape[0] == 1:
            vec = vec[0]
        if vec.ndim != 1 or vec.shape[0] != dims:
            raise ValueError(
                f"the encoder returned shape {np.shape(vec)}; expected one vector of "
                f"{dims} dimensions like the embeddings"
            )
        if not np.all(np.isfinite(vec)):
            raise ValueError(f"the encoder returned NaN or infinite values for {text!r}")
        idx, dist = self.searcher.query(
            vec, k or host.k_neighbors, host.metric, candidates=self._session.subset
        )
        host.focus = -1
        labels, column = self.named(idx)
        host._neighbors = wire.encode_neighbors(-1, idx, dist, labels, query=text, column=column)
        where = self._timeline.locate(vec, host.dimensions)
        if where is None:
            where = self._session.locate(vec, host.dimensions)
        host._query_point = {"text": text, "coords": where}
        return idx, dist

    def refresh(self) -> None:
        """The focused row's neighbours as ``_neighbors`` ({} when nothing is focused)."""
        host = self._host
        if host.focus < 0:
            if host._neighbors.get("index", -1) >= 0:
                host._neighbors = {}
            return
        idx, dist = self.nearest(host.focus, host.k_neighbors, host.metric)
        host._query_point = {}
        labels, column = self.named(idx)
        host._neighbors = wire.encode_neighbors(host.focus, idx, dist, labels, column=column)

    def named(self, rows: npt.NDArray[np.int64]) -> tuple[list[str], str]:
        """How each row is named in lists (its text in the naming column, or ``#index``) and
        that column's name ("" when there is none)."""
        column = naming_column(self._metadata.columns, self._host.label_by)
        return row_names(column, rows), "" if column is None else column.name

    def search(
        self, pattern: str, column: str | None, *, regex: bool, case: bool, select: bool
    ) -> npt.NDArray[np.int64]:
        """:meth:`Projector.search`."""
        hits = search_columns(
            self._metadata.columns, pattern, column=column, regex=regex, case=case
        )
        if self._session.subset is not None:
            hits = np.intersect1d(hits, self._session.subset)
        if select:
            self._host.selected = hits
        return hits

    def handlers(self) -> dict[type, Any]:
        """The page's ``search`` and ``query`` requests."""

        def search(request: protocol.Search) -> None:
            hits = self.search(
                request.query, request.column, regex=request.regex, case=False, select=True
            )
            self._host.send(protocol.search_reply(request.query, int(hits.size)))

        return {
            protocol.Search: search,
            protocol.Query: lambda r: self.query(r.text, None),
        }
