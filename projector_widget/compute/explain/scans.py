"""The exact scans behind layout quality: per row, how many rows are closer than given ones.

Trustworthiness and continuity (:mod:`.quality`) need, per row i and each of a few rows j (i's
neighbours from the other space), the rank of j among *all* distances from i: the number of rows
strictly closer to i than j. An exact answer reads every pair once. The scans do that in both
spaces, and find each row's k nearest rows on the way. Tied distances count as not closer, so
ties share the best rank.

The original space (:func:`high_pass`). The rows come from :func:`prepared`: centred (unit
length for cosine) and with their squared norms as a last column, so that one product gives
scores ``|x_l|^2 - 2 x_i.x_l``, which order the rows l as ``|x_i - x_l|`` does and lose little
to rounding. Per row, given the indices ``others`` of its neighbours from the layout, a scan
returns how many rows are strictly closer than each of those neighbours, and the row's k
nearest other rows, nearest first (ties: lower index first).

* NumPy, and numba on sampled rows or in float64: a block of rows against every row (one BLAS
  product), then a scan of each row. NumPy counts with one pass per threshold; numba's compiled
  scan (:mod:`.kernels`) is one pass per row on every core.
* numba on every row in float32 (the large case): the pairs are read in square tiles of the
  upper triangle only, since ``x_i.x_l`` serves row i and row l alike: half the products of
  the block scan, which dominate it (100,000 x 64 in about 30 s on two cores). Each row's
  answer is added up tile by tile: per tile, the scores within its largest threshold are kept
  (branch-free), counted below each threshold (vectorised passes) and offered to its k best.
  The thresholds are computed before the tiles, so a neighbour's own score in a tile can
  differ from its threshold by rounding: where it falls below, that one count is taken back.
  One worker per core takes tiles from a shared list, with single-threaded BLAS and a partial
  answer of its own (merged at the end), so no thread pool waits on another.

The layout (:func:`low_pass`; two or three columns, float64): the layout's own neighbours come
from a k-d tree (in :mod:`.quality`); what is left is to count, per row, the points strictly
closer than each of its neighbours from the original space. The points are sorted by their
first coordinate, so those within the largest of those distances lie in one slab of the sorted
order, found by binary search, and only the slab is read (with the same arithmetic as the
thresholds, so the comparisons are exact).

:func:`choose_scans` picks the kernel: numba when installed and the input is large enough to
repay loading it (compiled on first use and cached on disk), else NumPy (the same answers,
several times slower).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.compute.explain.checks import (
    FloatArray,
    IntArray,
    check_indices,
)
from projector_widget.compute.explain.kernels import compile_kernels
from projector_widget.util.extras import MissingExtra

#: Distance values held per block of rows (the block's rows x all rows): 128 MiB of float32.
_BLOCK_VALUES = 1 << 25
#: Below this many rows the NumPy scan is used even when numba is installed (loading or
#: compiling the compiled scan costs more than the scan itself on small inputs).
_NUMBA_MIN_ROWS = 10_000
#: Rows and columns of a tile of the triangle: 1024 x 1024 float32 is 4 MiB, which stays in the
#: cache between the product that writes it and the two scans that read it (2048 measured
#: slower on the two-core machine).
_TILE = 1024

Kernel = Literal["auto", "numba", "numpy"]


@dataclass(frozen=True)
class Scans:
    """The scans of one kernel (NumPy or numba)."""

    high: Callable[[FloatArray, IntArray, int], tuple[IntArray, IntArray]]
    low: Callable[[_Layout, IntArray, IntArray], IntArray]
    #: numba's triangle of tiles over every row in float32 (None: the block scan serves).
    tiled: Callable[..., tuple[IntArray, IntArray]] | None = None


def choose_scans(kernel: Kernel, n: int) -> Scans:
    """The scans of ``kernel`` for ``n`` rows: numba's, unless NumPy is asked for, or "auto"
    meets fewer than ``_NUMBA_MIN_ROWS`` rows or no numba (ImportError for a "numba" that is
    not installed)."""
    if kernel == "numpy" or (kernel == "auto" and n < _NUMBA_MIN_ROWS):
        return _NUMPY_SCANS
    try:
        return _numba_scans()
    except ImportError:
        if kernel == "numba":
            raise MissingExtra(
                "kernel='numba' needs numba, which is not installed", "explain"
            ) from None
        return _NUMPY_SCANS


def prepared(x: FloatArray, metric: str, dtype: type[np.floating[Any]]) -> FloatArray:
    """Rows ready for Euclidean ranking, with their squared norms as a last column.

    Unit rows for cosine (the same order as cosine distance), centred rows otherwise (the same
    distances, less rounding). The extra column lets one product of ``[-2 x_i, 1]`` with the
    result give ``|x_l|^2 - 2 x_i.x_l``, which orders rows as ``|x_i - x_l|`` does.
    """
    out = np.empty((x.shape[0], x.shape[1] + 1), dtype)
    step = 65_536
    # Divided by the largest |value| first: the order of distances stays, and squares of values
    # up to float64's largest no longer overflow (nor do the cosine norms).
    # A block at a time, so no full-size copy of the data is made.
    blocks = range(0, x.shape[0], step)
    top = max((float(np.abs(x[s : s + step]).max()) for s in blocks), default=0.0) or 1.0
    mean = None
    if metric != "cosine":
        total = sum((x[s : s + step].astype(np.float64) / top).sum(axis=0) for s in blocks)
        mean = np.asarray(total, dtype=np.float64) / max(x.shape[0], 1)
    for s in range(0, x.shape[0], step):
        block = x[s : s + step].astype(np.float64) / top
        if mean is None:
            norms = np.linalg.norm(block, axis=1)
            zero = np.flatnonzero(norms == 0)
            if zero.size:
                raise ValueError(
                    f"row {s + zero[0]} is all zeros; cosine distance is undefined for it: "
                    "drop such rows or use metric='euclidean'"
                )
            block /= norms[:, None]
        else:
            block -= mean
        out[s : s + step, :-1] = block
        out[s : s + step, -1] = np.einsum("ij,ij->i", block, block)
    return out


def high_pass(
    xa: FloatArray,
    rows: IntArray,
    others: IntArray,
    k: int,
    scans: Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> tuple[IntArray, IntArray]:
    """For each of ``rows``: how many rows are strictly closer in the original space than each
    of its ``others`` (row indices), and its k nearest rows there. ``xa`` is from
    :func:`prepared`; ``done`` hears the rows done.

    numba's triangle of tiles when every row is asked in float32, else :func:`_block_high_pass`.
    """
    if scans.tiled is not None and xa.dtype == np.float32 and rows.size == xa.shape[0]:
        return scans.tiled(xa, others, k, done)
    return _block_high_pass(xa, rows, others, k, scans, done=done)


def _block_high_pass(
    xa: FloatArray,
    rows: IntArray,
    others: IntArray,
    k: int,
    scans: Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> tuple[IntArray, IntArray]:
    """For each of ``rows``: how many rows are strictly closer in the original space than each
    of its ``others`` (row indices), and its k nearest rows there. ``xa`` is from
    :func:`prepared`."""
    n = xa.shape[0]
    counts = np.empty((rows.size, others.shape[1]), np.int64)
    nbrs = np.empty((rows.size, k), np.int64)
    step = _block_rows(n)
    buf = np.empty((min(step, rows.size), n), xa.dtype)
    for s in range(0, rows.size, step):
        block = rows[s : s + step]
        b = block.size
        query = xa[block] * -2.0
        query[:, -1] = 1.0
        scores = np.matmul(query, xa.T, out=buf[:b])
        scores[np.arange(b), block] = np.inf
        counts[s : s + b], nbrs[s : s + b] = scans.high(scores, others[s : s + b], k)
        done(s + b)
    return counts, nbrs


def low_pass(
    y: npt.NDArray[np.float64],
    rows: IntArray,
    others: IntArray,
    scans: Scans,
    *,
    done: Callable[[int], None] = lambda _n: None,
) -> IntArray:
    """For each of ``rows``: how many points are strictly closer in the layout than each of its
    ``others`` (exact squared distances in float64)."""
    layout = _Layout.of(y)
    counts = np.empty((rows.size, others.shape[1]), np.int64)
    step = _block_rows(y.shape[0])
    for s in range(0, rows.size, step):
        block = rows[s : s + step]
        counts[s : s + block.size] = scans.low(layout, block, others[s : s + block.size])
        done(s + block.size)
    return counts


def _block_rows(n: int) -> int:
    return int(max(8, min(4096, _BLOCK_VALUES // max(n, 1))))


@dataclass(frozen=True)
class _Layout:
    """A layout's coordinates; the same sorted by the first coordinate (``ys``), that column
    alone (``first``, for the slab searches) and each row's place in the sorted order."""

    y: npt.NDArray[np.float64]
    pos: IntArray
    ys: npt.NDArray[np.float64]
    first: npt.NDArray[np.float64]

    @staticmethod
    def of(y: npt.NDArray[np.float64]) -> _Layout:
        """Sort ``y`` by its first coordinate (ties by row) and remember where each row went."""
        order = np.argsort(y[:, 0], kind="stable").astype(np.int64)
        pos = np.empty_like(order)
        pos[order] = np.arange(order.size, dtype=np.int64)
        ys = np.ascontiguousarray(y[order])
        return _Layout(y=y, pos=pos, ys=ys, first=np.ascontiguousarray(ys[:, 0]))


