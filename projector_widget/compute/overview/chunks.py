"""What the overview does to one chunk of rows: index it, sample tiles, bin a grid, test a lasso.

Every function here is pure and takes one :class:`Chunk`, so an executor runs it where the chunk
lives: in the kernel's threads, or on a worker of a ``distributed`` cluster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from projector_widget.compute.overview import GRID_CATEGORIES, LEVELS, NO_CODE, Bounds, Domain
from projector_widget.compute.overview.keys import cells, key_range, morton, morton32, priorities


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


def build_chunk(
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
    packed = morton32(tx.astype(np.uint32), ty.astype(np.uint32)).astype(np.uint64)
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


def recolor_chunk(chunk: Chunk, codes: npt.NDArray[np.uint8] | None) -> Chunk:
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


def smallest(sample: Sample, budget: int) -> Sample:
    """The ``budget`` points of smallest priority of ``sample``, by priority."""
    if sample.order.size > budget:
        keep = np.argpartition(sample.order, budget - 1)[:budget]
    else:
        keep = np.arange(sample.order.size)
    keep = keep[np.argsort(sample.order[keep])]
    return Sample(
        sample.total, sample.order[keep], sample.x[keep], sample.y[keep], sample.codes[keep]
    )


def chunk_tiles(chunk: Chunk, tiles: list[tuple[int, int, int]], budget: int) -> list[Sample]:
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
        out.append(smallest(part, budget))
    return out


def merge_samples(parts: list[Sample], budget: int) -> Sample:
    """One tile's samples from every chunk merged into its sample (``budget`` rows at most)."""
    whole = Sample(
        sum(p.total for p in parts),
        np.concatenate([p.order for p in parts]),
        np.concatenate([p.x for p in parts]),
        np.concatenate([p.y for p in parts]),
        np.concatenate([p.codes for p in parts]),
    )
    return smallest(whole, budget)


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
    return morton32(ix, iy).astype(np.intp)


def chunk_grid(
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
        return grid_in(chunk, domain, bounds, size)


def grid_in(
    chunk: Chunk, domain: Domain, bounds: Bounds, size: tuple[int, int]
) -> npt.NDArray[np.uint32]:
    """:func:`chunk_grid` over any bounds: the points' cells from their coordinates."""
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


def add_grids(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
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


def chunk_lasso(
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


def chunk_bits(
    chunk: Chunk,
    domain: Domain,
    polygons: list[npt.NDArray[np.float64]],
    extra: npt.NDArray[np.int64],
) -> npt.NDArray[np.uint8]:
    """The chunk's selection (as :func:`chunk_lasso`) as one bit per row of its range."""
    mask = np.zeros(chunk.rows_hi - chunk.rows_lo, bool)
    mask[chunk_lasso(chunk, domain, polygons, extra) - chunk.rows_lo] = True
    return np.packbits(mask)


def count_rows(rows: npt.NDArray[np.int64]) -> int:
    return int(rows.size)
