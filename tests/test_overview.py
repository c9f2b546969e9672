"""The density overview (projector_widget.compute.overview): its index, grids, tiles, lasso and lazy
selection, checked against brute force; and the widget's overview mode through its messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from frontend import send_from_browser
from hypothesis import given, settings
from hypothesis import strategies as st

from projector_widget import LazySelection, Projector
from projector_widget.compute import overview
from projector_widget.compute.overview import SelectionTooLarge
from projector_widget.compute.overview import chunks as overview_chunks
from projector_widget.compute.overview import index as overview_index
from projector_widget.compute.overview import keys as overview_keys
from projector_widget.compute.overview.executors import LocalExecutor
from projector_widget.compute.overview.index import OverviewIndex
from projector_widget.dask.overview import delayed_array
from projector_widget.sync import protocol
from projector_widget.sync import wire as encoding


# ----------------------------------------------------------------------------- brute force
def in_tile(
    x: float, y: float, domain: tuple[float, float, float], tile: tuple[int, int, int]
) -> bool:
    """The contract's tile square, point by point (the top/right edge of the domain in the last
    tile)."""
    x0, y0, s = domain
    z, tx, ty = tile
    side = s / 2**z
    last = 2**z - 1
    in_x = x0 + tx * side <= x < x0 + (tx + 1) * side or (tx == last and x == x0 + s)
    in_y = y0 + ty * side <= y < y0 + (ty + 1) * side or (ty == last and y == y0 + s)
    return in_x and in_y


def crossings_inside(px: float, py: float, polygon: list[tuple[float, float]]) -> bool:
    """Even-odd rule, one point: count the edges a ray to the right of the point crosses,
    with the intersection decided by a cross product's sign instead of an x coordinate."""
    count = 0
    k = len(polygon)
    for i in range(k):
        (ax, ay), (bx, by) = polygon[i], polygon[(i + 1) % k]
        if ay <= py < by:  # upward edge: crossing when the point is left of it
            if (bx - ax) * (py - ay) - (px - ax) * (by - ay) > 0:
                count += 1
        elif by <= py < ay:  # downward edge: left of it is the other sign
            if (bx - ax) * (py - ay) - (px - ax) * (by - ay) < 0:
                count += 1
    return count % 2 == 1


