"""The overview's index of a layout, and the selections a lasso on it makes.

:class:`OverviewIndex` holds the layout's chunks (sorted by Morton key, see
:mod:`~projector_widget.compute.overview.chunks`) on an executor and answers the browser's
grids, tiles and lassos; a lasso of more than :data:`~projector_widget.compute.overview.SELECTED_MAX`
rows is a :class:`LazySelection`, evaluated chunk by chunk where the index lives.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute import overview as limits
from projector_widget.compute.overview import (
    GRID_CATEGORIES,
    GRID_SIZE,
    NO_CODE,
    TILE_BUDGET,
    Bounds,
    Domain,
    SelectionTooLarge,
)
from projector_widget.compute.overview.chunks import (
    Sample,
    build_chunk,
    chunk_bits,
    chunk_grid,
    chunk_lasso,
    chunk_tiles,
    count_rows,
    inside_polygon,
    merge_samples,
    recolor_chunk,
)
from projector_widget.compute.overview.executors import Executor, LocalExecutor
from projector_widget.compute.overview.keys import square_domain
from projector_widget.util.sizes import memory


@dataclass(frozen=True)
class Grid:
    """An overview grid: ``counts`` uint32 (h*w, row 0 = lowest y), ``top`` uint8 (the most
    frequent category code per cell, NO_CODE for none or 'other'), its ``max`` count."""

    bounds: Bounds
    size: tuple[int, int]
    counts: npt.NDArray[np.uint32]
    top: npt.NDArray[np.uint8]
    max: int


class OverviewIndex:
    """The quadtree index of a layout's x and y, chunk by chunk on an executor.

    Build it with :meth:`build`. ``domain`` is the square of every tile; ``n`` the rows indexed.
    """

    def __init__(
        self,
        executor: Executor,
        *,
        chunks: list[Any],
        ranges: list[tuple[int, int]],
        domain: Domain,
        n: int,
        n_points: int,
        layout: object | None = None,
    ) -> None:
        self.executor = executor
        #: Shared by the indexes of one layout (:meth:`recolor` keeps the points where they are).
        self.layout = object() if layout is None else layout
        self.chunks = chunks
        #: Each chunk's rows are in [lo, hi) (for the rows of a selection that each chunk checks).
        self.ranges = ranges
        self.domain = domain
        self.n = n
        #: Rows of the widget (a selection's indices are below it).
        self.n_points = n_points

    @classmethod
    def build(
        cls,
        xy: npt.NDArray[np.floating],
        codes: npt.NDArray[np.uint8] | None = None,
        *,
        rows: npt.NDArray[np.int64] | None = None,
        starts: Sequence[int] | None = None,
        executor: Executor | None = None,
        n_points: int | None = None,
    ) -> OverviewIndex:
        """The index of points ``xy`` (m, >= 2: x and y are used) with category ``codes``
        (uint8 per row of ``xy``; None: no categorical colour).

        ``rows`` are the points' row indices (default ``0..m-1``, sorted); ``starts`` the first
        position of each chunk (default every :data:`CHUNK_ROWS`); ``executor`` where the chunks
        are sorted and kept (default the kernel).
        """
        xy = np.asarray(xy)
        m = xy.shape[0]
        if m >= 2**32 or (n_points or 0) >= 2**32:
            raise ValueError(f"the overview indexes at most 2**32 - 1 rows, got {m:,}")
        if m == 0:
            raise ValueError("the overview needs at least one row")
        executor = executor or LocalExecutor()
        row_ids = np.arange(m, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        edges = list(range(0, m, limits.CHUNK_ROWS)) if starts is None else [int(s) for s in starts]
        edges = sorted({0, *(s for s in edges if 0 < s < m)}) + [m]
        lo = np.zeros(2)
        hi = np.zeros(2)
        first = True
        for a, b in zip(edges[:-1], edges[1:], strict=True):  # bounds, a chunk at a time
            part = xy[a:b, :2]
            if first:
                lo, hi, first = part.min(axis=0), part.max(axis=0), False
            else:
                lo, hi = np.minimum(lo, part.min(axis=0)), np.maximum(hi, part.max(axis=0))
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            raise ValueError("the layout has NaN or infinite coordinates; no overview was built")
        domain = square_domain(lo.tolist(), hi.tolist())
        calls, ranges = [], []
        for a, b in zip(edges[:-1], edges[1:], strict=True):  # views: each task copies its own
            part_codes = None if codes is None else codes[a:b]
            calls.append((xy[a:b, :2], row_ids[a:b], part_codes, domain))
            ranges.append((int(row_ids[a]), int(row_ids[b - 1]) + 1))
        chunks = executor.map(build_chunk, calls)
        total = m if n_points is None else int(n_points)
        return cls(executor, chunks=chunks, ranges=ranges, domain=domain, n=m, n_points=total)

    def recolor(self, codes: npt.NDArray[np.uint8] | None) -> OverviewIndex:
        """The same index with other category codes (one per row of the widget)."""
        ex = self.executor
        chunks = ex.map(
            recolor_chunk,
            [
                (c, None if codes is None else codes[lo:hi])
                for c, (lo, hi) in zip(self.chunks, self.ranges, strict=True)
            ],
        )
        return OverviewIndex(
            ex,
            chunks=chunks,
            ranges=self.ranges,
            domain=self.domain,
            n=self.n,
            n_points=self.n_points,
            layout=self.layout,
        )

    def release(self) -> None:
        """Drop the chunks (on a cluster: free the workers' memory)."""
        self.executor.release(self.chunks)

    # ------------------------------------------------------------------ queries
    def full_bounds(self) -> Bounds:
        """The bounds of the whole domain."""
        x0, y0, s = self.domain
        return x0, y0, x0 + s, y0 + s

    def grid(
        self, bounds: Bounds | None = None, size: tuple[int, int] = (GRID_SIZE, GRID_SIZE)
    ) -> Grid:
        """Per-cell counts and most frequent category over ``bounds`` (default the domain).

        Each chunk bins its points (the cells inside ``bounds``: the right and top edges
        belong to the last cell), the partial grids are summed pairwise where they were made.
        """
        box = self.full_bounds() if bounds is None else tuple(float(b) for b in bounds)
        ex = self.executor
        calls = [(c, self.domain, box, size) for c in self.chunks]
        total = np.asarray(ex.map_sum(chunk_grid, calls)).reshape(-1, GRID_CATEGORIES + 1)
        counts = total.sum(axis=1, dtype=np.uint64).astype(np.uint32)
        top = np.argmax(total, axis=1).astype(np.uint8)
        top[(top == GRID_CATEGORIES) | (counts == 0)] = NO_CODE
        return Grid(box, size, counts, top, int(counts.max()) if counts.size else 0)  # type: ignore[arg-type]

    def tiles(self, tiles: list[tuple[int, int, int]], budget: int = TILE_BUDGET) -> list[Sample]:
        """Each tile's points: all of them when at most ``budget``, else the ``budget`` of
        smallest priority (so a deeper tile's sample holds its parent's sample of its area).

        One request holds at most :data:`BROWSER_BUDGET` points in all: the budget is shared
        by its tiles (a smaller budget is a prefix of the same sample), so a request for many
        large tiles cannot gather every row into the kernel nor send it to the browser.
        """
        budget = max(1, min(int(budget), limits.BROWSER_BUDGET // max(1, len(tiles))))
        ex = self.executor
        parts = ex.gather(ex.map(chunk_tiles, [(c, tiles, budget) for c in self.chunks]))
        return [merge_samples([p[t] for p in parts], budget) for t in range(len(tiles))]

    def _select(
        self, polygons: list[npt.NDArray[np.float64]], extra: npt.NDArray[np.int64]
    ) -> list[Any]:
        """Per-chunk futures (or values) of the sorted rows inside ``polygons`` or in ``extra``.

        Each chunk takes the rows of ``extra`` from its first row up to the next chunk's (the
        first chunk also those before it): rows in no chunk (outside the isolated rows) are
        kept, and the chunks' answers stay in order."""
        starts = [lo for lo, _hi in self.ranges]
        cuts = [0, *np.searchsorted(extra, starts[1:]).tolist(), extra.size]
        calls = [
            (c, self.domain, polygons, extra[cuts[i] : cuts[i + 1]])
            for i, c in enumerate(self.chunks)
        ]
        return self.executor.map(chunk_lasso, calls)

    def lasso(
        self,
        polygon: npt.NDArray[np.floating],
        current: Any = None,
        *,
        limit: int | None = None,
    ) -> npt.NDArray[np.int64] | LazySelection:
        """The rows inside ``polygon`` (k, 2) (even-odd rule), with those of ``current`` (a
        sorted int64 array or a :class:`LazySelection`: "add" mode) when given.

        Sorted int64 rows, or a :class:`LazySelection` when more than ``limit`` (default
        :data:`SELECTED_MAX`) rows are selected: then only the count is kept in the kernel.
        """
        limit = limits.SELECTED_MAX if limit is None else int(limit)
        poly = np.asarray(polygon, np.float64)
        polygons, extra = [poly], np.zeros(0, np.int64)
        if isinstance(current, LazySelection) and current._index.layout is not self.layout:
            # Its polygons were drawn on another layout (the projection changed, or a linked
            # widget's selection): its rows, not its polygons, are what is added to.
            current = current.compute()
        if isinstance(current, LazySelection):
            polygons, extra = [*current.polygons, poly], current.extra
        elif current is not None:
            extra = np.asarray(current, np.int64)
        ex = self.executor
        parts = self._select(polygons, extra)
        sizes = ex.gather([ex.submit(count_rows, p) for p in parts])
        count = int(sum(sizes))
        if count > limit:
            ex.release(parts)
            return LazySelection(self, polygons, extra, count, [int(s) for s in sizes])
        rows = ex.gather(parts)
        ex.release(parts)
        return np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)


def _available_bytes() -> int | None:
    """Memory the kernel could still take (Linux), or None when unknown."""
    # MemAvailable counts the page cache the kernel may reclaim (after reading a large Zarr
    # store, free pages alone are few); the free pages are the fallback.
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


class LazySelection:
    """A selection too large to hold as indices: the rows inside some lasso polygons (and
    some rows), evaluated chunk by chunk where the overview index lives.

    ``len(s)`` and ``s.count`` are known; :meth:`compute` gathers the sorted rows,
    :meth:`to_dask` makes a Dask array of them without gathering.
    """

    def __init__(
        self,
        index: OverviewIndex,
        polygons: list[npt.NDArray[np.float64]],
        extra: npt.NDArray[np.int64],
        count: int,
        sizes: list[int],
    ) -> None:
        self._index = index
        self.polygons = [np.asarray(p, np.float64) for p in polygons]
        #: Rows selected besides the polygons' (sorted int64).
        self.extra = np.asarray(extra, np.int64)
        self.count_rows = int(count)
        self._sizes = list(sizes)
        self._bits: list[npt.NDArray[np.uint8]] | None = None

    @property
    def count(self) -> int:
        """How many rows are selected."""
        return self.count_rows

    @property
    def n_points(self) -> int:
        """Rows of the widget the selection is of."""
        return self._index.n_points

    def __len__(self) -> int:
        return self.count_rows

    def __repr__(self) -> str:
        return (
            f"<LazySelection: {self.count_rows:,} of {self._index.n:,} rows, "
            f"{len(self.polygons)} polygon(s); .compute() for the indices, .to_dask() to stay "
            "on the cluster>"
        )

    def compute(self) -> npt.NDArray[np.int64]:
        """The selected rows, sorted int64; SelectionTooLarge when they would take more than
        half the kernel's free memory."""
        need = self.count_rows * 8
        free = _available_bytes()
        if free is not None and need > free // 2:
            raise SelectionTooLarge(
                f"the selection holds {self.count_rows:,} rows ({memory(need)} as int64) but "
                f"the kernel has {memory(free)} free; use .to_dask() to work with them "
                "on the cluster, or select fewer rows"
            )
        ex = self._index.executor
        parts = self._index._select(self.polygons, self.extra)
        rows = ex.gather(parts)
        ex.release(parts)
        return np.concatenate(rows).astype(np.int64)

    def to_dask(self) -> Any:
        """A 1-D Dask array of the sorted rows, one block per chunk of the index (needs the
        dask extra; on a cluster index each block is computed on the workers)."""
        index = self._index
        calls = []
        for chunk, (lo, hi) in zip(index.chunks, index.ranges, strict=True):
            a, b = np.searchsorted(self.extra, [lo, hi])
            calls.append((chunk, index.domain, self.polygons, self.extra[a:b]))
        return index.executor.to_dask(chunk_lasso, calls, self._sizes)

    def contains(
        self,
        rows: npt.NDArray[np.int64],
        x: npt.NDArray[np.floating],
        y: npt.NDArray[np.floating],
        index: OverviewIndex | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Whether the points ``rows`` at ``x``, ``y`` of ``index`` are selected (the tiles'
        flags).

        On the index the polygons were drawn on, the points themselves are tested; on another
        (a new layout, another widget's) each row is looked up in a bit per row of the selection
        (N / 8 bytes, computed once where the chunks are).
        """
        rows = np.asarray(rows, np.int64)
        if index is not None and index.layout is not self._index.layout:
            return self._member(rows)
        flags = np.zeros(rows.size, bool)
        if self.extra.size:
            at = np.clip(np.searchsorted(self.extra, rows), 0, self.extra.size - 1)
            flags |= self.extra[at] == rows
        for polygon in self.polygons:
            flags |= inside_polygon(x, y, polygon)
        return flags

    def _member(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether each of ``rows`` is selected, from the per-chunk bits (made on first use)."""
        if self._bits is None:
            index = self._index
            ex = index.executor
            calls = []
            for chunk, (lo, hi) in zip(index.chunks, index.ranges, strict=True):
                a, b = np.searchsorted(self.extra, [lo, hi])
                calls.append((chunk, index.domain, self.polygons, self.extra[a:b]))
            self._bits = ex.gather(ex.map(chunk_bits, calls))
        flags = np.zeros(rows.size, bool)
        for (lo, hi), bits in zip(self._index.ranges, self._bits, strict=True):
            here = np.flatnonzero((rows >= lo) & (rows < hi))
            flags[here] = _bit(bits, rows[here] - lo)
        return flags


def _bit(bits: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """The bits at ``offsets`` of a ``np.packbits`` array."""
    return ((bits[offsets >> 3] >> (7 - (offsets & 7)).astype(np.uint8)) & 1).astype(bool)


class RowBits:
    """A sorted array of rows as one bit per row (N / 8 bytes): a tile's flags are one lookup
    per row, where a binary search per row in millions of selected rows misses the cache."""

    def __init__(self, rows: npt.NDArray[np.int64], n: int) -> None:
        mask = np.zeros(n, bool)
        mask[rows] = True
        self.bits = np.packbits(mask)

    def __call__(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Whether each of ``rows`` is one of them."""
        return _bit(self.bits, np.asarray(rows, np.int64))


def selected_flags(
    selection: Any,
    sample: Sample,
    index: OverviewIndex | None = None,
    bits: RowBits | None = None,
) -> npt.NDArray[np.uint8]:
    """1 where the rows of ``sample`` (a tile of ``index``) are in ``selection`` (a sorted
    array, whose :class:`RowBits` ``bits`` may be given, or a LazySelection), else 0."""
    rows = sample.rows
    if isinstance(selection, LazySelection):
        return selection.contains(rows, sample.x, sample.y, index).astype(np.uint8)
    sel = np.asarray(selection, np.int64)
    if sel.size == 0:
        return np.zeros(len(rows), np.uint8)
    if bits is not None:
        return bits(rows).astype(np.uint8)
    at = np.clip(np.searchsorted(sel, rows), 0, sel.size - 1)
    return (sel[at] == rows).astype(np.uint8)


def category_codes(
    codes: npt.NDArray[np.integer] | None, missing: int | None
) -> npt.NDArray[np.uint8] | None:
    """A column's category codes as the overview's uint8 codes (missing and past 254: NO_CODE)."""
    if codes is None:
        return None
    c = np.asarray(codes)
    out = np.where(c >= NO_CODE, NO_CODE, c).astype(np.uint8)
    if missing is not None and missing < NO_CODE:
        out[c == missing] = NO_CODE
    return out
