"""The wire format between the kernel and the browser, in one place (mirrored by ``js/wire.ts``).

Everything large travels as a binary buffer (``memoryview``), which ipywidgets sends as a
separate binary frame: never a JSON list of numbers.

``_points``
    ``{"n", "dims", "lo": [dims floats], "hi": [dims floats], "data": uint16 (n*dims)}``.
    Coordinates are quantised per axis to 16 bits: ``x = lo + q / 65535 * (hi - lo)``. At 1M
    points and 3-D that is 6 bytes a point, and the error is at most ``(hi - lo) / 131070``,
    far below a pixel.
    Above ``PROGRESSIVE_MIN_POINTS`` the value carries only the first ``loaded`` rows, with a
    ``version``; the browser draws them and asks for the rest (``{"type": "points", "version",
    "start"}``), so the first points show before the last arrive.
``_points_rest``
    The rest of such a value: ``{"version", "start", "count", "data": uint16 (count*dims)}``,
    ``{}`` when there is none. A synced trait, not a message, so that saved widget state (a
    notebook saved with its widgets, ``ipywidgets.embed``, nbconvert) holds every row.
``_columns``
    One descriptor per metadata column: categorical columns send ``codes`` (uint8 when there are
    at most 256 categories, else uint16) and the category names once; numeric columns send
    float32 ``values`` (NaN = missing); text columns send only their name (values are requested
    row by row for tooltips).
``_timeline``
    A sequence's aligned layouts, every step quantised like ``_points`` (:func:`encode_timeline`).
``selected``
    ``{"indices": uint32}``, sorted unique row indices, in both directions; a selection too
    large to hold (overview mode, :class:`~projector_widget.compute.overview.LazySelection`) goes as
    ``{"count": N, "lazy": true}``, no indices (the overview's tiles carry selected flags).
``_overview``
    The density overview of a layout above ``overview_above`` rows (:func:`encode_overview`):
    the quadtree's square ``domain``, a grid of counts (uint32) and most frequent category
    (uint8) per cell; tiles of points follow as messages (:func:`tile_buffers`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.overview.chunks import Sample
from projector_widget.compute.overview.index import Grid, LazySelection
from projector_widget.data.columns import Column

QMAX = 65535
#: Above this many points ``_points`` is sent in parts (see the module docstring).
PROGRESSIVE_MIN_POINTS = 262_144
#: Rows in the first part: drawn while the rest is on its way (in one ``_points_rest`` value:
#: every part that arrives costs a redraw of all the points so far, half a second at 1M in
#: software GL).
FIRST_PART_POINTS = 131_072


def quantize(
    coords: npt.NDArray[np.floating],
) -> tuple[npt.NDArray[np.uint16], list[float], list[float]]:
    """Quantise (N, d) coordinates to uint16 per axis; return ``(q, lo, hi)``."""
    coords = np.asarray(coords, dtype=np.float32)
    if coords.ndim != 2:
        raise ValueError(f"coordinates must be (N, d), got shape {coords.shape}")
    n, d = coords.shape
    if n == 0:
        return np.zeros((0, d), np.uint16), [0.0] * d, [1.0] * d
    if not np.all(np.isfinite(coords)):
        # Projections check their output; this keeps NaN bounds off the wire whatever the cause.
        raise ValueError("coordinates contain NaN or infinity; nothing was sent to the browser")
    lo = coords.min(axis=0).astype(np.float64)
    hi = coords.max(axis=0).astype(np.float64)
    span = hi - lo
    span[span <= 0] = 1.0
    hi = lo + span
    scale = (QMAX / span).astype(np.float32)
    q = np.empty((n, d), dtype=np.uint16)
    step = 1 << 18
    for start in range(0, n, step):
        block = (coords[start : start + step] - lo.astype(np.float32)) * scale
        np.rint(block, out=block)
        np.clip(block, 0, QMAX, out=block)
        q[start : start + step] = block
    return q, lo.tolist(), hi.tolist()


def encode_points(
    coords: npt.NDArray[np.floating], visible_rows: npt.NDArray[np.integer] | None = None
) -> dict[str, Any]:
    """The ``_points`` value for (N, 2|3) coordinates.

    With ``visible_rows``, only those rows are shown (``visible``: a uint8 mask) and only they
    set the quantisation range; the hidden rows are clamped into it.
    """
    coords = np.asarray(coords, dtype=np.float32)
    if visible_rows is None:
        q, lo, hi = quantize(coords)
        n, d = q.shape
        return {"n": int(n), "dims": int(d), "lo": lo, "hi": hi, "data": memoryview(q.reshape(-1))}
    shown = coords[visible_rows]
    lo_v = shown.min(axis=0) if len(shown) else np.zeros(coords.shape[1], np.float32)
    hi_v = shown.max(axis=0) if len(shown) else np.ones(coords.shape[1], np.float32)
    q, lo, hi = quantize(np.clip(coords, lo_v, hi_v))
    mask = np.zeros(coords.shape[0], dtype=np.uint8)
    mask[visible_rows] = 1
    n, d = q.shape
    return {
        "n": int(n),
        "dims": int(d),
        "lo": lo,
        "hi": hi,
        "data": memoryview(q.reshape(-1)),
        "visible": memoryview(mask),
    }


def encode_timeline(layouts: list[npt.NDArray[np.floating]], names: list[str]) -> dict[str, Any]:
    """The ``_timeline`` value of a sequence: every step's (N, 3) layout, quantised like
    ``_points`` with its own ``lo``/``hi`` (one list per step), in one uint16 buffer of
    ``steps * n * 3`` values, step after step; the browser animates between them."""
    parts = [quantize(layout) for layout in layouts]
    data = np.concatenate([q.reshape(-1) for q, _, _ in parts]) if parts else np.zeros(0, "<u2")
    n, d = parts[0][0].shape if parts else (0, 3)
    return {
        "steps": len(parts),
        "n": int(n),
        "dims": int(d),
        "names": list(names),
        "lo": [lo for _, lo, _ in parts],
        "hi": [hi for _, _, hi in parts],
        "data": memoryview(data.astype("<u2")),
    }


def is_progressive(value: dict[str, Any]) -> bool:
    """Whether a full :func:`encode_points` value is sent in parts (large, no visibility mask)."""
    return int(value["n"]) > PROGRESSIVE_MIN_POINTS and "visible" not in value


def first_part(value: dict[str, Any], version: int) -> dict[str, Any]:
    """The ``_points`` value that carries the first ``FIRST_PART_POINTS`` rows of ``value``.

    A transition needs every row at once, so a value sent in parts jumps instead.
    """
    loaded = min(int(value["n"]), FIRST_PART_POINTS)
    return {
        **value,
        "data": value["data"][: loaded * int(value["dims"])],
        "loaded": loaded,
        "version": int(version),
        "transition_ms": 0,
    }


def rest_part(value: dict[str, Any], version: int, start: int) -> dict[str, Any]:
    """The ``_points_rest`` value of ``value`` (sent in parts as ``version``): rows ``start``
    onwards, one uint16 buffer (a view of ``value``'s, no copy)."""
    n, dims = int(value["n"]), int(value["dims"])
    start = min(max(0, int(start)), n)
    return {
        "version": int(version),
        "start": start,
        "count": n - start,
        "data": value["data"][start * dims : n * dims],
    }


def encode_column(column: Column, *, per_row: bool = True) -> dict[str, Any]:
    """The wire descriptor of one metadata column; without ``per_row`` (overview mode) its
    per-row buffers (``codes``, ``values``) are empty: nothing sent grows with the rows."""
    if column.kind == "category":
        assert column.codes is not None
        small = len(column.categories) <= 256
        codes = column.codes.astype(np.uint8) if small else column.codes.astype("<u2")
        if not per_row:
            codes = codes[:0]
        return {
            "name": column.name,
            "kind": "category",
            "categories": list(column.categories),
            "counts": list(column.counts),
            "codes": memoryview(codes),
            "code_bytes": 1 if small else 2,
            "missing_code": column.missing_code,
        }
    if column.kind == "number":
        # Colour needs float32; values beyond its range (and infinities) take its extremes
        # instead of becoming Inf in the browser. Text (tooltips, search) comes from the kernel.
        f32 = np.finfo(np.float32).max
        values = np.clip(column.numbers(), -f32, f32).astype("<f4")
        finite = values[np.isfinite(values)]
        lo = float(finite.min()) if finite.size else 0.0
        hi = float(finite.max()) if finite.size else 0.0
        return {
            "name": column.name,
            "kind": "number",
            "values": memoryview(values if per_row else values[:0]),
            "min": lo,
            "max": hi,
        }
    return {"name": column.name, "kind": "text"}


#: Tells two lazy selection values apart (the browser sees a change, and re-asks its tiles'
#: selected flags, even when two selections have the same count).
_LAZY_SERIAL = itertools.count(1)


def encode_selection(
    indices: npt.NDArray[np.integer] | LazySelection, *, count_only: bool = False
) -> dict[str, Any]:
    """The ``selected`` wire value: sorted unique indices as uint32 (a lazy selection, or any
    selection when ``count_only``: its count only)."""
    if isinstance(indices, LazySelection) or count_only:
        return {"count": len(indices), "lazy": True, "serial": next(_LAZY_SERIAL)}
    return {"indices": memoryview(np.ascontiguousarray(indices, dtype="<u4"))}


def decode_selection(value: Any) -> Any:
    """Indices from the browser's ``selected`` value (a dict holding a uint32 buffer)."""
    if value is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(value, dict):
        buf = value.get("indices")
        if buf is None:
            return np.zeros(0, dtype=np.int64)
        size = memoryview(buf).nbytes
        if size % 4:
            raise ValueError(
                f"a selection buffer holds uint32 indices (4 bytes each); got {size} bytes"
            )
        return np.frombuffer(buf, dtype="<u4").astype(np.int64)
    # Plain lists also arrive here when a front end that knows no buffers sets the trait: the
    # trait's validation applies its rules to them as to any value (no cast here first).
    return value


def encode_labels(column: str, rows: npt.NDArray[np.integer], texts: list[str]) -> dict[str, Any]:
    """The ``_labels`` wire value: label ``texts[j]`` of row ``rows[j]`` as one UTF-8 buffer.

    ``{"column", "indices": uint32, "offsets": uint32 (len(rows) + 1), "text": utf-8 bytes}``.
    """
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype="<u4")
    if encoded:
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return {
        "column": column,
        "indices": memoryview(np.ascontiguousarray(rows, dtype="<u4")),
        "offsets": memoryview(offsets),
        "text": memoryview(b"".join(encoded)),
    }