def _numpy_counts(scores: FloatArray, others: IntArray) -> IntArray:
    """Per row of ``scores``, how many entries lie strictly below the entry of each ``others``."""
    thresholds = np.take_along_axis(scores, others, axis=1)
    counts = np.empty(others.shape, np.int64)
    for j in range(others.shape[1]):
        counts[:, j] = np.count_nonzero(scores < thresholds[:, j : j + 1], axis=1)
    return counts


def _numpy_select(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
    """Counts below each neighbour's score and the k best, one NumPy pass per threshold."""
    counts = _numpy_counts(scores, others)
    part = np.argpartition(scores, k - 1, axis=1)[:, :k]
    best = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, best), axis=1)
    return counts, np.take_along_axis(part, order, axis=1).astype(np.int64)


def _numpy_low(layout: _Layout, block: IntArray, others: IntArray) -> IntArray:
    y = layout.y
    d2 = np.zeros((block.size, y.shape[0]), np.float64)
    for c in range(y.shape[1]):
        d2 += np.square(y[None, :, c] - y[block, c][:, None])
    d2[np.arange(block.size), block] = np.inf
    return _numpy_counts(d2, others)


_NUMPY_SCANS = Scans(high=_numpy_select, low=_numpy_low)


@functools.cache
def _numba_scans() -> Scans:
    """The scans with numba's kernels (compiled once per process, cached on disk between
    processes); ImportError when numba is missing."""
    kernels = compile_kernels()
    numba = importlib.import_module("numba")
    high, low, tile, tile_cols = kernels.high, kernels.low, kernels.tile, kernels.tile_cols

    def run_high(scores: FloatArray, others: IntArray, k: int) -> tuple[IntArray, IntArray]:
        check_indices(others, scores.shape[1], "the neighbour search")
        counts = np.zeros(others.shape, np.int64)
        top = np.empty((scores.shape[0], k), np.int64)
        high(scores, np.ascontiguousarray(others), k, counts, top)
        return counts, top

    def run_low(layout: _Layout, block: IntArray, others: IntArray) -> IntArray:
        n = layout.y.shape[0]
        check_indices(others, n, "the neighbour search")
        check_indices(block, n, "the row block")
        counts = np.zeros(others.shape, np.int64)
        chunks = 4 * max(1, int(numba.get_num_threads()))
        low(
            layout.ys, layout.first, layout.pos, block, np.ascontiguousarray(others), counts, chunks
        )
        return counts

    def run_tiled(
        xa: FloatArray, others: IntArray, k: int, done: Callable[[int], None]
    ) -> tuple[IntArray, IntArray]:
        check_indices(others, xa.shape[0], "the neighbour search")
        return _tiles(xa, np.ascontiguousarray(others), k, tile, tile_cols, done)

    return Scans(high=run_high, low=run_low, tiled=run_tiled)


