"""The density overview of a large layout: a quadtree index of its 2-D coordinates.

Above ``Projector(overview_above=...)`` rows the browser gets no points at first: it gets a grid
of per-category counts (:meth:`OverviewIndex.grid`), then, as the user zooms in, the points of
the visible quadtree tiles (:meth:`OverviewIndex.tiles`); a lasso drawn on the overview selects
rows here (:meth:`OverviewIndex.lasso`).

The rules the browser shares: ``domain = (x0, y0, s)`` is the layout's bounding box made square
(:func:`square_domain`); tile ``(z, tx, ty)``, ``0 <= z <= 16``, covers
``[x0 + tx s / 2^z, x0 + (tx + 1) s / 2^z)`` in x and likewise in y (y upwards), the domain's
top and right edges in its last tiles; a tile of more than ``budget`` rows sends the ``budget``
rows of smallest fixed priority (:func:`priority_of`), so a deeper tile's sample holds the
shallower tile's sample of its area.

The index is split into chunks of rows (a Dask array's row chunks, or :data:`CHUNK_ROWS` rows in
memory). Each chunk is sorted by the level-16 Morton key of its points (the interleaved bits of
the cell ``tx, ty``), so any tile is one contiguous key range in every chunk (``searchsorted``).
Every operation is a pure function of one chunk (``_build_chunk``, ``_chunk_tiles``,
``_chunk_grid``, ``_chunk_lasso``) run by an executor: :class:`LocalExecutor` in the kernel, or
:class:`DaskExecutor` on a ``distributed`` cluster where each chunk stays in the workers' memory
as a future; only per-tile samples, one summed grid and selected rows come back.

Memory: a chunk holds 21 bytes a row (key uint32, x and y float32, the sort order uint64 of
priority and row, the category code uint8). On the in-memory path these live in the kernel,
beside the layout the widget keeps anyway (N x 3 float32, 12 bytes a row): about 33 bytes a
row in all, 1 GB at 30M rows. On the cluster path the kernel keeps the layout only (the rows'
coordinates are gathered for the view as for any layout) and scatters them by chunk.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

#: Overview mode starts above this many rows (``Projector(overview_above=...)``).
OVERVIEW_ABOVE = 10_000_000
#: The deepest quadtree level: tile keys are 2 x 16 bits.
LEVELS = 16
#: Cells of an overview grid along each axis.
GRID_SIZE = 512
#: Categories counted per cell: the 16 most frequent ones, and one class for all the others.
#: Each chunk's partial grid is GRID_SIZE^2 x classes x 4 bytes (17 MB at 512 x 512 x 17); with
#: every category of a 255-category column it would be 267 MB per chunk, in every worker.
GRID_CATEGORIES = 16
#: Rows at most in one tile of a tiles reply.
TILE_BUDGET = 262_144
#: Points the browser may hold (it switches from the grid to points below it).
BROWSER_BUDGET = 1_000_000
#: Tiles at most in one request.
MAX_TILES = 64
#: Vertices at most in a lasso polygon.
POLYGON_MAX = 2000
#: Above this many selected rows ``selected`` is a :class:`LazySelection`.
SELECTED_MAX = 10_000_000
#: Rows per chunk of an index built in the kernel's memory.
CHUNK_ROWS = 4_194_304
#: The category code of a row with none (no categorical column, missing, or past 254).
NO_CODE = 255
#: Seed of the rows' sampling priorities (fixed: the same sample on every call).
PRIORITY_SEED = 0x5EED0DE5

Domain = tuple[float, float, float]
Bounds = tuple[float, float, float, float]


class SelectionTooLarge(MemoryError):
    """A lazy selection's rows would not fit in the kernel's memory."""


# ----------------------------------------------------------------------------- keys
def square_domain(lo: Sequence[float], hi: Sequence[float]) -> Domain:
    """``(x0, y0, s)``: the box ``lo``..``hi`` made square (side ``s`` > 0, centred on it)."""
    x_lo, y_lo = float(lo[0]), float(lo[1])
    x_hi, y_hi = float(hi[0]), float(hi[1])
    s = max(x_hi - x_lo, y_hi - y_lo)
    if not s > 0:
        s = 1.0
    return (x_lo + x_hi) / 2 - s / 2, (y_lo + y_hi) / 2 - s / 2, s


def cells(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], domain: Domain, level: int = LEVELS
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The tile ``(tx, ty)`` at ``level`` of each point (the domain's top/right edge clipped
    into the last tile; points outside clipped into the border tiles)."""
    x0, y0, s = domain
    side = 1 << level
    tx = np.floor((np.asarray(x, np.float64) - x0) * (side / s))
    ty = np.floor((np.asarray(y, np.float64) - y0) * (side / s))
    return (
        np.clip(tx, 0, side - 1).astype(np.int64),
        np.clip(ty, 0, side - 1).astype(np.int64),
    )


