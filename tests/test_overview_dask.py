"""The density overview on a Dask cluster: a Zarr store, a LocalCluster started and stopped
here, and every answer equal to the in-kernel index's on the same coordinates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

from projector_widget import LazySelection, Projector  # noqa: E402
from projector_widget.compute.overview import index as overview_index  # noqa: E402
from projector_widget.compute.overview.index import OverviewIndex  # noqa: E402
from projector_widget.dask.overview import DaskExecutor  # noqa: E402

N, D, CHUNK = 6000, 8, 1500


@pytest.fixture(scope="module")
def client() -> Any:
    """One in-process worker with one thread (fast to start), the default client meanwhile."""
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray]:
    """(N, D) float32 rows in four groups, and each row's group."""
    rng = np.random.default_rng(4)
    groups = rng.integers(0, 4, N)
    x = (rng.normal(size=(4, D))[groups] * 6 + rng.normal(size=(N, D))).astype(np.float32)
    return x, groups


@pytest.fixture
def store(tmp_path: Any, rows: Any) -> Any:
    """The rows in a Zarr store of CHUNK-row chunks, opened read-only."""
    path = tmp_path / "emb.zarr"
    z = zarr.open_array(str(path), mode="w", shape=(N, D), chunks=(CHUNK, D), dtype="f4")
    z[:] = rows[0]
    return zarr.open_array(str(path), mode="r")


def test_the_cluster_index_answers_as_the_kernel_index(client: Any) -> None:
    rng = np.random.default_rng(9)
    xy = rng.normal(size=(N, 2)).astype(np.float32)
    codes = rng.integers(0, 20, N).astype(np.uint8)
    starts = [0, 1500, 3000, 4500]
    here = OverviewIndex.build(xy, codes, starts=starts)
    there = OverviewIndex.build(xy, codes, starts=starts, executor=DaskExecutor(client))
    assert all(isinstance(c, distributed.Future) for c in there.chunks)  # kept on the workers
    assert there.domain == here.domain
    for bounds in (None, (-1.0, -1.0, 0.5, 2.0)):
        a, b = here.grid(bounds, (64, 32)), there.grid(bounds, (64, 32))
        np.testing.assert_array_equal(a.counts, b.counts)
        np.testing.assert_array_equal(a.top, b.top)
        assert a.max == b.max
    tiles = [(0, 0, 0), (2, 1, 2), (5, 14, 17)]
    for a_tile, b_tile in zip(here.tiles(tiles, 300), there.tiles(tiles, 300), strict=True):
        assert a_tile.total == b_tile.total
        np.testing.assert_array_equal(a_tile.rows, b_tile.rows)
        np.testing.assert_array_equal(a_tile.codes, b_tile.codes)
    polygon = np.array([(-2.0, -2.0), (2.0, -1.0), (0.0, 2.5)])
    np.testing.assert_array_equal(here.lasso(polygon), there.lasso(polygon))
    lazy = there.lasso(polygon, limit=10)
    assert isinstance(lazy, LazySelection) and lazy.count == here.lasso(polygon).size
    np.testing.assert_array_equal(lazy.compute(), here.lasso(polygon))
    np.testing.assert_array_equal(lazy.to_dask().compute(), here.lasso(polygon))
    recoloured = there.recolor(np.zeros(N, np.uint8))
    assert (recoloured.grid(None, (8, 8)).top[recoloured.grid(None, (8, 8)).counts > 0] == 0).all()
    there.release()
    recoloured.release()


def test_a_zarr_store_shows_as_an_overview_built_on_the_cluster(
    client: Any, store: Any, rows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, groups = rows
    w = Projector(store, {"group": [f"g{g}" for g in groups]}, overview_above=1000)
    assert w._points["n"] == 0 and w.dimensions == 2
    index = w._parts.overview.index
    assert index is not None and isinstance(index.executor, DaskExecutor)
    assert index.ranges == [(0, 1500), (1500, 3000), (3000, 4500), (4500, 6000)]
    value = w._overview
    column = w._parts.metadata.columns[0]
    ref = OverviewIndex.build(w.coordinates, overview_index.category_codes(column.codes, None))
    np.testing.assert_array_equal(np.frombuffer(value["counts"], "<u4"), ref.grid().counts)
    np.testing.assert_array_equal(np.frombuffer(value["top"], np.uint8), ref.grid().top)
    sent: list[tuple[dict, list]] = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append((content, buffers)))
    x0, y0, s = value["domain"]
    polygon = [[x0, y0], [x0 + s, y0], [x0 + s / 2, y0 + s]]
    from frontend import send_from_browser

    send_from_browser(
        w, {"type": "lasso", "version": value["version"], "polygon": polygon, "mode": "replace"}
    )
    np.testing.assert_array_equal(w.selected, ref.lasso(np.array(polygon)))
    assert sent[-1][0]["count"] == w.selected.size > 0