@dataclass
class _TileState:
    """One worker's share of the answer: counts summed, k best merged at the end."""

    counts: IntArray
    best: FloatArray
    where: IntArray


def _tiles(  # noqa: PLR0913, PLR0917
    xa: FloatArray,
    others: IntArray,
    k: int,
    tile_kernel: Any,
    cols_kernel: Any,
    done: Callable[[int], None],
) -> tuple[IntArray, IntArray]:
    """Every row's counts below its ``others`` and its k nearest rows, from the triangle of
    tiles (``xa`` from :func:`prepared`, float32).

    One worker thread per core takes tiles from a shared list, each with its own single-threaded
    BLAS product and compiled scans (which release the GIL) and its own partial answer, merged
    at the end: no thread pool waits on another, where alternating multi-threaded BLAS and
    numba's parallel loops tile by tile spent more time handing over than working.
    """
    n = xa.shape[0]
    kt = others.shape[1]
    feats = np.ascontiguousarray(xa[:, :-1])
    norms = np.ascontiguousarray(xa[:, -1])
    thr = _thresholds(feats, norms, others)
    reach = (thr.max(axis=1) if kt else np.full(n, np.inf)).astype(np.float64)
    reach = (reach + np.abs(reach) * 1e-5 + 1e-30).astype(xa.dtype)
    tile = min(_TILE, n)
    blocks = range(0, n, tile)
    tasks = iter([(r0, c0) for r0 in blocks for c0 in blocks if c0 >= r0])
    total = len(blocks) * (len(blocks) + 1) // 2
    lock = threading.Lock()
    finished = 0
    workers = max(1, int(importlib.import_module("numba").get_num_threads()))
    states = [
        _TileState(
            np.zeros((n, kt), np.int64),
            np.full((n, k), np.inf, xa.dtype),
            np.full((n, k), np.iinfo(np.int64).max, np.int64),
        )
        for _ in range(workers)
    ]

    def work(state: _TileState) -> None:
        nonlocal finished
        buf = np.empty(tile * tile, xa.dtype)
        kept_v, kept_c = np.empty(tile, xa.dtype), np.empty(tile, np.int64)
        scratch = (thr, reach, others, state.counts, state.best, state.where, kept_v, kept_c)
        thr_t, cnt = np.empty((kt, tile), xa.dtype), np.empty((kt, tile), np.int32)
        worst, last, vrow = np.empty(tile, xa.dtype), np.empty(tile, np.int64), kept_v.copy()
        by_cols = (
            thr,
            others,
            state.counts,
            state.best,
            state.where,
            thr_t,
            cnt,
            worst,
            last,
            vrow,
        )
        while not cancelled.is_set():
            with lock:
                task = next(tasks, None)
            if task is None:
                return
            r0, c0 = task
            rows, cols = feats[r0 : r0 + tile], feats[c0 : c0 + tile]
            nr, nc = rows.shape[0], cols.shape[0]
            g = np.matmul(rows, cols.T, out=buf[: nr * nc].reshape(nr, nc))
            tile_kernel(g, norms[c0 : c0 + nc], r0, c0, *scratch)
            if c0 != r0:  # the same products serve the columns' rows
                cols_kernel(g, norms[r0 : r0 + nr], r0, c0, *by_cols)
            with lock:
                finished += 1
                done(n * finished // total)

    cancelled = threading.Event()
    with _one_blas_thread(), ThreadPoolExecutor(workers, "projector-quality") as pool:
        try:
            for _ in pool.map(work, states):  # re-raises a worker's error
                pass
        except BaseException:  # an error, or Ctrl-C while waiting: the others stop too
            cancelled.set()
            raise
    counts = sum((st.counts for st in states[1:]), states[0].counts)
    best = np.concatenate([st.best for st in states], axis=1)
    where = np.concatenate([st.where for st in states], axis=1)
    order = np.lexsort((where, best), axis=1)[:, :k]
    return counts, np.take_along_axis(where, order, axis=1)


def _thresholds(feats: FloatArray, norms: FloatArray, others: IntArray) -> FloatArray:
    """Each row's score of each of its ``others`` (in float64, then rounded to the data's type)."""
    n, kt = others.shape
    thr = np.empty((n, kt), feats.dtype)
    step = 8192
    for s in range(0, n, step):
        f = feats[s : s + step].astype(np.float64)
        o = others[s : s + step]
        dots = np.einsum("ij,ikj->ik", f, feats[o].astype(np.float64))
        thr[s : s + step] = norms[o] - 2.0 * dots
    return thr


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while the tile workers run (each is one core's worth of work);
    unchanged without threadpoolctl (installed with scikit-learn)."""
    try:
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        yield
        return
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        yield
