"""Embeddings larger than memory (projector_widget.dask): a Zarr store on a LocalCluster.

The cluster is started and stopped by this module (two in-process workers: processes=False,
since worker processes take seconds each to start on a loaded two-core machine; the widget's
own cluster uses processes). Every result the kernel gathers from it is recorded, so a test
fails if the kernel ever pulled the whole matrix instead of chunks' statistics and coordinates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

from dask.sizeof import sizeof  # noqa: E402

from projector_widget import Projector  # noqa: E402
from projector_widget.compute.neighbours import nearest  # noqa: E402
from projector_widget.dask import cluster as dask_cluster  # noqa: E402
from projector_widget.dask import layout as dask_layout  # noqa: E402
from projector_widget.data.embeddings import NeedsMemoryError  # noqa: E402

N, D, CHUNK, GROUPS = 12_000, 16, 2048, 4
#: Rows t-SNE/UMAP are fitted on: its gathered values (SAMPLE x D floats) stay under N x 3.
SAMPLE = 1500


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """(N, D) float32 rows in GROUPS well separated clusters, and each row's group."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(GROUPS, D)) * 8
    groups = rng.integers(0, GROUPS, N)
    x = (centres[groups] + rng.normal(size=(N, D)) + 3.0).astype(np.float32)
    return x, groups


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, data: Any) -> Any:
    """The rows written to a Zarr store in CHUNK-row chunks, opened read-only."""
    path = tmp_path_factory.mktemp("zarr") / "emb.zarr"
    z = zarr.open_array(str(path), mode="w", shape=(N, D), chunks=(CHUNK, D), dtype="f4")
    z[:] = data[0]
    return zarr.open_array(str(path), mode="r")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """A LocalCluster of two workers and the user's client on it (the default scheduler)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


@pytest.fixture
def gathered(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes in bytes of every result the kernel gathers from the cluster (``.compute()``,
    ``future.result()`` and ``client.gather`` all end in ``Client._gather``)."""
    sizes: list[int] = []
    original = distributed.Client._gather

    async def recording(self: Any, futures: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, futures, *args, **kwargs)
        sizes.append(int(sizeof(result)))
        return result

    monkeypatch.setattr(distributed.Client, "_gather", recording)
    return sizes


@pytest.fixture(scope="module")
def widget(cluster: Any, store: Any, data: Any) -> Projector:
    """A projector of the Zarr store, with its groups as metadata."""
    w = Projector(store, {"group": [f"g{g}" for g in data[1]]}, layout_sample=SAMPLE)
    return w


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, tol: float) -> None:
    for j in range(a.shape[1]):
        sign = 1.0 if float(a[:, j] @ b[:, j]) >= 0 else -1.0
        np.testing.assert_allclose(a[:, j], sign * b[:, j], atol=tol * float(np.ptp(b[:, j])))


def _separated(coords: np.ndarray, groups: np.ndarray) -> float:
    """Accuracy of a 5-NN classifier trained on half the layout, on the other half."""
    from sklearn.neighbors import KNeighborsClassifier

    half = coords.shape[0] // 2
    knn = KNeighborsClassifier(5).fit(coords[:half], groups[:half])
    return float(knn.score(coords[half:], groups[half:]))


def test_pca_equals_the_in_memory_pca(widget: Projector, data: Any) -> None:
    x, _groups = data
    ref = Projector(x.copy())
    assert widget.embeddings.shape == (N, D) and type(widget.embeddings).__module__.startswith(
        "dask"
    )
    _same_up_to_sign(widget.coordinates, ref.coordinates, 1e-4)
    np.testing.assert_allclose(
        widget.explained_variance_ratio, ref.explained_variance_ratio, rtol=1e-4
    )
    widget.pca([3, 4, 5])  # other components: one more pass on the cluster
    ref.pca([3, 4, 5])
    _same_up_to_sign(widget.coordinates, ref.coordinates, 1e-3)
    widget.pca([0, 1, 2])


