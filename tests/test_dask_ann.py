"""The approximate neighbour index of a Dask array (projector_widget.dask.ann) on a cluster.

A LocalCluster of one in-process worker is started and closed by this module; the rows are a
Zarr store of 20,000 x 32 clustered rows in 8 chunks. Every result is checked against the exact
search of :func:`projector_widget.compute.neighbours.nearest` on the same rows in memory.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")
pytest.importorskip("faiss")

from projector_widget import Projector  # noqa: E402
from projector_widget.compute.ann import ApproximateIndex, default_nprobe  # noqa: E402
from projector_widget.compute.neighbours import distances_to, nearest  # noqa: E402
from projector_widget.dask import ann as chunked_ann  # noqa: E402
from projector_widget.dask import array as dask_array  # noqa: E402
from projector_widget.dask import neighbours as dask_neighbours  # noqa: E402
from projector_widget.dask.ann import ChunkedIndex, IndexLostError, Shard  # noqa: E402
from projector_widget.util.jobs import Stopped  # noqa: E402
from projector_widget.util.progress import Reporter, Update  # noqa: E402

N, D, CHUNK = 20_000, 32, 2_500
METRICS = ("cosine", "euclidean")
#: Row queries spread over every chunk.
QUERIES = np.random.default_rng(1).choice(N, 30, replace=False)


@pytest.fixture(scope="module")
def rows() -> tuple[np.ndarray, np.ndarray]:
    """(N, D) float32 rows in 30 overlapping clusters (a decaying spectrum, so the 8-bit codes
    and the probed lists do lose neighbours), and their squared norms."""
    rng = np.random.default_rng(0)
    scales = (1.0 / np.arange(1, D + 1) ** 0.5).astype(np.float32)
    centres = rng.standard_normal((30, D)).astype(np.float32) * scales * 3
    labels = rng.integers(0, 30, N)
    x = (rng.standard_normal((N, D), dtype=np.float32) * scales + centres[labels]).astype(
        np.float32
    )
    return x, np.einsum("ij,ij->i", x, x)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, rows: Any) -> Any:
    """The rows in a Zarr store of CHUNK-row chunks, opened read-only."""
    path = tmp_path_factory.mktemp("zarr") / "emb.zarr"
    z = zarr.open_array(str(path), mode="w", shape=(N, D), chunks=(CHUNK, D), dtype="f4")
    z[:] = rows[0]
    return zarr.open_array(str(path), mode="r")


@pytest.fixture(scope="module")
def cluster() -> Any:
    """One in-process worker with one thread, and the user's client on it."""
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def matrix(cluster: Any, store: Any) -> dask_array.ChunkedMatrix:
    """The store as the widget validates it."""
    return dask_array.as_chunked(store)