def encode_neighbors(
    index: int,
    indices: npt.NDArray[np.integer],
    distances: npt.NDArray[np.floating],
    labels: list[str],
    *,
    query: str | None = None,
    column: str = "",
) -> dict[str, Any]:
    """The ``_neighbors`` wire value (closest first); ``labels`` are the texts of ``column``
    ("" when the rows have no naming column and are called ``#index``)."""
    return {
        "index": int(index),
        "query": query,
        "indices": memoryview(np.ascontiguousarray(indices, dtype="<u4")),
        "distances": memoryview(np.ascontiguousarray(distances, dtype="<f4")),
        "labels": list(labels),
        "column": column,
    }


def encode_overview(
    version: int,
    *,
    n: int,
    domain: tuple[float, float, float],
    grid: Grid,
    column: str,
    categories: list[str],
    budget: int,
    tile_budget: int,
) -> dict[str, Any]:
    """The ``_overview`` value: the quadtree's domain and the first grid (two buffers)."""
    return {
        "version": int(version),
        "n": int(n),
        "domain": [float(v) for v in domain],
        "bounds": [float(v) for v in grid.bounds],
        "size": [int(grid.size[0]), int(grid.size[1])],
        "counts": memoryview(np.ascontiguousarray(grid.counts, "<u4")),
        "top": memoryview(np.ascontiguousarray(grid.top, np.uint8)),
        "max": int(grid.max),
        "column": column,
        "categories": list(categories),
        "budget": int(budget),
        "tile_budget": int(tile_budget),
    }