def test_the_kernel_gathers_chunks_results_never_the_matrix(
    widget: Projector, store: Any, data: Any, gathered: list[int]
) -> None:
    w = Projector(store, layout_sample=SAMPLE)
    w.pca([1, 2, 0])
    w.nearest(10, 5)
    assert gathered, "nothing was computed on the cluster"
    assert max(gathered) <= N * 3 * 4 + 4096, sorted(gathered)[-3:]
    # The check can fail: a copy of the array in the kernel is caught.
    w.embeddings.compute()
    assert max(gathered) >= N * D * 4


def test_non_finite_rows_are_counted_and_the_first_named(cluster: Any, data: Any) -> None:
    x = data[0].copy()
    x[9000, 5] = np.inf
    x[4100, 3] = np.nan
    x[4101, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN at row 4100, column 3; 3 row\(s\) in all"):
        Projector(da.from_array(x, chunks=(CHUNK, D)))


def test_arrays_that_cannot_be_embeddings_fail_before_any_work(cluster: Any) -> None:
    with pytest.raises(ValueError, match="2-D"):
        Projector(da.zeros(100, chunks=10))
    with pytest.raises(TypeError, match="real numbers"):
        Projector(da.from_array(np.array([["a", "b"], ["c", "d"]]), chunks=1))
    with pytest.raises(ValueError, match="at least 2 rows"):
        Projector(da.zeros((1, 4), chunks=1))
    unknown = da.zeros((100, 4), chunks=10)
    unknown = unknown[unknown[:, 0] == 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        Projector(unknown)


def test_tsne_fits_a_sample_and_places_every_row(
    widget: Projector, data: Any, gathered: list[int]
) -> None:
    job = widget.project("tsne", wait=True, n_iter=100)
    assert job is not None and job.error is None
    coords = widget.coordinates
    assert coords.shape == (N, 2) and np.isfinite(coords).all()
    assert _separated(coords, data[1]) > 0.95
    assert max(gathered) <= N * 3 * 4 + 4096
    widget.pca()


def test_umap_fits_a_sample_and_places_every_row(
    cluster: Any, data: Any, gathered: list[int]
) -> None:
    # Fewer rows than the other tests: umap-learn's transform is slow to compile and to run.
    rows, sample = 4000, 600
    w = Projector(da.from_array(data[0][:rows], chunks=rows // 2), layout_sample=sample)
    job = w.project("umap", wait=True, n_neighbors=10)
    assert job is not None and job.error is None
    coords = w.coordinates
    assert coords.shape == (rows, 2) and np.isfinite(coords).all()
    assert _separated(coords, data[1][:rows]) > 0.95
    assert max(gathered) <= rows * 3 * 4 + 4096


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_neighbours_equal_brute_force(widget: Projector, data: Any, metric: str) -> None:
    x = data[0]
    sq = np.einsum("ij,ij->i", x, x)
    for row in (0, CHUNK - 1, CHUNK, N - 1):
        idx, dist = widget.nearest(row, 12, metric)
        want_idx, want_dist = nearest(x, sq, row, 12, metric)
        np.testing.assert_array_equal(idx, want_idx)
        np.testing.assert_allclose(dist, want_dist, rtol=1e-5, atol=1e-6)
    query = x[3] + 0.5
    idx, dist = widget._parts.neighbours.searcher.query(query, 7, metric)
    want_idx, want_dist = nearest(x, sq, query, 7, metric)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, rtol=1e-5, atol=1e-6)


def test_metadata_from_pandas_dask_and_arrow(cluster: Any, store: Any, data: Any) -> None:
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow as pa

    groups = data[1]
    frame = pd.DataFrame(
        {"group": [f"g{g}" for g in groups], "score": np.linspace(0, 1, N), "id": np.arange(N)}
    )
    want = Projector(np.zeros((N, 2), np.float32) + np.arange(N)[:, None], frame)
    for meta in (frame, dd.from_pandas(frame, npartitions=3), pa.Table.from_pandas(frame)):
        w = Projector(store, meta)
        assert w.columns == {"group": "category", "score": "number", "id": "number"}
        assert w._columns == want._columns
    with pytest.raises(ValueError, match=f"metadata has {N - 1} rows but embeddings have {N}"):
        Projector(store, dd.from_pandas(frame.iloc[1:], npartitions=2))
    with pytest.raises(ValueError, match=f"metadata has {N - 1} rows"):
        Projector(store, pa.Table.from_pandas(frame.iloc[1:]))


def test_the_users_client_computes(widget: Projector, cluster: Any) -> None:
    assert dask_cluster.client() is cluster
    assert "client" not in dask_cluster._own
    widget.nearest(1, 3)
    prefixes = cluster.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert "chunk_nearest" in prefixes  # the neighbour scan ran on the user's scheduler


def test_without_a_client_a_local_cluster_starts_once(
    monkeypatch: pytest.MonkeyPatch, data: Any
) -> None:
    started: list[dict[str, Any]] = []
    real = distributed.LocalCluster

    def local(**options: Any) -> Any:
        started.append(options)
        return real(**{**options, "processes": False, "dashboard_address": ":0"})

    import weakref

    # No client is active (the module's cluster fixture made its client the default one).
    monkeypatch.setattr(distributed.client, "_global_clients", weakref.WeakValueDictionary())
    current = distributed.client._current_client.set(None)  # `with Client()` sets it too
    with pytest.raises(ValueError):
        distributed.get_client()
    monkeypatch.setattr(distributed, "LocalCluster", local)
    monkeypatch.setattr(dask_cluster, "_own", {})
    try:
        first = dask_cluster.client()
        assert dask_cluster.client() is first
        assert len(started) == 1 and started[0]["processes"] is True
        w = Projector(da.from_array(data[0][:3000], chunks=1000))
        assert w.coordinates.shape == (3000, 2)
        assert first.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.task_prefixes))
    finally:
        distributed.client._current_client.reset(current)
        own = dask_cluster._own.get("client")
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()


def test_features_that_need_every_row_say_so(widget: Projector, data: Any, tmp_path: Any) -> None:
    hint = r"needs the embeddings in the kernel's memory.*Projector\(x.compute\(\)\)"
    with pytest.raises(NeedsMemoryError, match="layout_quality" + ".*" + hint):
        widget.layout_quality()
    with pytest.raises(NeedsMemoryError, match="spherize"):
        widget.spherize = True
    assert widget.spherize is False
    with pytest.raises(NeedsMemoryError, match="isolating a selection"):
        widget.isolate([1, 2, 3])
    with pytest.raises(NeedsMemoryError, match="custom projection"):
        widget.project("custom", x=("a", "b"))
    with pytest.raises(NeedsMemoryError, match="to_tsv"):
        widget.to_tsv(tmp_path)
    with pytest.raises(NeedsMemoryError, match=hint):
        Projector.sequence([widget.embeddings, widget.embeddings])
    assert widget.projection == "pca" and widget.isolated is None


def test_clusters_are_named_where_the_rows_stay_on_the_cluster(
    cluster: Any, store: Any, data: Any, gathered: list[int]
) -> None:
    # Names weigh their terms' centrality in the layout (the embeddings stay on the cluster).
    texts = [f"g{g} row{i}" for i, g in enumerate(data[1])]
    w = Projector(store, {"text": texts}, layout_sample=SAMPLE, dimensions=2)
    table = w.cluster(column="text", min_size=500)
    assert max(gathered, default=0) < N * 3 * 4  # coordinates and statistics, never the rows
    majority = {
        c: np.bincount(data[1][np.asarray(w.metadata["cluster"] == c)], minlength=GROUPS).argmax()
        for c in table["cluster"]
    }
    assert [row["terms"][0] for _, row in table.iterrows()] == [
        f"g{majority[c]}" for c in table["cluster"]
    ]
    w.close()


def test_npy_shards_are_read_where_their_chunks_are_computed(
    cluster: Any, data: Any, tmp_path: Any
) -> None:
    # da.from_array(np.load(p, mmap_mode="r")) puts every row into the task graph ("Sending
    # large graph of size 14.65 MiB"); from_npy's graph holds paths and row ranges.
    import pickle

    from projector_widget.dask import from_npy

    x = data[0]
    paths = []
    for i, part in enumerate(np.array_split(x, 3)):
        paths.append(tmp_path / f"shard{i}.npy")
        np.save(paths[-1], part)
    arr = from_npy(paths, chunk_rows=1500)
    assert arr.shape == x.shape and arr.dtype == np.float32
    assert arr.chunks[0] == (1500, 1500, 1000) * 3
    graph = pickle.dumps(dict(arr.__dask_graph__()))
    assert len(graph) < x.nbytes // 50, len(graph)
    np.testing.assert_array_equal(arr.compute(), x)
    w = Projector(arr)
    assert w.coordinates.shape == (N, 2) and np.isfinite(w.coordinates).all()
    np.save(tmp_path / "wide.npy", np.zeros((10, D + 1), np.float32))
    with pytest.raises(ValueError, match="wide.npy has 17 columns of float32, but .*shard0.npy"):
        from_npy([paths[0], tmp_path / "wide.npy"])


def test_the_fitted_tsne_survives_the_trip_to_a_worker_process(data: Any) -> None:
    # In-process workers share objects; worker processes get a pickle. An openTSNE embedding
    # pickles as a bare array (its affinities dropped), so the model travels as its parts.
    import pickle

    from projector_widget.compute.projections.tsne import check_params
    from projector_widget.util.progress import Reporter

    x, groups = data[0][:600], data[1][:600]
    reduction = dask_layout.Reduction.fit(x[:400], centre=True, dims=dask_layout.LAYOUT_INPUT_DIMS)
    model, place = dask_layout._fit_tsne(
        reduction(x[:400]), check_params({"n_iter": 50}), Reporter()
    )
    travelled = pickle.loads(pickle.dumps(model))
    placed = place(reduction(x[400:]), travelled)
    assert placed.shape == (200, 2) and np.isfinite(placed).all()
    layout = np.vstack([travelled.layout, placed])
    assert _separated(layout, groups) > 0.9


def test_dask_is_imported_only_when_needed_and_missing_it_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess
    import sys

    code = "import projector_widget, sys; print(sorted({'dask', 'distributed', 'zarr'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r'pip install "projector-widget\[dask\]"'):
        dask_cluster.client()


#: A script on the widget's own LocalCluster whose worker processes take 5 s to shut down (as
#: once umap-learn, numba or faiss are loaded there: an interpreter's shutdown takes seconds).
SLOW_EXIT_CHILD = """
import numpy as np
import dask.array as da
from projector_widget import Projector
from projector_widget.dask import cluster as dask_cluster

def slow_exit():
    import atexit, time
    atexit.register(time.sleep, 5)

if __name__ == "__main__":
    x = np.random.default_rng(0).standard_normal((400, 4)).astype(np.float32)
    w = Projector(da.from_array(x, chunks=200))
    dask_cluster.client().run(slow_exit)
    print("built", w.coordinates.shape, flush=True)
"""


def test_the_widgets_own_cluster_lets_its_workers_end_at_exit() -> None:
    # distributed gives a closing worker 4 s, then kills it and logs "Worker process still
    # alive after 4.0 seconds, killing": every script that ran UMAP on the cluster ended so.
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", SLOW_EXIT_CHILD],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0 and "built (400, 2)" in proc.stdout, proc.stderr[-3000:]
    assert "still alive" not in proc.stderr and "killing" not in proc.stderr, proc.stderr[-3000:]


#: Runs in a child (a crash in native code there fails the test instead of killing pytest): for
#: each case, a Dask array on a threaded LocalCluster goes through the widget, PCA then t-SNE;
#: one JSON line a case says what the user got.
UNSAFE_CHILD = """
import json, sys, warnings
import numpy as np
import dask.array as da
import distributed
warnings.simplefilter("ignore")
from projector_widget import Projector

rng = np.random.default_rng(0)
base = rng.normal(size=(3000, 8)).astype(np.float32)
# A row outside the t-SNE sample (the sample is drawn with seed 0) that only the scale of the
# sampled rows makes overflow: 1e10 is fine in float32, 1e10 / 1e-30 is not.
rows = np.sort(np.random.default_rng(0).choice(3000, size=500, replace=False))
outlier = int(np.setdiff1d(np.arange(3000), rows)[0])
tiny = base * np.float32(1e-30)
tiny[outlier] = 1e10


def cell(value):
    x = base.copy()
    x[1234, 5] = value
    return x


cases = {
    "cell 1e20": cell(1e20),
    "cell 1e30": cell(1e30),
    "cell 3e38": cell(3e38),
    "every value x 1e19": base * np.float32(1e19),
    "every value x 1e18": base * np.float32(1e18),
    "an outlier far beyond the sample": tiny,
}
with distributed.LocalCluster(
    n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
) as local, distributed.Client(local):
    for name, x in cases.items():
        try:
            m = Projector(x)
            memory = "accepted" if np.isfinite(m.explained_variance_ratio).all() else "NON-FINITE"
        except ValueError as exc:
            memory = "error: " + str(exc)
        tsne = "not run"
        try:
            w = Projector(da.from_array(x, chunks=1000), layout_sample=500)
            ratio = w.explained_variance_ratio
            pca = "accepted" if np.isfinite(ratio).all() else "NON-FINITE " + repr(ratio)
        except ValueError as exc:
            pca = "error: " + str(exc)
        except Exception as exc:  # anything else is a defect the test reports
            pca = f"RAW {type(exc).__name__}: {exc}"
        if pca == "accepted":
            if memory == "accepted":  # the same PCA as in memory
                np.testing.assert_allclose(ratio, m.explained_variance_ratio, rtol=1e-3, atol=1e-6)
            try:
                w.project("tsne", wait=True, n_iter=50)
                tsne = "finite" if np.isfinite(w.coordinates).all() else "NON-FINITE"
            except ValueError as exc:
                tsne = "error: " + str(exc)
        print(json.dumps([name, memory, pca, tsne]), flush=True)
print("SURVIVED", flush=True)
"""


def test_rows_refused_in_memory_are_refused_on_the_cluster_and_native_code_survives() -> None:
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", UNSAFE_CHILD],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    lines = proc.stdout.splitlines()
    results = {r[0]: r[1:] for r in (json.loads(s) for s in lines if s.startswith("["))}
    assert proc.returncode == 0 and lines and lines[-1] == "SURVIVED", (
        f"the child died (exit {proc.returncode}) after {list(results)}:\n{proc.stderr[-2000:]}"
    )
    for value in ("1e20", "1e30", "3e38"):
        memory, pca, _tsne = results[f"cell {value}"]
        assert memory.startswith("error: ") and "too large" in memory
        # The same refusal as in memory: the row and the column, and what to do.
        assert pca == memory, pca
        assert "row 1234" in pca and "column 5" in pca and "rescale" in pca.lower(), pca
    memory, pca, _tsne = results["every value x 1e19"]
    assert memory.startswith("error: ") and pca == memory and "row 0" in pca, pca
    # Squared norms that fit float32 but sums of squares that do not: computed, as in memory.
    assert results["every value x 1e18"] == ["accepted", "accepted", "finite"]
    memory, pca, tsne = results["an outlier far beyond the sample"]
    assert pca == "accepted" and (
        tsne == "finite" or (tsne.startswith("error: ") and "layout_sample" in tsne)
    ), (pca, tsne)