def points(n: int, seed: int = 0) -> np.ndarray:
    """(n, 2) float32 points in clusters, with two fixed corners so the domain is [0, 8]^2."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(1, 7, size=(6, 2))
    xy = centres[rng.integers(0, 6, n)] + rng.normal(scale=0.5, size=(n, 2))
    xy = np.clip(xy, 0, 8).astype(np.float32)
    xy[0], xy[1] = (0, 0), (8, 8)
    return xy


# ----------------------------------------------------------------------------- keys and grids
def test_a_tile_is_one_key_range_that_holds_exactly_its_square() -> None:
    xy = points(3000)
    domain = overview_keys.square_domain(xy.min(axis=0).tolist(), xy.max(axis=0).tolist())
    assert domain == (0.0, 0.0, 8.0)
    tx, ty = overview_keys.cells(xy[:, 0], xy[:, 1], domain)
    keys = overview_keys.morton(tx, ty)
    for z, cx, cy in [(0, 0, 0), (1, 1, 0), (3, 5, 2), (3, 7, 7), (6, 20, 41)]:
        start, end = overview_keys.key_range(z, cx, cy)
        by_key = (keys >= start) & (keys < end)
        by_square = [in_tile(float(x), float(y), domain, (z, cx, cy)) for x, y in xy]
        assert by_key.tolist() == by_square


def test_a_flat_or_single_point_layout_gets_a_unit_square() -> None:
    assert overview_keys.square_domain([2.0, 3.0], [2.0, 3.0]) == (1.5, 2.5, 1.0)
    assert overview_keys.square_domain([0.0, 0.0], [4.0, 2.0]) == (0.0, -1.0, 4.0)


def brute_top(xy: np.ndarray, codes: np.ndarray, bounds: tuple, size: int) -> np.ndarray:
    """The most frequent code of each cell, by a dictionary per cell (255: empty)."""
    bx0, by0, bx1, by1 = bounds
    per_cell: dict[tuple[int, int], dict[int, int]] = {}
    for (x, y), c in zip(xy.astype(float), codes, strict=True):
        if not (bx0 <= x <= bx1 and by0 <= y <= by1):
            continue
        ix = min(int((x - bx0) / (bx1 - bx0) * size), size - 1)
        iy = min(int((y - by0) / (by1 - by0) * size), size - 1)
        cell = per_cell.setdefault((iy, ix), {})
        cell[int(c)] = cell.get(int(c), 0) + 1
    top = np.full((size, size), 255, np.uint8)
    for (iy, ix), counts in per_cell.items():
        best = max(counts.values())
        top[iy, ix] = min(c for c, k in counts.items() if k == best)  # ties: the lower code
    return top


@pytest.mark.parametrize("bounds", [None, (2.0, 1.0, 6.0, 5.0)])
def test_grid_counts_are_a_2d_histogram_and_top_the_most_frequent_code(bounds: Any) -> None:
    xy = points(20_000)
    codes = np.random.default_rng(1).integers(0, 5, len(xy)).astype(np.uint8)
    index = OverviewIndex.build(xy, codes, starts=[0, 7000, 13_000])
    assert len(index.chunks) == 3
    size = 64
    grid = index.grid(bounds, (size, size))
    box = bounds or (0.0, 0.0, 8.0, 8.0)
    hist, _, _ = np.histogram2d(
        xy[:, 0].astype(float),
        xy[:, 1].astype(float),
        bins=size,
        range=[[box[0], box[2]], [box[1], box[3]]],
    )
    counts = grid.counts.reshape(size, size)  # row 0 = lowest y
    np.testing.assert_array_equal(counts, hist.T.astype(np.uint32))
    assert grid.max == int(hist.max())
    if bounds is None:
        assert int(grid.counts.sum()) == len(xy)
    np.testing.assert_array_equal(grid.top.reshape(size, size), brute_top(xy, codes, box, size))


def test_categories_past_the_sixteenth_count_as_other_and_show_no_top_code() -> None:
    xy = points(4000)
    codes = np.full(len(xy), 3, np.uint8)
    left = xy[:, 0] < 4
    codes[left] = 20 + np.arange(int(left.sum())) % 30  # many rare categories past the 16th
    codes[xy[:, 1] < 1] = 255  # no category
    grid = OverviewIndex.build(xy, codes).grid(None, (8, 8))
    top = grid.top.reshape(8, 8)
    other = np.where(codes >= 16, 16, codes)  # the 16 first codes, and one class for the rest
    expect = brute_top(xy, other, (0.0, 0.0, 8.0, 8.0), 8)
    expect[expect == 16] = 255
    np.testing.assert_array_equal(top, expect)
    assert (top[1:, 4:][grid.counts.reshape(8, 8)[1:, 4:] > 0] == 3).all()
    assert (top[:, :4] == 255).all()  # rare categories together are 'other', shown as none
    assert int(grid.counts.sum()) == len(xy)


# ----------------------------------------------------------------------------- tiles
def test_a_tile_under_budget_has_exactly_the_rows_of_its_square() -> None:
    xy = points(5000)
    codes = (np.arange(len(xy)) % 7).astype(np.uint8)
    index = OverviewIndex.build(xy, codes, starts=[0, 1000, 2500])
    tiles = [(0, 0, 0), (2, 1, 2), (4, 9, 3), (16, 0, 0)]
    for (z, tx, ty), sample in zip(tiles, index.tiles(tiles, budget=len(xy)), strict=True):
        expect = [
            i
            for i, (x, y) in enumerate(xy)
            if in_tile(float(x), float(y), index.domain, (z, tx, ty))
        ]
        assert sample.total == len(expect)
        assert sorted(sample.rows.tolist()) == expect
        np.testing.assert_array_equal(sample.x, xy[sample.rows, 0])
        np.testing.assert_array_equal(sample.y, xy[sample.rows, 1])
        np.testing.assert_array_equal(sample.codes, codes[sample.rows])


def test_a_sampled_tile_keeps_its_smallest_priorities_which_deeper_tiles_keep_too() -> None:
    xy = points(30_000, seed=3)
    index = OverviewIndex.build(xy, starts=[0, 9000, 20_000])
    budget = 500
    (top,) = index.tiles([(1, 0, 0)], budget)
    inside = np.array(
        [i for i, (x, y) in enumerate(xy) if in_tile(float(x), float(y), index.domain, (1, 0, 0))]
    )
    assert top.total == inside.size > budget
    assert top.rows.size == budget
    p = overview_keys.priority_of(inside)
    smallest = inside[np.lexsort((inside, p))][:budget]  # by priority, then row
    assert top.rows.tolist() == smallest.tolist()
    assert np.all(np.diff(overview_keys.priority_of(top.rows)) >= 0)
    children = [(2, cx, cy) for cx in (0, 1) for cy in (0, 1)]
    deeper = index.tiles(children, budget)
    for (z, cx, cy), child in zip(children, deeper, strict=True):
        mine = [r for r in top.rows if in_tile(*map(float, xy[r]), index.domain, (z, cx, cy))]
        assert set(mine) <= set(child.rows.tolist())
        assert child.rows.size == min(budget, child.total)
    assert sum(c.total for c in deeper) == top.total
    # The same rows on every call: the priorities are fixed.
    assert index.tiles([(1, 0, 0)], budget)[0].rows.tolist() == top.rows.tolist()


# ----------------------------------------------------------------------------- lasso
STAR = [(4.0, 7.5), (5.0, 1.0), (0.5, 5.0), (7.5, 5.0), (3.0, 1.0)]  # self-intersecting


def wobbly(k: int) -> list[tuple[float, float]]:
    """A k-vertex closed curve around (4, 4) whose radius wobbles (concave in places)."""
    t = np.linspace(0, 2 * np.pi, k, endpoint=False)
    r = 2.5 + 1.2 * np.sin(5 * t)
    return [(4 + float(a), 4 + float(b)) for a, b in zip(r * np.cos(t), r * np.sin(t), strict=True)]


# Few edges (a pass over the points per edge) and many (the points sorted by y once).
@pytest.mark.parametrize(
    "polygon", [STAR, [(1.0, 1.0), (6.0, 2.0), (6.5, 6.5), (2.0, 5.0)], wobbly(90)]
)
def test_lasso_selects_the_even_odd_inside_of_the_polygon(polygon: list) -> None:
    xy = points(3000, seed=5)
    index = OverviewIndex.build(xy, starts=[0, 1100, 2000])
    rows = index.lasso(np.array(polygon))
    assert isinstance(rows, np.ndarray) and rows.dtype == np.int64
    expect = [i for i, (x, y) in enumerate(xy) if crossings_inside(float(x), float(y), polygon)]
    assert rows.tolist() == expect
    inside = overview_chunks.inside_polygon(xy[:, 0], xy[:, 1], np.array(polygon))
    assert np.flatnonzero(inside).tolist() == expect


def test_lasso_add_mode_unions_with_the_current_selection() -> None:
    xy = points(3000, seed=6)
    index = OverviewIndex.build(xy, starts=[0, 1500])
    first = index.lasso(np.array(STAR))
    square = np.array([(0.0, 0.0), (2.5, 0.0), (2.5, 2.5), (0.0, 2.5)])
    extra = np.array([5, 2999], np.int64)
    both = index.lasso(square, np.union1d(first, extra))
    assert isinstance(both, np.ndarray)
    expect = set(first.tolist()) | set(extra.tolist())
    expect |= {
        i for i, (x, y) in enumerate(xy) if crossings_inside(float(x), float(y), square.tolist())
    }
    assert both.tolist() == sorted(expect)


def test_row_bits_flag_exactly_their_rows() -> None:
    rng = np.random.default_rng(2)
    chosen = np.unique(rng.integers(0, 10_001, 3000))
    bits = overview_index.RowBits(chosen, 10_001)
    assert bits.bits.nbytes == 1251
    query = rng.integers(0, 10_001, 5000)
    np.testing.assert_array_equal(bits(query), np.isin(query, chosen))
    xy = points(10_001)
    index = OverviewIndex.build(xy)
    (tile,) = index.tiles([(1, 0, 0)], budget=10_001)
    with_bits = overview_index.selected_flags(chosen, tile, index, bits)
    np.testing.assert_array_equal(with_bits, overview_index.selected_flags(chosen, tile, index))
    np.testing.assert_array_equal(with_bits, np.isin(tile.rows, chosen))


def test_a_selection_above_the_limit_is_lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    da = pytest.importorskip("dask.array")
    xy = points(6000, seed=7)
    # The kernel's executor, able to hand a selection to Dask as the widget's backend makes it.
    executor = LocalExecutor(delayed_array)
    index = OverviewIndex.build(xy, starts=[0, 2000, 4000], n_points=6000, executor=executor)
    half = np.array([(0.0, 0.0), (8.0, 0.0), (8.0, 4.0), (0.0, 4.0)])
    expect = [
        i for i, (x, y) in enumerate(xy) if crossings_inside(float(x), float(y), half.tolist())
    ]
    monkeypatch.setattr(overview, "SELECTED_MAX", len(expect) - 1)
    lazy = index.lasso(half)
    assert isinstance(lazy, LazySelection)
    assert len(lazy) == lazy.count == len(expect)
    assert f"{len(expect):,}" in repr(lazy)
    np.testing.assert_array_equal(lazy.compute(), expect)
    as_dask = lazy.to_dask()
    assert isinstance(as_dask, da.Array) and as_dask.shape == (len(expect),)
    np.testing.assert_array_equal(as_dask.compute(scheduler="sync"), expect)
    flags = lazy.contains(np.arange(6000), xy[:, 0], xy[:, 1])
    assert np.flatnonzero(flags).tolist() == expect
    # On another layout of the rows the flags follow the rows, not the polygon.
    moved = xy[::-1].copy()
    other = OverviewIndex.build(moved, n_points=6000)
    (tile,) = other.tiles([(0, 0, 0)], budget=6000)
    flags = overview_index.selected_flags(lazy, tile, other)
    assert sorted(tile.rows[flags == 1].tolist()) == expect
    same = overview_index.selected_flags(lazy, tile, index.recolor(None))  # same layout: polygons
    assert sorted(tile.rows[same == 1].tolist()) != expect
    # "add" on a lazy selection: another polygon and some rows, still lazy, counted exactly.
    corner = np.array([(6.0, 6.0), (8.0, 6.0), (8.0, 8.0), (6.0, 8.0)])
    more = index.lasso(corner, lazy)
    assert isinstance(more, LazySelection) and len(more.polygons) == 2
    extra = {
        i for i, (x, y) in enumerate(xy) if crossings_inside(float(x), float(y), corner.tolist())
    }
    assert more.compute().tolist() == sorted(set(expect) | extra)
    # More rows than half the free memory: a MemoryError that says what to do instead.
    monkeypatch.setattr(overview_index, "_available_bytes", lambda: 8 * len(expect))
    with pytest.raises(SelectionTooLarge, match=r"to_dask\(\)") as err:
        lazy.compute()
    assert isinstance(err.value, MemoryError)
    # A selection under the limit is rows again.
    monkeypatch.setattr(overview, "SELECTED_MAX", len(expect))
    assert isinstance(index.lasso(half), np.ndarray)


# ----------------------------------------------------------------------------- the widget
def blobs(n: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(11)
    groups = rng.integers(0, 4, n)
    x = (rng.normal(size=(4, 6))[groups] * 5 + rng.normal(size=(n, 6))).astype(np.float32)
    return x, [f"g{g}" for g in groups]


@pytest.fixture
def wide() -> tuple[Projector, list[tuple[dict, list]]]:
    """A projector of 4,000 rows in overview mode (above 1,000) and what it sends."""
    x, groups = blobs(4000)
    w = Projector(x, {"group": groups, "score": np.arange(4000.0)}, overview_above=1000)
    sent: list[tuple[dict, list]] = []
    w.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    return w, sent


def test_overview_mode_sends_a_grid_and_no_rows(wide: Any) -> None:
    w, _sent = wide
    value = w._overview
    assert w.dimensions == 2 and w._points["n"] == 0
    assert bytes(w._points["data"]) == b""
    for column in w._columns:  # descriptors only
        assert all(not (isinstance(v, memoryview) and v.nbytes) for v in column.values())
    assert value["n"] == 4000 and value["column"] == "group"
    assert value["categories"] == w._parts.metadata.columns[0].categories
    assert value["size"] == [512, 512] and value["bounds"][:2] == value["domain"][:2]
    counts = np.frombuffer(value["counts"], "<u4")
    assert counts.size == 512 * 512 and int(counts.sum()) == 4000
    assert value["max"] == int(counts.max())
    top = np.frombuffer(value["top"], np.uint8)
    assert set(np.unique(top[counts > 0]).tolist()) <= {0, 1, 2, 3}
    assert (top[counts == 0] == 255).all()
    assert value["budget"] == overview.BROWSER_BUDGET
    assert value["tile_budget"] == overview.TILE_BUDGET


def test_overview_mode_is_2d_only(wide: Any) -> None:
    w, _sent = wide
    with pytest.raises(ValueError, match="2-D density overview"):
        w.dimensions = 3
    with pytest.raises(ValueError, match="overview_above"):
        w.tsne(dims=3)
    assert w.dimensions == 2 and w.projection == "pca"
    x, _groups = blobs(50)
    with pytest.raises(ValueError, match="no 3-D view"):
        Projector(x, dimensions=3, overview_above=10)
    assert Projector(x, overview_above=50, dimensions=3).dimensions == 3  # at the threshold: points
    assert Projector(x, overview_above=50)._overview == {}


def test_tiles_come_with_their_points_and_selection_flags(wide: Any) -> None:
    w, sent = wide
    version = w._overview["version"]
    w.selected = [0, 5, 17]
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0], [1, 0, 1]]})
    reply, buffers = sent[-1]
    assert reply["type"] == "tiles" and reply["version"] == version
    assert len(buffers) == 8
    first = reply["tiles"][0]
    assert (first["z"], first["x"], first["y"]) == (0, 0, 0)
    assert first["count"] == first["total"] == 4000
    rows = np.frombuffer(buffers[0], "<u4")
    xy = np.frombuffer(buffers[1], "<f4").reshape(-1, 2)
    codes = np.frombuffer(buffers[2], np.uint8)
    flags = np.frombuffer(buffers[3], np.uint8)
    np.testing.assert_array_equal(xy, w.coordinates[rows, :2])
    np.testing.assert_array_equal(codes, w._parts.metadata.columns[0].codes[rows])
    assert sorted(rows[flags == 1].tolist()) == [0, 5, 17]
    selection = reply["selection"]
    w.selected = [1]
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0]]})
    assert sent[-1][0]["selection"] > selection


def test_flags_of_a_large_selection_come_from_its_bits(
    wide: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, sent = wide
    monkeypatch.setattr(overview, "TILE_BUDGET", 100)  # 2,000 selected rows: past it
    w.selected = np.arange(0, 4000, 2)
    version = w._overview["version"]
    for _ in range(2):  # the second request reuses the bits
        send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0]]})
        reply, buffers = sent[-1]
        assert reply["tiles"][0]["count"] == 100
        rows = np.frombuffer(buffers[0], "<u4")
        flags = np.frombuffer(buffers[3], np.uint8)
        np.testing.assert_array_equal(flags, (rows % 2 == 0).astype(np.uint8))
    assert (
        w._parts.overview._selected_bits is not None
        and w._parts.overview._selected_bits[0] is w.selected
    )
    w.selected = np.arange(1, 4000, 2)
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0]]})
    rows = np.frombuffer(sent[-1][1][0], "<u4")
    np.testing.assert_array_equal(np.frombuffer(sent[-1][1][3], np.uint8), rows % 2)


def test_a_zoomed_grid_and_a_lasso_through_messages(wide: Any) -> None:
    w, sent = wide
    version = w._overview["version"]
    x0, y0, s = w._overview["domain"]
    bounds = [x0, y0, x0 + s / 2, y0 + s / 2]
    send_from_browser(w, {"type": "grid", "version": version, "bounds": bounds})
    reply, (counts, top) = sent[-1]
    assert reply == {
        "type": "grid",
        "version": version,
        "bounds": bounds,
        "size": [512, 512],
        "max": reply["max"],
    }
    xy = w.coordinates
    inside = (xy[:, 0] <= bounds[2]) & (xy[:, 1] <= bounds[3])
    assert int(np.frombuffer(counts, "<u4").sum()) == int(inside.sum())
    assert len(bytes(top)) == 512 * 512
    polygon = [[x0, y0], [x0 + s, y0], [x0 + s, y0 + s / 2]]
    send_from_browser(
        w, {"type": "lasso", "version": version, "polygon": polygon, "mode": "replace"}
    )
    expect = [i for i, (x, y) in enumerate(xy.astype(float)) if crossings_inside(x, y, polygon)]
    assert sent[-1][0] == {"type": "lasso", "version": version, "count": len(expect)}
    assert w.selected.tolist() == expect
    other = [[x0, y0 + s], [x0, y0], [x0 + s / 3, y0 + s]]
    send_from_browser(w, {"type": "lasso", "version": version, "polygon": other, "mode": "add"})
    more = {i for i, (x, y) in enumerate(xy.astype(float)) if crossings_inside(x, y, other)}
    assert w.selected.tolist() == sorted(set(expect) | more)


def test_a_lasso_above_the_limit_selects_lazily(wide: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    w, sent = wide
    monkeypatch.setattr(overview, "SELECTED_MAX", 100)
    x0, y0, s = w._overview["domain"]
    a, b = x0 - 1, x0 + s + 1  # around every point (the top edge itself is outside)
    square = [[a, y0 - 1], [b, y0 - 1], [b, y0 + s + 1], [a, y0 + s + 1]]
    seen = []
    w.observe(lambda change: seen.append(change["new"]), "selected")
    version = w._overview["version"]
    send_from_browser(
        w, {"type": "lasso", "version": version, "polygon": square, "mode": "replace"}
    )
    assert sent[-1][0]["count"] == 4000
    assert isinstance(w.selected, LazySelection) and len(w.selected) == 4000
    assert seen and seen[-1] is w.selected
    value = encoding.encode_selection(w.selected)
    assert value["count"] == 4000 and value["lazy"] is True and "indices" not in value
    state = w.get_state()["selected"]
    assert state["count"] == 4000 and state["lazy"] is True
    assert state["serial"] != value["serial"]  # each value differs: the browser sees a change
    np.testing.assert_array_equal(w.selected.compute(), np.arange(4000))
    assert "4,000 selected" in repr(w)
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0]]})
    assert (np.frombuffer(sent[-1][1][3], np.uint8) == 1).all()
    # Half the rows, then a new layout: the tiles still flag those rows, wherever they are now.
    half = [[a, y0 - 1], [b, y0 - 1], [b, y0 + s / 2], [a, y0 + s / 2]]
    send_from_browser(w, {"type": "lasso", "version": version, "polygon": half, "mode": "replace"})
    chosen = w.selected
    assert isinstance(chosen, LazySelection) and 100 < len(chosen) < 4000
    w.pca([2, 1, 0])
    assert w.selected is chosen
    send_from_browser(w, {"type": "tiles", "version": version + 1, "tiles": [[0, 0, 0]]})
    tile_rows = np.frombuffer(sent[-1][1][0], "<u4")
    flags = np.frombuffer(sent[-1][1][3], np.uint8)
    np.testing.assert_array_equal(np.sort(tile_rows[flags == 1]), chosen.compute())
    lazy = w.selected
    w.set_state({"selected": {"count": 4000, "lazy": True}})  # its own value sent back
    assert w.selected is lazy
    w.selected = [3]  # an array again
    assert w.selected.tolist() == [3]


def test_stale_requests_are_dropped_and_bad_ones_answered(wide: Any) -> None:
    w, sent = wide
    version = w._overview["version"]
    good = {"type": "tiles", "version": version - 1, "tiles": [[0, 0, 0]]}
    send_from_browser(w, good)
    send_from_browser(w, {"type": "grid", "version": version + 1, "bounds": [0, 0, 1, 1]})
    send_from_browser(
        w, {"type": "lasso", "version": 99, "polygon": [[0, 0], [1, 0], [0, 1]], "mode": "add"}
    )
    assert sent == []
    bad = [
        ({"type": "tiles", "version": version, "tiles": [[17, 0, 0]]}, "outside the quadtree"),
        ({"type": "tiles", "version": version, "tiles": [[2, 4, 0]]}, "outside the quadtree"),
        ({"type": "tiles", "version": version, "tiles": [[2, -1, 0]]}, "outside the quadtree"),
        ({"type": "tiles", "version": version, "tiles": [[1, 0, True]]}, "integers"),
        ({"type": "tiles", "version": version, "tiles": [[0, 0, 0]] * 65}, "1 to 64"),
        ({"type": "tiles", "version": version, "tiles": []}, "1 to 64"),
        ({"type": "tiles", "version": "1", "tiles": [[0, 0, 0]]}, "'version' must be an integer"),
        ({"type": "grid", "version": version, "bounds": [0, 0, 1]}, "4 finite numbers"),
        ({"type": "grid", "version": version, "bounds": [0, 0, float("nan"), 1]}, "finite"),
        ({"type": "grid", "version": version, "bounds": [0, 0, 0, 1]}, "empty"),
        ({"type": "grid", "version": version, "bounds": [0, 0, 10**400, 1]}, "finite"),
        ({"type": "tiles", "version": version, "tiles": [[0, 0, [0] * 10_000]]}, "..."),
        (
            {"type": "lasso", "version": version, "polygon": [[0, 0], [1, 1]], "mode": "add"},
            "3 to 2000",
        ),
        (
            {"type": "lasso", "version": version, "polygon": [[0, 0]] * 2001, "mode": "add"},
            "3 to 2000",
        ),
        (
            {
                "type": "lasso",
                "version": version,
                "polygon": [[0, 0], [1, "1"], [0, 1]],
                "mode": "add",
            },
            "finite numbers",
        ),
        (
            {
                "type": "lasso",
                "version": version,
                "polygon": [[0, 0], [1, float("inf")], [0, 1]],
                "mode": "add",
            },
            "finite numbers",
        ),
        (
            {
                "type": "lasso",
                "version": version,
                "polygon": [[0, 0], [1, 0], [0, 1]],
                "mode": "xor",
            },
            "'mode' must be one of",
        ),
    ]
    for content, pattern in bad:
        send_from_browser(w, content)
        reply, _ = sent.pop()
        assert reply["type"] == "error", content
        assert pattern in reply["message"], (pattern, reply["message"])
    assert sent == []


def test_extreme_but_finite_numbers_are_answered(wide: Any) -> None:
    w, sent = wide
    version = w._overview["version"]
    huge, tiny = 1e308, 1e-300
    send_from_browser(w, {"type": "grid", "version": version, "bounds": [-huge, -huge, huge, huge]})
    assert sent[-1][0]["type"] == "grid"
    assert int(np.frombuffer(sent[-1][1][0], "<u4").sum()) == 4000
    send_from_browser(w, {"type": "grid", "version": version, "bounds": [0, 0, tiny, tiny]})
    assert sent[-1][0]["type"] == "grid"
    polygon = [[-huge, -huge], [huge, -huge], [0, huge]]
    send_from_browser(w, {"type": "lasso", "version": version, "polygon": polygon, "mode": "add"})
    assert sent[-1][0]["type"] == "lasso"
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[16, 65535, 65535]]})
    assert sent[-1][0]["type"] == "tiles"


def test_isolating_rows_in_overview_mode_indexes_only_them(wide: Any) -> None:
    w, _sent = wide
    rows = np.arange(0, 4000, 3)
    w.isolate(rows)
    assert w._overview["n"] == rows.size and w._points["n"] == 0
    assert int(np.frombuffer(w._overview["counts"], "<u4").sum()) == rows.size
    (tile,) = w._parts.overview.index.tiles([(0, 0, 0)], budget=4000)
    assert sorted(tile.rows.tolist()) == rows.tolist()
    w.color_by = "score"
    w.color_by = "group"
    (tile,) = w._parts.overview.index.tiles([(0, 0, 0)], budget=4000)
    np.testing.assert_array_equal(tile.codes, w._parts.metadata.columns[0].codes[tile.rows])
    w.show_all()
    assert w._overview["n"] == 4000


def test_requests_to_a_widget_without_overview_get_an_error() -> None:
    x, _groups = blobs(200)
    w = Projector(x)
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    send_from_browser(w, {"type": "tiles", "version": 0, "tiles": [[0, 0, 0]]})
    assert sent[-1]["type"] == "error" and "directly" in sent[-1]["message"]


def test_a_new_layout_or_colour_column_rebuilds_the_overview(wide: Any) -> None:
    w, sent = wide
    first = w._overview["version"]
    w.color_by = "score"  # numeric: no categories
    assert w._overview["version"] == first + 1
    assert w._overview["column"] == "" and w._overview["categories"] == []
    assert (np.frombuffer(w._overview["top"], np.uint8) == 255).all()
    send_from_browser(w, {"type": "tiles", "version": first, "tiles": [[0, 0, 0]]})
    assert sent == []  # the old version is stale now
    send_from_browser(w, {"type": "tiles", "version": first + 1, "tiles": [[0, 0, 0]]})
    assert (np.frombuffer(sent[-1][1][2], np.uint8) == 255).all()
    w.color_by = "group"
    assert w._overview["version"] == first + 2 and w._overview["column"] == "group"
    w.label_selection("group", "new", rows=[0, 1, 2])  # a category more: codes change
    assert w._overview["version"] == first + 3
    assert w._overview["categories"] == w._parts.metadata.columns[0].categories
    assert "new" in w._overview["categories"]
    (tile,) = w._parts.overview.index.tiles([(0, 0, 0)], budget=4000)
    np.testing.assert_array_equal(tile.codes, w._parts.metadata.columns[0].codes[tile.rows])
    first += 1
    domain = w._overview["domain"]
    w.pca([2, 3, 0])
    assert w._overview["version"] == first + 3 and w._overview["domain"] != domain
    assert w._points["n"] == 0
    xy = w.coordinates
    counts = np.frombuffer(w._overview["counts"], "<u4")
    assert int(counts.sum()) == 4000
    ref = OverviewIndex.build(xy).grid()
    np.testing.assert_array_equal(counts, ref.counts)


# ----------------------------------------------------------------------------- any message
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["tiles", "grid", "lasso"]),
    version=JSON,
    field=JSON,
    mode=st.sampled_from(["replace", "add", "other", None]),
)
def test_any_overview_message_parses_to_valid_fields_or_a_protocol_error(
    kind: str, version: Any, field: Any, mode: Any
) -> None:
    name = {"tiles": "tiles", "grid": "bounds", "lasso": "polygon"}[kind]
    content = {"type": kind, "version": version, name: field, "mode": mode}
    try:
        request = protocol.parse_request(content)
    except protocol.ProtocolError:
        return
    assert isinstance(request.version, int) and not isinstance(request.version, bool)
    if isinstance(request, protocol.Tiles):
        assert 1 <= len(request.tiles) <= overview.MAX_TILES
        assert all(0 <= z <= 16 and 0 <= x < 2**z and 0 <= y < 2**z for z, x, y in request.tiles)
    elif isinstance(request, protocol.GridRequest):
        x0, y0, x1, y1 = request.bounds
        assert np.isfinite(request.bounds).all() and x1 > x0 and y1 > y0
    else:
        assert isinstance(request, protocol.Lasso) and request.mode in ("replace", "add")
        assert 3 <= len(request.polygon) <= overview.POLYGON_MAX
        assert np.isfinite(np.array(request.polygon)).all()


@settings(max_examples=40, deadline=None)
@given(
    tiles=st.lists(
        st.integers(0, 16).flatmap(
            lambda z: st.tuples(st.just(z), st.integers(0, 2**z - 1), st.integers(0, 2**z - 1))
        ),
        min_size=1,
        max_size=4,
    ),
    budget=st.integers(1, 300),
)
def test_any_tiles_are_answered_within_budget_and_inside(tiles: list, budget: int) -> None:
    xy = points(1000, seed=8)
    index = OverviewIndex.build(xy, starts=[0, 400])
    for (z, tx, ty), sample in zip(tiles, index.tiles(tiles, budget), strict=True):
        assert sample.rows.size == min(budget, sample.total)
        assert all(in_tile(*map(float, xy[r]), index.domain, (z, tx, ty)) for r in sample.rows)


def test_a_tiles_request_asks_each_tile_once_and_shares_one_budget(wide: Any) -> None:
    """Many large tiles in one request cannot gather every row: their budget is shared."""
    w, sent = wide
    version = w._overview["version"]
    send_from_browser(w, {"type": "tiles", "version": version, "tiles": [[0, 0, 0]] * 2})
    assert sent[-1][0]["type"] == "error" and "twice" in sent[-1][0]["message"]
    index = w._parts.overview.index
    tiles = [(1, x, y) for x in range(2) for y in range(2)]
    full = index.tiles(tiles, budget=4000)
    assert sum(t.rows.size for t in full) == 4000
    budget_before = overview.BROWSER_BUDGET
    try:
        overview.BROWSER_BUDGET = 400
        shared = index.tiles(tiles, budget=4000)
    finally:
        overview.BROWSER_BUDGET = budget_before
    for small, whole in zip(shared, full, strict=True):
        assert small.rows.size == min(100, whole.total)
        # a smaller budget is a prefix of the same priority order
        assert set(small.rows.tolist()) <= set(whole.rows.tolist())


def test_adding_to_a_lazy_selection_after_a_new_layout_adds_to_its_rows(
    wide: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lazy selection's polygons were drawn on the old layout: "add" keeps its rows."""
    w, _sent = wide
    monkeypatch.setattr(overview, "SELECTED_MAX", 100)
    x0, y0, s = w._overview["domain"]
    half = [[x0 - 1, y0 - 1], [x0 + s + 1, y0 - 1], [x0 + s + 1, y0 + s / 2], [x0 - 1, y0 + s / 2]]
    version = w._overview["version"]
    send_from_browser(w, {"type": "lasso", "version": version, "polygon": half, "mode": "replace"})
    chosen = w.selected.compute()
    w.pca([2, 1, 0])
    x0, y0, s = w._overview["domain"]
    tiny = [[x0, y0], [x0 + s / 50, y0], [x0 + s / 50, y0 + s / 50], [x0, y0 + s / 50]]
    send_from_browser(w, {"type": "lasso", "version": version + 1, "polygon": tiny, "mode": "add"})
    xy = w.coordinates[:, :2].astype(float)
    inside = {i for i, (x, y) in enumerate(xy) if crossings_inside(x, y, tiny)}
    got = w.selected.compute() if isinstance(w.selected, LazySelection) else w.selected
    assert got.tolist() == sorted(set(chosen.tolist()) | inside)


