"""The numba kernels of the scans (:mod:`.scans`): the compiled loops that read the scores.

Each kernel is written as plain Python at module level, so that numba can cache its machine
code on disk between processes; :func:`compile_kernels` compiles them on first use (once per
process) and binds the names by which they call one another (``_nb_insert``, ``_nb_select``,
``_nb_insert_lex``, and ``_prange`` for numba's parallel loops). :mod:`.scans` checks every
index it passes in: the kernels read arrays unchecked.

* ``_select_py`` (one row of scores) and ``_high_py`` (rows of scores, in parallel): per row,
  how many scores lie strictly below the score of each of its neighbours from the other space,
  and its k best; the scores at or below the largest neighbour's are kept in one branch-free
  pass, then counted and offered to the k best.
* ``_slab_low_py``: per row of the layout, the points strictly closer than each of its
  neighbours, reading only the slab of the points sorted by first coordinate that can be.
* ``_tile_py`` and ``_tile_cols_py``: one tile of the triangle of row pairs, for its rows and
  then for its columns' rows, from one product of the two blocks.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Bound by compile_kernels to the compiled versions (range: numba's parallel range).
_prange: Any = range
_nb_insert: Any = None
_nb_select: Any = None
_nb_insert_lex: Any = None


@dataclass(frozen=True)
class Kernels:
    """The compiled kernels, called with the arguments of their Python versions."""

    #: ``_high_py``: rows of scores (each row's own entry +inf), in parallel.
    high: Callable[..., None]
    #: ``_slab_low_py``: rows of the layout, in parallel.
    low: Callable[..., None]
    #: ``_tile_py``: a tile for its rows (releases the GIL).
    tile: Callable[..., None]
    #: ``_tile_cols_py``: a tile for its columns' rows (releases the GIL).
    tile_cols: Callable[..., None]


@functools.cache
def compile_kernels() -> Kernels:
    """Compile the kernels with numba (once per process, cached on disk between processes);
    ImportError when numba is missing."""
    global _prange, _nb_insert, _nb_select, _nb_insert_lex  # noqa: PLW0603 - bound once
    numba = importlib.import_module("numba")
    _prange = numba.prange
    _nb_insert = numba.njit(cache=True, inline="always")(_insert_py)
    _nb_select = numba.njit(cache=True)(_select_py)
    high = numba.njit(cache=True, parallel=True)(_high_py)
    low = numba.njit(cache=True, parallel=True)(_slab_low_py)
    _nb_insert_lex = numba.njit(cache=True, inline="always")(_insert_lex_py)
    tile = numba.njit(cache=True, nogil=True)(_tile_py)
    tile_cols = numba.njit(cache=True, nogil=True)(_tile_cols_py)
    return Kernels(high=high, low=low, tile=tile, tile_cols=tile_cols)


def _insert_py(best: Any, where: Any, v: Any, idx: Any) -> Any:
    """Insert (v, idx) into the ascending list ``best`` (its last entry drops out); return the
    new last entry."""
    s = best.shape[0] - 1
    while s > 0 and best[s - 1] > v:
        best[s] = best[s - 1]
        where[s] = where[s - 1]
        s -= 1
    best[s] = v
    where[s] = idx
    return best[best.shape[0] - 1]


def _select_py(scores: Any, others: Any, k: Any, counts: Any, top: Any) -> None:
    """One row: counts below each of ``scores[others]``, and the k best into ``top``."""
    n = scores.shape[0]
    kt = others.shape[0]
    best = np.full(k, np.inf, dtype=scores.dtype)
    where = np.full(k, -1, dtype=np.int64)
    worst = best[k - 1]
    if kt == 0:
        for col in range(n):
            v = scores[col]
            if v < worst:
                worst = _nb_insert(best, where, v, col)
    else:
        # Keep the scores at or below the largest neighbour's (branch-free), count below each
        # neighbour's among those, and take the k best of those: the row's k neighbours from
        # the other space are kept, so the k best are among them.
        top_t = scores[others[0]]
        for j in range(1, kt):
            top_t = max(top_t, scores[others[j]])
        kept_v = np.empty(n, dtype=scores.dtype)
        kept_i = np.empty(n, dtype=np.int32)
        p = 0
        for col in range(n):
            v = scores[col]
            kept_v[p] = v
            kept_i[p] = col
            p += v <= top_t
        for j in range(kt):
            tj = scores[others[j]]
            c = 0
            for q in range(p):
                c += kept_v[q] < tj
            counts[j] = c
        for q in range(p):
            v = kept_v[q]
            if v < worst:
                worst = _nb_insert(best, where, v, kept_i[q])
    for j in range(k):
        top[j] = where[j]


def _high_py(scores: Any, others: Any, k: Any, counts: Any, top: Any) -> None:
    """Rows of scores (each row's own entry +inf), in parallel."""
    for r in _prange(scores.shape[0]):
        _nb_select(scores[r], others[r], k, counts[r], top[r])


def _slab_low_py(  # noqa: PLR0917
    ys: Any, first: Any, pos: Any, block: Any, others: Any, counts: Any, chunks: Any
) -> None:
    """Rows ``block`` of the layout: per neighbour in ``others``, the points strictly closer.

    ``ys`` is the layout sorted by its first coordinate (``first``), ``pos[i]`` row i's place.
    """
    n, dims = ys.shape
    kt = others.shape[1]
    size = (block.shape[0] + chunks - 1) // chunks
    for ch in _prange(chunks):
        kept = np.empty(n, dtype=np.float64)
        thr = np.empty(kt, np.float64)
        for r in range(ch * size, min(block.shape[0], ch * size + size)):
            p = pos[block[r]]
            top = -1.0
            for j in range(kt):
                q = pos[others[r, j]]
                d = 0.0
                for c in range(dims):
                    e = ys[q, c] - ys[p, c]
                    d += e * e
                thr[j] = d
                top = max(top, d)
            if kt == 0 or top <= 0.0:
                for j in range(kt):
                    counts[r, j] = 0
                continue
            # |dx| <= the distance: every point closer than the farthest neighbour lies in the
            # slab (widened past rounding; the exact comparisons below decide). Keep those
            # closer than it (branch-free), then count below each neighbour (vectorised).
            reach = np.sqrt(top) * (1.0 + 1e-9) + 1e-12
            lo = np.searchsorted(first, ys[p, 0] - reach)
            hi = np.searchsorted(first, ys[p, 0] + reach, side="right")
            m = 0
            for q in range(lo, hi):
                d = 0.0
                for c in range(dims):
                    e = ys[q, c] - ys[p, c]
                    d += e * e
                kept[m] = d
                m += (d < top) & (q != p)
            for j in range(kt):
                t = thr[j]
                below = 0
                for q in range(m):
                    below += kept[q] < t
                counts[r, j] = below


def _insert_lex_py(best: Any, where: Any, v: Any, idx: Any) -> None:
    """Insert (v, idx) into ``best``/``where``, ascending by value then index (the last entry
    drops out), so that the order does not depend on the order the scores came in."""
    s = best.shape[0] - 1
    while s > 0 and (best[s - 1] > v or (best[s - 1] == v and where[s - 1] > idx)):
        best[s] = best[s - 1]
        where[s] = where[s - 1]
        s -= 1
    best[s] = v
    where[s] = idx


def _tile_py(  # noqa: PLR0913, PLR0917
    g: Any,
    norms: Any,
    row0: Any,
    col0: Any,
    thr: Any,
    reach: Any,
    others: Any,
    counts: Any,
    best: Any,
    where: Any,
    kept_v: Any,
    kept_c: Any,
) -> None:
    """A tile's rows against its columns: ``g[r, c] = x_(row0+r) . x_(col0+c)``, ``norms`` the
    columns' squared norms. Adds to each row's counts below its thresholds and keeps its k best
    (never itself); a column counts even where it is the row itself or the neighbour whose
    threshold it is, and is taken back below. ``reach``: per row, the largest score that can
    matter (its largest threshold, widened past rounding; +inf without thresholds).
    ``kept_v``/``kept_c``: scratch of the tile's width."""
    nr, nc = g.shape
    kt = thr.shape[1]
    k = best.shape[1]
    for r in range(nr):
        i = row0 + r
        # Keep the scores within reach (branch-free), count below each threshold among those
        # (vectorised passes), then offer them to the k best: the k nearest lie within the
        # largest threshold, since the row's k neighbours from the layout do.
        top = reach[i]
        p = 0
        for c in range(nc):
            v = norms[c] - (g[r, c] + g[r, c])
            kept_v[p] = v
            kept_c[p] = c
            p += v <= top
        for m in range(kt):
            t = thr[i, m]
            n_below = 0
            for q in range(p):
                n_below += kept_v[q] < t
            counts[i, m] += n_below
        worst = best[i, k - 1]
        last = where[i, k - 1]
        for q in range(p):
            v = kept_v[q]
            col = col0 + kept_c[q]
            if (v < worst or (v == worst and col < last)) and col != i:
                _nb_insert_lex(best[i], where[i], v, col)
                worst = best[i, k - 1]
                last = where[i, k - 1]
        for m in range(kt):
            c = others[i, m] - col0
            if 0 <= c < nc and norms[c] - (g[r, c] + g[r, c]) < thr[i, m]:
                counts[i, m] -= 1  # the neighbour itself, a rounding below its threshold
        c = i - col0
        if 0 <= c < nc:  # the row itself, on the diagonal
            v = norms[c] - (g[r, c] + g[r, c])
            for m in range(kt):
                counts[i, m] -= v < thr[i, m]


def _tile_cols_py(  # noqa: PLR0913, PLR0917
    g: Any,
    norms: Any,
    row0: Any,
    col0: Any,
    thr: Any,
    others: Any,
    counts: Any,
    best: Any,
    where: Any,
    thr_t: Any,
    cnt: Any,
    worst: Any,
    last: Any,
    vrow: Any,
) -> None:
    """The same tile for its columns' rows (off the diagonal), ``norms`` the tile rows' squared
    norms, reading ``g`` along memory: each row of ``g`` adds to every column's counts at once
    (vectorised across columns, thresholds laid out threshold by column in ``thr_t``) and is
    offered to their k best. A transposed copy of the tile cost more than this whole pass.
    ``thr_t``, ``cnt``, ``worst``, ``last``, ``vrow``: scratch of the tile's width."""
    nr, nc = g.shape
    kt = thr.shape[1]
    k = best.shape[1]
    for m in range(kt):
        for c in range(nc):
            thr_t[m, c] = thr[col0 + c, m]
            cnt[m, c] = 0
    for c in range(nc):
        worst[c] = best[col0 + c, k - 1]
        last[c] = where[col0 + c, k - 1]
    for r in range(nr):
        a = norms[r]
        for c in range(nc):
            vrow[c] = a - (g[r, c] + g[r, c])
        for m in range(kt):
            for c in range(nc):
                cnt[m, c] += np.int32(vrow[c] < thr_t[m, c])
        i = row0 + r
        for c in range(nc):
            v = vrow[c]
            if v < worst[c] or (v == worst[c] and i < last[c]):
                s = col0 + c
                _nb_insert_lex(best[s], where[s], v, i)
                worst[c] = best[s, k - 1]
                last[c] = where[s, k - 1]
    for c in range(nc):
        s = col0 + c
        for m in range(kt):
            counts[s, m] += cnt[m, c]
            r = others[s, m] - row0
            if 0 <= r < nr and norms[r] - (g[r, c] + g[r, c]) < thr[s, m]:
                counts[s, m] -= 1  # the neighbour itself, a rounding below its threshold
