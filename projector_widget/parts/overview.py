"""The density overview of a widget above ``overview_above`` rows: its index and the page's
requests for grids, tiles and lassos (README, "Larger than memory").

The index (:class:`~projector_widget.compute.overview.index.OverviewIndex`) is built from the
layout shown, where the backend keeps its chunks; a new layout or colour column replaces it
and bumps the ``_overview`` version, and requests of an older version are dropped.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute import overview as limits
from projector_widget.compute.overview.index import (
    OverviewIndex,
    RowBits,
    category_codes,
    selected_flags,
)
from projector_widget.data.columns import Column
from projector_widget.data.inputs import check_dimensions
from projector_widget.parts.columns import Metadata
from projector_widget.parts.host import Host
from projector_widget.parts.session import ProjectionSession
from projector_widget.sync import protocol, wire


def overview_mode(n: int, overview_above: object) -> bool:
    """Whether ``n`` rows are shown as a density overview (``overview_above`` checked)."""
    if isinstance(overview_above, bool) or not isinstance(overview_above, (int, np.integer)):
        raise TypeError(f"overview_above must be a number of rows, got {overview_above!r}")
    return n > int(overview_above)


class OverviewPart:
    """The overview's index, its version and the replies to the page (inactive below the
    threshold: then every request is refused and nothing is built)."""

    def __init__(
        self, host: Host, session: ProjectionSession, metadata: Metadata, *, active: bool
    ) -> None:
        self._host = host
        self._session = session
        self._metadata = metadata
        #: Whether the first view is the density overview.
        self.active = active
        self._lock = threading.Lock()  # the index and its version change together
        #: Held while an index is built and published (layout and colour changes in turn).
        self._building = threading.RLock()
        #: The index of the layout shown (None until the first is built).
        self.index: OverviewIndex | None = None
        self._source: Column | None = None  # the column of the index's codes
        self._version = 0
        #: Changes of ``selected`` so far (tiles replies say which their flags show).
        self._selection_changes = 0
        #: A large selection array and its bits (the tiles' flags), made on the first tiles.
        self._selected_bits: tuple[npt.NDArray[np.int64], RowBits] | None = None

    def check_dims(self, value: Any) -> int:
        """``value`` as the view's dimensions (2 or 3; 2 only in overview mode)."""
        check_dimensions(value)
        if value == 3 and self.active:
            raise ValueError(
                f"this projector shows {self._session.n:,} rows as a 2-D density overview (more "
                "than overview_above rows), so it has no 3-D view; pass a larger overview_above "
                "(every point is then sent to the browser) or a subset of the rows for 3-D"
            )
        return int(value)

    def bind(self) -> None:
        """Follow the colour column and the selection."""
        host = self._host
        host.observe(lambda _c: self.recolor(), ["color_by", "_columns"])
        host.observe(lambda _c: self._count_selection(), "selected")

    def _count_selection(self) -> None:
        self._selection_changes += 1

    # ------------------------------------------------------------------ the index
    def build(self, shown: npt.NDArray[np.float32], color_by: str) -> dict[str, Any]:
        """Index the layout ``shown`` (N, >= 2: x and y; the isolated rows only), make the first
        grid, and return the new ``_overview`` value (its version bumped)."""
        xy = shown[:, :2]
        column, codes = self._codes(color_by)
        subset = self._session.subset
        executor, starts = self._session.backend.overview_executor()
        if subset is not None:
            xy = xy[subset]
            codes = None if codes is None else codes[subset]
        index = OverviewIndex.build(
            xy, codes, rows=subset, starts=starts, executor=executor, n_points=self._session.n
        )
        return self._publish(index, column)

    def rebuild(self, shown: npt.NDArray[np.float32]) -> None:
        """A new layout: index it and send the new ``_overview`` (overview mode only)."""
        if not self.active:
            return
        with self._building:  # the colour column is read with the index it builds
            self._host._overview = self.build(shown, self._host.color_by)

    def recolor(self) -> None:
        """New category codes in the overview when the colour column (or its values) changed."""
        if not self.active:
            return
        # One build at a time: a new layout indexed in the background (the PCA's refinement)
        # and a new colour column would otherwise each publish an index the other made stale.
        with self._building:
            if self.index is None:
                return
            column, codes = self._codes(self._host.color_by)
            if column is self._source:
                return  # the overview has these categories already (or none before and after)
            self._host._overview = self._publish(self.index.recolor(codes), column)

    def _codes(self, color_by: str) -> tuple[Column | None, Any]:
        """The categorical column the overview colours by (None when ``color_by`` is not one)
        and its uint8 codes."""
        for c in self._metadata.columns:
            if c.name == color_by and c.kind == "category":
                return c, category_codes(c.codes, c.missing_code)
        return None, None

    def _publish(self, index: OverviewIndex, column: Column | None) -> dict[str, Any]:
        grid = index.grid()
        # The index replaced is dropped, not released: a lazy selection made on it keeps it (on
        # a cluster its chunks leave the workers when the last reference goes).
        with self._lock:
            self.index = index
            self._source = column
            self._version += 1
            version = self._version
        return wire.encode_overview(
            version,
            n=index.n,
            domain=index.domain,
            grid=grid,
            column="" if column is None else column.name,
            categories=[] if column is None else list(column.categories[: limits.NO_CODE]),
            budget=limits.BROWSER_BUDGET,
            tile_budget=limits.TILE_BUDGET,
        )

    def _current(self, version: int) -> OverviewIndex | None:
        """The index when ``version`` is current (None: a stale request, dropped)."""
        with self._lock:
            index, current = self.index, self._version
        if index is None:
            raise ValueError(
                f"this projector shows its {self._session.n:,} points directly (at most "
                "overview_above rows): tiles, grids and lasso requests are for the density overview"
            )
        return index if version == current else None

    # ------------------------------------------------------------------ the page's requests
    def handlers(self) -> dict[type, Any]:
        """The page's ``tiles``, ``grid`` and ``lasso`` requests."""
        return {
            protocol.Tiles: self._reply_tiles,
            protocol.GridRequest: self._reply_grid,
            protocol.Lasso: self._reply_lasso,
        }

    def _reply_tiles(self, request: protocol.Tiles) -> None:
        index = self._current(request.version)
        if index is None:
            return
        samples = index.tiles(list(request.tiles), limits.TILE_BUDGET)
        selection, changes = self._host.selected, self._selection_changes
        bits = None
        if isinstance(selection, np.ndarray) and selection.size > limits.TILE_BUDGET:
            cached = self._selected_bits
            if cached is None or cached[0] is not selection:
                cached = self._selected_bits = (selection, RowBits(selection, self._session.n))
            bits = cached[1]
        buffers: list[memoryview] = []
        for sample in samples:
            flags = selected_flags(selection, sample, index, bits)
            buffers += wire.tile_buffers(sample, flags)
        shapes = [(t, s.order.size, s.total) for t, s in zip(request.tiles, samples, strict=True)]
        self._host.send(protocol.tiles_reply(request.version, changes, shapes), buffers)

    def _reply_grid(self, request: protocol.GridRequest) -> None:
        index = self._current(request.version)
        if index is None:
            return
        w, h = self._host._overview["size"]
        grid = index.grid(request.bounds, (int(w), int(h)))
        reply = protocol.grid_reply(request.version, grid.bounds, grid.size, grid.max)
        self._host.send(reply, wire.grid_buffers(grid))

    def _reply_lasso(self, request: protocol.Lasso) -> None:
        index = self._current(request.version)
        if index is None:
            return
        current = self._host.selected if request.mode == "add" else None
        chosen = index.lasso(np.asarray(request.polygon, np.float64), current)
        self._host.selected = chosen
        self._host.send(protocol.lasso_reply(request.version, len(chosen)))

    def close(self) -> None:
        """Drop the index (a lazy selection made on it keeps what it needs)."""
        with self._lock:
            self.index = None
            self._selected_bits = None