def grid_buffers(grid: Grid) -> list[memoryview]:
    """The two buffers of a ``grid`` reply: counts uint32 (w*h, row 0 lowest y), top uint8."""
    return [
        memoryview(np.ascontiguousarray(grid.counts, "<u4")),
        memoryview(np.ascontiguousarray(grid.top, np.uint8)),
    ]


def tile_buffers(sample: Sample, selected: npt.NDArray[np.uint8]) -> list[memoryview]:
    """The four buffers of one tile of a ``tiles`` reply: rows uint32, xy float32 (x, y
    interleaved), codes uint8, selected uint8 (1 = selected)."""
    xy = np.empty((sample.x.size, 2), "<f4")
    xy[:, 0] = sample.x
    xy[:, 1] = sample.y
    return [
        memoryview(np.ascontiguousarray(sample.rows, "<u4")),
        memoryview(xy.reshape(-1)),
        memoryview(np.ascontiguousarray(sample.codes, np.uint8)),
        memoryview(np.ascontiguousarray(selected, np.uint8)),
    ]


def split_buffers(value: Any) -> tuple[Any, list[tuple[list[str | int], bytes]]]:
    """``value`` without its binary parts, and each part with its path (dict keys and list
    positions), as saved widget state stores them beside the JSON: a part's dict key is left
    out, its place in a list holds None."""
    found: list[tuple[list[str | int], bytes]] = []
    binary = (memoryview, bytes, bytearray)

    def walk(node: Any, path: list[str | int]) -> Any:
        if isinstance(node, binary):
            found.append((path, bytes(node)))
            return None
        if isinstance(node, dict):
            return {k: walk(v, [*path, k]) for k, v in node.items() if not _is_part(v, path, k)}
        if isinstance(node, (list, tuple)):
            return [walk(item, [*path, i]) for i, item in enumerate(node)]
        return node

    def _is_part(item: Any, path: list[str | int], key: str) -> bool:
        if isinstance(item, binary):
            found.append(([*path, key], bytes(item)))
            return True
        return False

    return walk(value, []), found