def _spread(v: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """The 16 low bits of ``v`` moved to the even bit positions."""
    v = v & np.uint32(0xFFFF)
    v = (v | (v << np.uint32(8))) & np.uint32(0x00FF00FF)
    v = (v | (v << np.uint32(4))) & np.uint32(0x0F0F0F0F)
    v = (v | (v << np.uint32(2))) & np.uint32(0x33333333)
    return (v | (v << np.uint32(1))) & np.uint32(0x55555555)


def morton(tx: npt.NDArray[np.integer], ty: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """The Morton key of tiles: x bits on the even positions, y bits on the odd ones."""
    return _morton32(np.asarray(tx, np.uint32), np.asarray(ty, np.uint32)).astype(np.int64)


def _morton32(tx: npt.NDArray[np.uint32], ty: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    return _spread(tx) | (_spread(ty) << np.uint32(1))


def key_range(z: int, tx: int, ty: int) -> tuple[int, int]:
    """The level-16 keys ``[start, end)`` of the points in tile ``(z, tx, ty)``."""
    base = int(morton(np.array([tx]), np.array([ty]))[0])
    shift = 2 * (LEVELS - z)
    return base << shift, (base + 1) << shift


def priorities(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.uint32]:
    """Each row's fixed sampling priority: a 32-bit hash of its index (seeded; an invertible
    xor-shift-multiply mixer, so distinct rows get distinct priorities)."""
    h = np.asarray(rows).astype(np.uint32) ^ np.uint32(PRIORITY_SEED)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x7FEB352D)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x846CA68B)
    h ^= h >> np.uint32(16)
    return h


def priority_of(rows: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """``p(row)`` in [0, 1): the priority as the contract states it (distinct for distinct rows
    below 2**32)."""
    return priorities(rows).astype(np.float64) / 2.0**32


# ----------------------------------------------------------------------------- one chunk
@dataclass(frozen=True)
class Chunk:
    """One chunk of the index, sorted by key.

    ``order`` is ``priority << 32 | row``: sorting on it orders the rows by priority (then row),
    and its low 32 bits are the row. ``rows_lo``/``rows_hi``: the chunk's rows are in that range.
    """

    keys: npt.NDArray[np.uint32]
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float32]
    order: npt.NDArray[np.uint64]
    codes: npt.NDArray[np.uint8]
    rows_lo: int
    rows_hi: int

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """The chunk's row indices, in key order."""
        return (self.order & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _build_chunk(
    xy: npt.NDArray[np.floating],
    rows: npt.NDArray[np.integer],
    codes: npt.NDArray[np.uint8] | None,
    domain: Domain,
) -> Chunk:
    """The sorted chunk of points ``xy`` (m, 2), of rows ``rows``, category ``codes``."""
    xy = np.asarray(xy, np.float32)
    rows = np.asarray(rows, np.int64)
    tx, ty = cells(xy[:, 0], xy[:, 1], domain)
    # Sorting (key << 32 | position) as one uint64 array is a stable sort by key, and NumPy's
    # SIMD sort of uint64 is ten times faster than an argsort of the uint32 keys.
    packed = _morton32(tx.astype(np.uint32), ty.astype(np.uint32)).astype(np.uint64)
    del tx, ty
    packed <<= np.uint64(32)
    packed |= np.arange(rows.size, dtype=np.uint64)
    packed.sort()
    keys = (packed >> np.uint64(32)).astype(np.uint32)
    order = (packed & np.uint64(0xFFFFFFFF)).astype(np.intp)
    del packed
    sorted_rows = rows[order]
    order_key = priorities(sorted_rows).astype(np.uint64) << np.uint64(32)
    order_key |= sorted_rows.astype(np.uint64)
    c = np.full(len(rows), NO_CODE, np.uint8) if codes is None else np.asarray(codes)[order]
    moved = xy[order]
    lo = int(rows.min()) if rows.size else 0
    hi = int(rows.max()) + 1 if rows.size else 0
    return Chunk(
        keys,
        np.ascontiguousarray(moved[:, 0]),
        np.ascontiguousarray(moved[:, 1]),
        order_key,
        c.astype(np.uint8),
        lo,
        hi,
    )


def _recolor_chunk(chunk: Chunk, codes: npt.NDArray[np.uint8] | None) -> Chunk:
    """``chunk`` with the category codes ``codes`` (one per row of ``rows_lo``..``rows_hi``)."""
    if codes is None:
        new = np.full(chunk.keys.size, NO_CODE, np.uint8)
    else:
        new = np.asarray(codes, np.uint8)[chunk.rows - chunk.rows_lo]
    return Chunk(chunk.keys, chunk.x, chunk.y, chunk.order, new, chunk.rows_lo, chunk.rows_hi)


@dataclass(frozen=True)
class Sample:
    """Points of one tile: ``order`` (priority and row), x, y, codes; ``total`` rows in the
    tile (the sample holds the ``budget`` of smallest priority)."""

    total: int
    order: npt.NDArray[np.uint64]
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.float32]
    codes: npt.NDArray[np.uint8]

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """The sampled rows, by priority."""
        return (self.order & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _smallest(sample: Sample, budget: int) -> Sample:
    """The ``budget`` points of smallest priority of ``sample``, by priority."""
    if sample.order.size > budget:
        keep = np.argpartition(sample.order, budget - 1)[:budget]
    else:
        keep = np.arange(sample.order.size)
    keep = keep[np.argsort(sample.order[keep])]
    return Sample(
        sample.total, sample.order[keep], sample.x[keep], sample.y[keep], sample.codes[keep]
    )


def _chunk_tiles(chunk: Chunk, tiles: list[tuple[int, int, int]], budget: int) -> list[Sample]:
    """Each tile's sample in ``chunk`` (at most ``budget`` rows each)."""
    out = []
    for z, tx, ty in tiles:
        start, end = key_range(z, tx, ty)
        lo, hi = np.searchsorted(chunk.keys, [start, end], side="left")
        part = Sample(
            int(hi - lo),
            chunk.order[lo:hi],
            chunk.x[lo:hi],
            chunk.y[lo:hi],
            chunk.codes[lo:hi],
        )
        out.append(_smallest(part, budget))
    return out


def _merge_samples(parts: list[Sample], budget: int) -> Sample:
    """One tile's samples from every chunk merged into its sample (``budget`` rows at most)."""
    whole = Sample(
        sum(p.total for p in parts),
        np.concatenate([p.order for p in parts]),
        np.concatenate([p.x for p in parts]),
        np.concatenate([p.y for p in parts]),
        np.concatenate([p.codes for p in parts]),
    )
    return _smallest(whole, budget)


def _cover(chunk: Chunk, domain: Domain, box: Bounds) -> npt.NDArray[np.int64] | slice:
    """Positions in ``chunk`` of the keys of the tiles that cover ``box`` (a superset of the
    points inside it): a few tiles a side, at the level where the box spans about four."""
    x0, y0, x1, y1 = box
    s = domain[2]
    width = max(x1 - x0, y1 - y0, s / (1 << LEVELS))
    ratio = 4 * s / width  # 0 for a box of infinite width (finite corners far apart)
    z = int(min(LEVELS, max(0, math.floor(math.log2(ratio))))) if ratio >= 1 else 0
    if z == 0:
        return slice(0, chunk.keys.size)
    tx, ty = cells(np.array([x0, x1]), np.array([y0, y1]), domain, z)
    gx, gy = np.meshgrid(np.arange(tx[0], tx[1] + 1), np.arange(ty[0], ty[1] + 1))
    base = np.sort(morton(gx.ravel(), gy.ravel()))
    shift = 2 * (LEVELS - z)
    starts = np.searchsorted(chunk.keys, base << shift)
    ends = np.searchsorted(chunk.keys, (base + 1) << shift)
    spans: list[list[int]] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b <= a:
            continue
        if spans and spans[-1][1] == a:  # neighbours in key order: one span
            spans[-1][1] = b
        else:
            spans.append([a, b])
    if not spans:
        return np.zeros(0, np.int64)
    if len(spans) == 1:
        return slice(spans[0][0], spans[0][1])
    return np.concatenate([np.arange(a, b) for a, b in spans])


def _grid_classes(codes: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Grid class of each code: the code itself for the first GRID_CATEGORIES, else 'other'."""
    return np.minimum(codes, GRID_CATEGORIES).astype(np.int64)


def _row_major(level: int) -> npt.NDArray[np.intp]:
    """For each cell of a 2**level square grid in row-major order, its Morton index."""
    side = 1 << level
    iy, ix = np.divmod(np.arange(side * side, dtype=np.uint32), np.uint32(side))
    return _morton32(ix, iy).astype(np.intp)


def _chunk_grid(
    chunk: Chunk, domain: Domain, bounds: Bounds, size: tuple[int, int]
) -> npt.NDArray[np.uint32]:
    """Counts per (cell, class) of the chunk's points inside ``bounds``: (h*w*classes,) uint32."""
    w, h = size
    classes = GRID_CATEGORIES + 1
    x0, y0, s = domain
    level = w.bit_length() - 1
    if bounds == (x0, y0, x0 + s, y0 + s) and w == h == 1 << level and level <= LEVELS:
        # The whole domain on a power-of-two grid: its cells are quadtree tiles, so a point's
        # cell is its key's prefix (no arithmetic on coordinates), counted in Morton order.
        cell = (chunk.keys >> np.uint32(2 * (LEVELS - level))).astype(np.int64) * classes
        cell += _grid_classes(chunk.codes)
        morton_counts = np.bincount(cell, minlength=w * h * classes).reshape(-1, classes)
        return morton_counts[_row_major(level)].reshape(-1).astype(np.uint32)
    with np.errstate(over="ignore", invalid="ignore"):  # bounds far apart: inf, clipped
        return _grid_in(chunk, domain, bounds, size)


def _grid_in(
    chunk: Chunk, domain: Domain, bounds: Bounds, size: tuple[int, int]
) -> npt.NDArray[np.uint32]:
    """:func:`_chunk_grid` over any bounds: the points' cells from their coordinates."""
    w, h = size
    classes = GRID_CATEGORIES + 1
    bx0, by0, bx1, by1 = bounds
    where = _cover(chunk, domain, bounds)
    x = chunk.x[where].astype(np.float64)
    y = chunk.y[where].astype(np.float64)
    codes = chunk.codes[where]
    inside = (x >= bx0) & (x <= bx1) & (y >= by0) & (y <= by1)
    x, y, codes = x[inside], y[inside], codes[inside]
    ix = np.clip(np.floor((x - bx0) * (w / (bx1 - bx0))), 0, w - 1).astype(np.int64)
    iy = np.clip(np.floor((y - by0) * (h / (by1 - by0))), 0, h - 1).astype(np.int64)
    cell = (iy * w + ix) * classes + _grid_classes(codes)
    return np.bincount(cell, minlength=w * h * classes).astype(np.uint32)


def _add(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """Two partial grids summed (the tree reduction's step)."""
    return a + b


def inside_polygon(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], polygon: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Whether each point is inside ``polygon`` (k, 2) by the even-odd rule.

    Each edge toggles the points of its own y band (``[min, max)``) that lie left of it. A long
    polygon (a hand-drawn lasso) sorts the points by y once, so each band is a slice and the
    work is the crossings, not points x edges; a short one passes over the points per edge.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # finite vertices far apart: inf, no error
        return _even_odd(x, y, polygon)


def _even_odd(
    x: npt.NDArray[np.floating], y: npt.NDArray[np.floating], polygon: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    ax, ay = polygon[:, 0], polygon[:, 1]
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    if len(polygon) <= _FEW_EDGES:  # sorting would cost more than a pass per edge
        px, py = np.asarray(x, np.float64), np.asarray(y, np.float64)
        inside = np.zeros(px.size, bool)
        for i in np.flatnonzero(ay != by):
            band = np.flatnonzero((py >= min(ay[i], by[i])) & (py < max(ay[i], by[i])))
            cross = ax[i] + (py[band] - ay[i]) * ((bx[i] - ax[i]) / (by[i] - ay[i]))
            inside[band] ^= px[band] < cross
        return inside
    by_y = np.argsort(y)
    ys = np.asarray(y, np.float64)[by_y]
    xs = np.asarray(x, np.float64)[by_y]
    flags = np.zeros(ys.size, bool)
    lo = np.searchsorted(ys, np.minimum(ay, by), side="left")
    hi = np.searchsorted(ys, np.maximum(ay, by), side="left")
    for i in np.flatnonzero((hi > lo) & (ay != by)):
        a, b = int(lo[i]), int(hi[i])
        cross = ax[i] + (ys[a:b] - ay[i]) * ((bx[i] - ax[i]) / (by[i] - ay[i]))
        flags[a:b] ^= xs[a:b] < cross
    out = np.empty(ys.size, bool)
    out[by_y] = flags
    return out


#: Up to this many edges a polygon test passes over the points once per edge; above, it sorts.
_FEW_EDGES = 24


def _polygon_box(polygons: list[npt.NDArray[np.float64]]) -> Bounds:
    lo = np.min([p.min(axis=0) for p in polygons], axis=0)
    hi = np.max([p.max(axis=0) for p in polygons], axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _chunk_lasso(
    chunk: Chunk,
    domain: Domain,
    polygons: list[npt.NDArray[np.float64]],
    extra: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """Sorted rows of ``chunk`` inside any of ``polygons`` (each by the even-odd rule), with
    the rows ``extra`` (sorted; those of this chunk's range)."""
    found = [extra]
    for polygon in polygons:
        where = _cover(chunk, domain, _polygon_box([polygon]))
        hit = inside_polygon(chunk.x[where], chunk.y[where], polygon)
        found.append((chunk.order[where][hit] & np.uint64(0xFFFFFFFF)).astype(np.int64))
    return _sorted_unique(np.concatenate(found).astype(np.int64))


def _sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.unique`` by a sort and a comparison (NumPy 2's unique of integers hashes: 50 times
    slower on millions of rows)."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _chunk_bits(
    chunk: Chunk,
    domain: Domain,
    polygons: list[npt.NDArray[np.float64]],
    extra: npt.NDArray[np.int64],
) -> npt.NDArray[np.uint8]:
    """The chunk's selection (as :func:`_chunk_lasso`) as one bit per row of its range."""
    mask = np.zeros(chunk.rows_hi - chunk.rows_lo, bool)
    mask[_chunk_lasso(chunk, domain, polygons, extra) - chunk.rows_lo] = True
    return np.packbits(mask)


def _count(rows: npt.NDArray[np.int64]) -> int:
    return int(rows.size)


# ----------------------------------------------------------------------------- executors
_pool: list[tuple[ThreadPoolExecutor, int]] = []
_pool_lock = threading.Lock()


def _threads() -> tuple[ThreadPoolExecutor, int]:
    """The kernel's pool for chunk work and its size: NumPy's sorts and gathers release the GIL,
    so chunks run side by side (at most four: each holds its chunk's temporaries, ~50 bytes a
    row)."""
    with _pool_lock:
        if not _pool:
            from .projections.base import cpu_cores

            workers = max(1, min(4, cpu_cores()))
            _pool.append((ThreadPoolExecutor(workers, thread_name_prefix="overview"), workers))
        return _pool[0]


class LocalExecutor:
    """Runs the per-chunk functions in the kernel (a few chunks at a time in threads); a chunk
    handle is the chunk itself."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` now."""
        return fn(*args)

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """``fn(*args)`` for each of ``calls``, in threads; the values, in order."""
        if len(calls) < 2:
            return [fn(*args) for args in calls]
        return list(_threads()[0].map(lambda args: fn(*args), calls))

    def gather(self, handles: list[Any]) -> list[Any]:
        """The values themselves."""
        return list(handles)

    def map_sum(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Any:
        """The sum of ``fn(*args)`` over ``calls``: as many partials in memory as threads."""
        pool, window = _threads()
        running = [pool.submit(fn, *args) for args in calls[:window]]
        total = None
        for i in range(len(calls)):
            part = running[i].result()
            running[i] = None  # type: ignore[call-overload]
            if i + window < len(calls):
                running.append(pool.submit(fn, *calls[i + window]))
            total = part if total is None else total + part
        return total

    def release(self, handles: list[Any]) -> None:
        """Nothing to release."""


class DaskExecutor:
    """Runs the per-chunk functions on a ``distributed`` cluster; a handle is a future, and
    chunks stay in the workers' memory until the index is dropped."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def map(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> list[Any]:
        """A future of ``fn(*args)`` for each of ``calls``."""
        return [self.submit(fn, *args) for args in calls]

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """A future of ``fn(*args)``; NumPy arguments over 1 MB are scattered to the workers
        first (a chunk's coordinates: not part of the task's message)."""
        sent = [
            self.client.scatter(a, hash=False)
            if isinstance(a, np.ndarray) and a.nbytes > 1 << 20
            else a
            for a in args
        ]
        return self.client.submit(fn, *sent, pure=False)

    def gather(self, handles: list[Any]) -> list[Any]:
        """The futures' values, in the kernel."""
        return list(self.client.gather(handles))

    def map_sum(self, fn: Callable[..., Any], calls: list[tuple[Any, ...]]) -> Any:
        """The sum of ``fn(*args)`` over ``calls``, added pairwise on the cluster (a tree
        reduction); only the total comes back to the kernel."""
        level = [self.client.submit(fn, *args, pure=False) for args in calls]
        while len(level) > 1:
            pairs = [
                self.client.submit(_add, level[i], level[i + 1], pure=False)
                for i in range(0, len(level) - 1, 2)
            ]
            level = pairs + (level[-1:] if len(level) % 2 else [])
        return self.client.gather(level[0])

    def release(self, handles: list[Any]) -> None:
        """Drop the futures (their values leave the workers' memory)."""
        for h in handles:
            h.release()


Executor = LocalExecutor | DaskExecutor


# ----------------------------------------------------------------------------- the index
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
        edges = list(range(0, m, CHUNK_ROWS)) if starts is None else [int(s) for s in starts]
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
        chunks = executor.map(_build_chunk, calls)
        total = m if n_points is None else int(n_points)
        return cls(executor, chunks=chunks, ranges=ranges, domain=domain, n=m, n_points=total)

    def recolor(self, codes: npt.NDArray[np.uint8] | None) -> OverviewIndex:
        """The same index with other category codes (one per row of the widget)."""
        ex = self.executor
        chunks = ex.map(
            _recolor_chunk,
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
        total = np.asarray(ex.map_sum(_chunk_grid, calls)).reshape(-1, GRID_CATEGORIES + 1)
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
        budget = max(1, min(int(budget), BROWSER_BUDGET // max(1, len(tiles))))
        ex = self.executor
        parts = ex.gather(ex.map(_chunk_tiles, [(c, tiles, budget) for c in self.chunks]))
        return [_merge_samples([p[t] for p in parts], budget) for t in range(len(tiles))]

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
        return self.executor.map(_chunk_lasso, calls)

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
        limit = SELECTED_MAX if limit is None else int(limit)
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
        sizes = ex.gather([ex.submit(_count, p) for p in parts])
        count = int(sum(sizes))
        if count > limit:
            ex.release(parts)
            return LazySelection(self, polygons, extra, count, [int(s) for s in sizes])
        rows = ex.gather(parts)
        ex.release(parts)
        return np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64)


# ----------------------------------------------------------------------------- lazy selection
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
        self._count = int(count)
        self._sizes = list(sizes)
        self._bits: list[npt.NDArray[np.uint8]] | None = None

    @property
    def count(self) -> int:
        """How many rows are selected."""
        return self._count

    @property
    def n_points(self) -> int:
        """Rows of the widget the selection is of."""
        return self._index.n_points

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return (
            f"<LazySelection: {self._count:,} of {self._index.n:,} rows, "
            f"{len(self.polygons)} polygon(s); .compute() for the indices, .to_dask() to stay "
            "on the cluster>"
        )

    def compute(self) -> npt.NDArray[np.int64]:
        """The selected rows, sorted int64; SelectionTooLarge when they would take more than
        half the kernel's free memory."""
        need = self._count * 8
        free = _available_bytes()
        if free is not None and need > free // 2:
            raise SelectionTooLarge(
                f"the selection holds {self._count:,} rows ({need / 2**30:.1f} GiB as int64) but "
                f"the kernel has {free / 2**30:.1f} GiB free; use .to_dask() to work with them "
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
        try:
            import dask
            import dask.array as da
        except ImportError:
            raise ImportError(
                'LazySelection.to_dask needs dask: pip install "projector-widget[dask]"'
            ) from None
        index = self._index
        blocks = []
        for chunk, (lo, hi), size in zip(index.chunks, index.ranges, self._sizes, strict=True):
            a, b = np.searchsorted(self.extra, [lo, hi])
            task = dask.delayed(_chunk_lasso, pure=False)(
                chunk, index.domain, self.polygons, self.extra[a:b]
            )
            blocks.append(da.from_delayed(task, shape=(size,), dtype=np.int64))
        return da.concatenate(blocks) if blocks else da.zeros(0, dtype=np.int64)

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
            self._bits = ex.gather(ex.map(_chunk_bits, calls))
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