def test_a_large_array_selection_in_overview_mode_travels_as_its_count(
    wide: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, _sent = wide
    monkeypatch.setattr(overview, "SELECTED_MAX", 100)
    w.selected = np.arange(500)
    state = w.get_state()["selected"]
    assert state["count"] == 500 and state["lazy"] is True and "indices" not in state
    w.selected = np.arange(50)
    assert "indices" in w.get_state()["selected"]


def test_a_colour_change_and_a_new_layout_do_not_publish_each_others_stale_index(
    wide: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recolour in progress and a layout arriving from the background take turns: the last
    index is the new layout's, coloured by the new column (not the old layout recoloured)."""
    import threading

    w, _sent = wide
    entered, release = threading.Event(), threading.Event()
    recolor = overview_index.OverviewIndex.recolor

    def held(self: OverviewIndex, codes: Any) -> OverviewIndex:
        entered.set()
        release.wait(30)
        return recolor(self, codes)

    monkeypatch.setattr(overview_index.OverviewIndex, "recolor", held)
    moved = (w.coordinates * 2 + 50).astype(np.float32)
    colour = threading.Thread(target=lambda: setattr(w, "color_by", "score"))
    colour.start()
    assert entered.wait(30)
    layout = threading.Thread(target=lambda: w._parts.points.show(moved, 0))
    layout.start()
    layout.join(0.5)  # with the lock it waits for the recolour; without, it would finish here
    release.set()
    colour.join(30)
    layout.join(30)
    xy = moved[:, :2]
    expect = overview_keys.square_domain(xy.min(axis=0), xy.max(axis=0))
    assert w._overview["column"] == ""  # "score" is numeric: no categories
    np.testing.assert_allclose(w._parts.overview.index.domain, expect, rtol=1e-6)
    np.testing.assert_allclose(w._overview["domain"], expect, rtol=1e-6)


def test_adding_a_lasso_in_an_isolated_overview_keeps_rows_outside_it() -> None:
    """Rows selected outside the isolated rows are kept by an "add" lasso (no chunk holds them)."""
    xy = points(3000, seed=9)
    rows = np.arange(1, 3000, 3)
    index = OverviewIndex.build(xy[rows], rows=rows, starts=[0, 500], n_points=3000)
    square = np.array([(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 3.0)])
    current = np.array([0, 2, 1500, 2999], np.int64)  # none of them isolated
    got = index.lasso(square, current)
    inside = {
        int(r) for r in rows if crossings_inside(float(xy[r, 0]), float(xy[r, 1]), square.tolist())
    }
    assert isinstance(got, np.ndarray)
    assert got.tolist() == sorted(inside | set(current.tolist()))
