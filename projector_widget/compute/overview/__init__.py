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
#: Vertices at least in a lasso polygon (the fewest that enclose an area).
POLYGON_MIN = 3
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