@pytest.fixture(scope="module")
def indexes(matrix: dask_array.ChunkedMatrix) -> dict[str, ChunkedIndex]:
    """One chunked index per metric (default options: one shard on this one-thread cluster)."""
    return {m: ChunkedIndex(matrix, m, progress=False) for m in METRICS}


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Fraction of the exact neighbours that were found."""
    return len(set(found.tolist()) & set(exact.tolist())) / len(exact)


def building(client: Any) -> set[str]:
    """The keys of index-building tasks (encoding chunks, joining shards) the scheduler holds."""

    def keys(dask_scheduler: Any) -> set[str]:
        return {
            str(key)
            for key in dask_scheduler.tasks
            if str(key).startswith(("_encode_chunk", "_join_shards"))
        }

    return set(client.run_on_scheduler(keys))


@pytest.mark.parametrize("metric", METRICS)
def test_recall_at_10_and_exact_distances(rows: Any, indexes: Any, metric: str) -> None:
    x, sq = rows
    index = indexes[metric]
    assert len(index.shards) == 1 and len(index) == N
    recalls = []
    for q in QUERIES:
        idx, dist = index.search(int(q), 10)
        want, _ = nearest(x, sq, int(q), 10, metric)
        recalls.append(recall(idx, want))
        assert idx.dtype == np.int64 and dist.dtype == np.float32 and len(idx) == 10
        assert int(q) not in idx.tolist()
        np.testing.assert_allclose(
            dist, distances_to(x, sq, x[q], metric)[idx], rtol=1e-5, atol=1e-6
        )
        assert np.all(np.lexsort((idx, dist)) == np.arange(10))  # by distance, then index
    assert np.mean(recalls) >= 0.9
    # Probing every list leaves only the 8-bit shortlist as a source of error.
    index.nprobe = index.nlist
    try:
        full = [
            recall(index.search(int(q), 10)[0], nearest(x, sq, int(q), 10, metric)[0])
            for q in QUERIES[:10]
        ]
    finally:
        index.nprobe = default_nprobe(index.nlist)
    assert np.mean(full) >= 0.99


@pytest.mark.parametrize("metric", METRICS)
def test_recall_matches_the_in_memory_index(rows: Any, indexes: Any, metric: str) -> None:
    # Same seed, same training sample, same quantisers: the same shortlists, so the chunked
    # index finds what the in-memory one finds.
    x, sq = rows
    memory = ApproximateIndex(x, sq, metric, seed=0)
    assert memory.nlist == indexes[metric].nlist and memory.nprobe == indexes[metric].nprobe
    ours, theirs, same = [], [], 0
    for q in QUERIES:
        want, _ = nearest(x, sq, int(q), 10, metric)
        got, _ = indexes[metric].search(int(q), 10)
        mem, _ = memory.search(int(q), 10)
        ours.append(recall(got, want))
        theirs.append(recall(mem, want))
        same += set(got.tolist()) == set(mem.tolist())
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02
    assert same >= 0.9 * len(QUERIES)


@pytest.mark.parametrize("metric", METRICS)
def test_a_query_vector(rows: Any, indexes: Any, metric: str) -> None:
    x, sq = rows
    rng = np.random.default_rng(5)
    recalls = []
    for q in QUERIES[:15]:
        vector = x[q] + rng.normal(scale=0.1, size=D).astype(np.float32)
        idx, dist = indexes[metric].search(vector, 12)
        want, _ = nearest(x, sq, vector, 12, metric)
        recalls.append(recall(idx, want))
        np.testing.assert_allclose(
            dist, distances_to(x, sq, vector, metric)[idx], rtol=1e-5, atol=1e-6
        )
    assert np.mean(recalls) >= 0.9


def test_one_shard_per_chunk_finds_the_same_rows(matrix: Any, indexes: Any) -> None:
    per_chunk = ChunkedIndex(matrix, "euclidean", shards=N // CHUNK, progress=False)
    try:
        assert len(per_chunk.shards) == 8
        assert per_chunk.code_bytes == N * (D + 8) + 8 * per_chunk.nlist * D * 4
        for q in QUERIES[:15]:
            a = indexes["euclidean"].search(int(q), 10)
            b = per_chunk.search(int(q), 10)
            np.testing.assert_array_equal(a[0], b[0])
            np.testing.assert_array_equal(a[1], b[1])
    finally:
        per_chunk.close()


def test_a_shard_survives_the_trip_to_another_worker_process(
    cluster: Any, rows: Any, indexes: Any
) -> None:
    # In-process workers share objects; worker processes (the widget's own cluster) and the
    # scheduler moving a shard get a pickle, which is faiss's serialised index.
    import pickle

    from projector_widget.dask.ann import _search_shard

    shard = cluster.gather(indexes["euclidean"].shards[0])
    travelled = pickle.loads(pickle.dumps(shard))
    assert isinstance(travelled, Shard) and len(travelled) == len(shard) == N
    assert sys.getsizeof(travelled) >= N * (D + 8)  # what Dask counts on the worker
    for q in QUERIES[:5]:
        a = _search_shard(shard, rows[0][q], 40, 9, False)
        b = _search_shard(travelled, rows[0][q], 40, 9, False)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_a_zero_cosine_query_falls_back_to_the_exact_scan(matrix: Any, indexes: Any) -> None:
    zero = np.zeros(D, np.float32)
    idx, dist = indexes["cosine"].search(zero, 5)
    np.testing.assert_array_equal(dist, np.ones(5, np.float32))  # every row is as far
    exact = dask_neighbours.ChunkedSearch(matrix).query(zero, 5, "cosine")
    np.testing.assert_array_equal(idx, exact[0])


def test_the_kernel_never_gathers_codes(
    cluster: Any, matrix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gathered: list[Any] = []
    original = distributed.Client._gather

    async def recording(self: Any, futures: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, futures, *args, **kwargs)
        gathered.append(result)
        return result

    def shards_in(value: Any) -> int:
        if isinstance(value, Shard):
            return 1
        if isinstance(value, (list, tuple)):
            return sum(shards_in(v) for v in value)
        if isinstance(value, dict):
            return sum(shards_in(v) for v in value.values())
        return 0

    monkeypatch.setattr(distributed.Client, "_gather", recording)
    index = ChunkedIndex(matrix, "euclidean", shards=4, progress=False)
    index.search(3, 10)
    assert gathered and sum(shards_in(g) for g in gathered) == 0
    # The check can fail: gathering the shards is seen.
    assert sum(shards_in(g) for g in cluster.gather(list(index.shards))) == 4
    index.close()


#: What :func:`_held_encode` shares with its test (module state: the tasks are pickled by
#: reference, and the in-process worker runs them in this process).
HELD: dict[str, Any] = {
    "ran": [],
    "release": threading.Event(),
    "encode": chunked_ann._encode_chunk,
}


def _held_encode(block: Any, start: int, trained: Any, cosine: bool) -> Any:
    """Encode a chunk; every chunk after the first waits for ``HELD["release"]``."""
    HELD["ran"].append(start)
    if len(HELD["ran"]) > 1:
        HELD["release"].wait(60)
    return HELD["encode"](block, start, trained, cosine)


def test_progress_phases_and_a_stop_cancels_the_queued_chunks(
    cluster: Any, matrix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Update] = []
    ChunkedIndex(matrix, "cosine", shards=2, progress=seen.append).close()
    phases = [u.phase for u in seen]
    assert phases[0] == "gathering a training sample" and "training index" in phases
    encoding = [u for u in seen if u.phase == "encoding chunks"]
    assert encoding[0].total == N // CHUNK and encoding[-1].done == N // CHUNK

    # The first chunk encodes at once; the others wait until the build has stopped, so the
    # worker (one thread) runs at most one more: the rest must be cancelled, never run.
    ran, release = HELD["ran"], HELD["release"]
    ran.clear()
    release.clear()

    def stop(update: Update) -> None:
        if update.phase == "encoding chunks" and update.done >= 1:
            raise Stopped

    monkeypatch.setattr(chunked_ann, "_encode_chunk", _held_encode)
    before = building(cluster)  # the shards of the module's indexes
    try:
        with pytest.raises(Stopped):
            ChunkedIndex(matrix, "cosine", shards=2, progress=Reporter(stop, min_interval=0))
    finally:
        release.set()
    # Nothing of the stopped build stays on the cluster (the scheduler forgets cancelled keys
    # as their cancellation reaches it: wait on that condition).
    for _ in range(2000):
        if building(cluster) <= before:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the stopped build left {sorted(building(cluster) - before)}")
    assert 1 <= len(ran) <= 2, ran


def test_the_widget_answers_through_the_index(
    cluster: Any, store: Any, rows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, sq = rows
    w = Projector(store)
    with pytest.raises(TypeError, match=r"unknown index option\(s\) \['nprobes'\]"):
        w.build_index("cosine", nprobes=4)
    index = w.build_index("cosine", seed=3)
    assert isinstance(index, ChunkedIndex) and index.seed == 3
    assert w._parts.neighbours.searcher.has_index("cosine")
    assert not w._parts.neighbours.searcher.has_index("euclidean")
    searched: list[Any] = []
    search = index.search

    def spy(query: Any, k: int = 10) -> Any:
        searched.append(query)
        return search(query, k)

    monkeypatch.setattr(index, "search", spy)
    idx, dist = w.nearest(17, 10)
    assert searched == [17]
    np.testing.assert_array_equal(idx, search(17, 10)[0])
    assert recall(idx, nearest(x, sq, 17, 10, "cosine")[0]) >= 0.7
    exact_idx, _ = w.nearest(17, 10, exact=True)
    np.testing.assert_array_equal(exact_idx, nearest(x, sq, 17, 10, "cosine")[0])
    assert len(searched) == 1
    # The panel's neighbour list (focus on a row) comes from the index too.
    w.focus = 17
    shown = np.frombuffer(w._neighbors["indices"], "<u4").astype(np.int64)
    assert searched == [17, 17]
    np.testing.assert_array_equal(shown, search(17, w.k_neighbors)[0])
    # A second build of the metric replaces and releases the first.
    again = w.build_index("cosine", seed=3, rerank=20)
    with pytest.raises(IndexLostError, match="closed"):
        index.search(17, 10)
    assert again.search(17, 10)[0].shape == (10,)


def test_a_client_that_is_not_the_default_one_builds_and_searches(
    cluster: Any, store: Any, rows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The widget's own LocalCluster client is not the default client (set_as_default=False).
    import weakref

    x, sq = rows
    own = distributed.Client(cluster.scheduler.address, set_as_default=False)
    monkeypatch.setattr(distributed.client, "_global_clients", weakref.WeakValueDictionary())
    current = distributed.client._current_client.set(None)
    try:
        with pytest.raises(ValueError):
            distributed.get_client()
        monkeypatch.setattr(chunked_ann, "client", lambda: own)
        index = ChunkedIndex(dask_array.as_chunked(store), "euclidean", shards=2, progress=False)
        idx, _ = index.search(5, 10)
        assert recall(idx, nearest(x, sq, 5, 10, "euclidean")[0]) >= 0.7
        index.close()
    finally:
        distributed.client._current_client.reset(current)
        own.close()


def test_invalid_options_and_queries_fail_before_faiss(matrix: Any, indexes: Any) -> None:
    with pytest.raises(ValueError, match="metric must be one of"):
        ChunkedIndex(matrix, "manhattan")
    with pytest.raises(ValueError, match=r"nlist \(30000\) cannot exceed the number of rows"):
        ChunkedIndex(matrix, nlist=30_000)
    with pytest.raises(ValueError, match=r"nprobe \(200\) cannot exceed nlist \(100\)"):
        ChunkedIndex(matrix, nlist=100, nprobe=200)
    for name, bad in (("nlist", 0), ("nprobe", -1), ("rerank", 0), ("shards", 1.5)):
        with pytest.raises(ValueError, match=f"{name} must be a positive integer"):
            ChunkedIndex(matrix, **{name: bad})
    with pytest.raises(ValueError, match=r"shards \(9\) cannot exceed the array's 8 chunks"):
        ChunkedIndex(matrix, shards=9)
    with pytest.raises(ValueError, match="seed must be from 0"):
        ChunkedIndex(matrix, seed=-1)
    with pytest.raises(TypeError, match="ChunkedMatrix"):
        ChunkedIndex(np.zeros((10, 2), np.float32))  # type: ignore[arg-type]
    index = indexes["cosine"]
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(0, 0)
    with pytest.raises(IndexError, match=f"index {N} is out of range"):
        index.search(N, 3)
    with pytest.raises(ValueError, match="query has 3 dimensions but the embeddings have 32"):
        index.search(np.zeros(3, np.float32), 3)
    with pytest.raises(ValueError, match="NaN or infinite"):
        index.search(np.full(D, np.nan, np.float32), 3)
    with pytest.raises(TypeError, match="row index or a vector"):
        index.search(True, 3)  # type: ignore[arg-type]


def test_non_finite_rows_are_named(cluster: Any, rows: Any) -> None:
    x = rows[0][:4000].copy()
    x[3100, 2] = np.nan
    m = dask_array.as_chunked(da.from_array(x, chunks=(1000, D)))
    with pytest.raises(ValueError, match="NaN or Inf.*training sample"):
        ChunkedIndex(m, "euclidean", progress=False)  # 63 lists: a sample of every row
    # 8 lists: a sample of 512 rows that misses row 3100; the encoding of its chunk names it.
    assert 3100 not in dask_array.sample(m, 512, 0)[0]
    with pytest.raises(ValueError, match="NaN or Inf at row 3100"):
        ChunkedIndex(m, "euclidean", nlist=8, progress=False)


def test_missing_faiss_names_both_extras(matrix: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(ImportError, match=r'pip install "projector-widget\[dask,ann\]"'):
        ChunkedIndex(matrix)


def test_an_index_lost_with_its_client_falls_back_to_the_exact_search(
    cluster: Any, store: Any, rows: Any
) -> None:
    import warnings

    from projector_widget.dask.neighbours import IndexLostWarning

    x, sq = rows
    # The index is built on a client of its own, which the user then closes; the module's
    # client stays, so a cluster can still compute the rows.
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local),
    ):
        w = Projector(store)
        w.build_index("cosine", seed=3)
        w.focus = 3
    with pytest.warns(IndexLostWarning, match=r"index is lost.*exact search.*build_index"):
        w.focus = 17
    shown = np.frombuffer(w._neighbors["indices"], "<u4").astype(np.int64)
    assert w._neighbors["index"] == 17
    np.testing.assert_array_equal(shown, nearest(x, sq, 17, w.k_neighbors, "cosine")[0])
    # The index is dropped: later queries go straight to the exact search, without a warning.
    assert not w._parts.neighbours.searcher.has_index("cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w.focus = 18
    assert w._neighbors["index"] == 18


def test_an_index_lost_where_no_cluster_can_compute_says_what_to_do(
    cluster: Any, rows: Any
) -> None:
    x = rows[0][:4000]
    # A persisted array: its chunks live on the client that persisted them, and go with it.
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        distributed.Client(local),
    ):
        w = Projector(da.from_array(x, chunks=(1000, D)).persist())
        w.build_index("euclidean", nlist=8)
        w.metric = "euclidean"
        w.focus = 3
        before = dict(w._neighbors)
    with pytest.raises(IndexLostError, match=r"exact search cannot run either.*Dask client"):
        w.focus = 17
    # Nothing half-updated: the focus and its neighbours are as they were.
    assert w.focus == 3 and w._neighbors == before
