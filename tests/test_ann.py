"""The optional approximate nearest-neighbour index (projector_widget.compute.ann, the ``ann`` extra)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from projector_widget.compute import ann
from projector_widget.compute.neighbours import distances_to, nearest

METRICS = ("cosine", "euclidean")


@pytest.fixture
def faiss():
    """Skip the test when faiss (the ``ann`` extra) is not installed."""
    return pytest.importorskip("faiss")


@pytest.fixture(scope="module")
def clustered() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4,000 x 48 float32 rows in 25 clusters (decaying spectrum), their squared norms, labels."""
    rng = np.random.default_rng(0)
    n, d = 4000, 48
    scales = (1.0 / np.arange(1, d + 1) ** 0.5).astype(np.float32)
    centers = rng.standard_normal((25, d)).astype(np.float32) * scales * 3
    labels = rng.integers(0, 25, n)
    x = (rng.standard_normal((n, d), dtype=np.float32) * scales + centers[labels]).astype(
        np.float32
    )
    return x, np.einsum("ij,ij->i", x, x), labels


@pytest.fixture(scope="module")
def indexes(clustered) -> dict[str, ann.ApproximateIndex]:
    """One index per metric over the clustered rows (built once for the module)."""
    pytest.importorskip("faiss")
    x, sq, _ = clustered
    return {m: ann.ApproximateIndex(x, sq, m, seed=0) for m in METRICS}


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Fraction of the exact neighbours that were found."""
    return len(set(found.tolist()) & set(exact.tolist())) / len(exact)


@pytest.mark.parametrize("metric", METRICS)
def test_recall_at_10_against_exact_search(faiss, clustered, indexes, metric):
    x, sq, _ = clustered
    index = indexes[metric]
    queries = np.random.default_rng(1).choice(len(x), 100, replace=False)
    recalls = [
        recall(index.search(int(q), 10)[0], nearest(x, sq, int(q), 10, metric)[0]) for q in queries
    ]
    assert np.mean(recalls) >= 0.9
    # Probing every list leaves only the 8-bit shortlist as a source of error.
    index.nprobe = index.nlist
    try:
        full = [
            recall(index.search(int(q), 10)[0], nearest(x, sq, int(q), 10, metric)[0])
            for q in queries[:30]
        ]
    finally:
        index.nprobe = ann.default_nprobe(index.nlist)
    assert np.mean(full) >= 0.99


@pytest.mark.parametrize("metric", METRICS)
def test_row_query_excludes_itself_and_distances_are_exact(faiss, clustered, indexes, metric):
    x, sq, _ = clustered
    for q in (0, 17, 3999):
        idx, dist = indexes[metric].search(q, k=12)
        assert idx.dtype == np.int64 and dist.dtype == np.float32
        assert len(idx) == 12 and len(set(idx.tolist())) == 12
        assert q not in idx
        assert np.all(np.diff(dist) >= 0)
        exact = distances_to(x, sq, x[q], metric)[idx]
        np.testing.assert_allclose(dist, exact, rtol=1e-5, atol=1e-5)
        # float64 reference, independent of the library's formulas
        x64 = x.astype(np.float64)
        if metric == "cosine":
            ref = 1 - (x64[idx] @ x64[q]) / (
                np.linalg.norm(x64[idx], axis=1) * np.linalg.norm(x64[q])
            )
        else:
            ref = np.linalg.norm(x64[idx] - x64[q], axis=1)
        np.testing.assert_allclose(dist, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_vector_query_may_return_the_row_itself(faiss, clustered, indexes, metric):
    x, sq, _ = clustered
    idx, dist = indexes[metric].search(x[5] * 1.0, k=5)
    # |x|^2 - 2 x.q + |q|^2 in float32 leaves ~1e-3 of cancellation error for Euclidean.
    assert idx[0] == 5 and dist[0] == pytest.approx(0.0, abs=1e-4 if metric == "cosine" else 5e-3)
    noisy = x[5] + np.random.default_rng(2).standard_normal(x.shape[1]).astype(np.float32) * 0.01
    idx, _ = indexes[metric].search(noisy.tolist(), k=10)  # any array-like
    assert recall(idx, nearest(x, sq, noisy, 10, metric)[0]) >= 0.8


@pytest.mark.parametrize("metric", METRICS)
def test_candidates_restrict_results(faiss, clustered, indexes, metric, monkeypatch):
    x, sq, labels = clustered
    index = indexes[metric]
    # Large subset (every other row): the filtered index search.
    even = np.arange(0, len(x), 2)
    hits = []
    for q in (1, 2, 40, 41):
        idx, dist = index.search(q, 10, candidates=even)
        assert np.all(idx % 2 == 0) and q not in idx and len(idx) == 10
        np.testing.assert_allclose(
            dist, distances_to(x, sq, x[q], metric)[idx], rtol=1e-5, atol=1e-5
        )
        hits.append(recall(idx, nearest(x, sq, q, 10, metric, candidates=even)[0]))
    assert np.mean(hits) >= 0.9
    # Small subset: ranked exactly, so identical to exact search.
    small = np.array([3, 9, 27, 81, 243, 729, 2187, 10, 11])
    idx, dist = index.search(10, 4, candidates=small)
    ref_idx, ref_dist = nearest(x, sq, 10, 4, metric, candidates=small)
    assert idx.tolist() == ref_idx.tolist() and 10 not in idx
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5, atol=1e-6)
    # A subset far from the query (five other clusters) with one list probed: the probed list
    # holds none of it, so the search falls back to ranking the subset exactly.
    q = 0
    far = np.flatnonzero(np.isin(labels, [lab for lab in range(25) if lab != labels[q]][:5]))
    assert len(far) > max(4 * index.rerank * 10, len(x) // index.nlist)  # not the small path
    fallbacks = []
    exact = index._exact
    monkeypatch.setattr(index, "_exact", lambda *a: fallbacks.append(1) or exact(*a))
    index.nprobe = 1
    try:
        idx, dist = index.search(q, 10, candidates=far)
    finally:
        index.nprobe = ann.default_nprobe(index.nlist)
    assert fallbacks == [1]
    ref_idx, ref_dist = nearest(x, sq, q, 10, metric, candidates=far)
    assert idx.tolist() == ref_idx.tolist()
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5, atol=1e-5)


def test_fewer_rows_than_k(faiss, clustered, indexes):
    index = indexes["cosine"]
    idx, dist = index.search(7, 5, candidates=np.array([7, 8, 9]))
    assert sorted(idx.tolist()) == [8, 9] and len(dist) == 2
    idx, dist = index.search(7, 5, candidates=np.array([], dtype=np.int64))
    assert idx.shape == (0,) and dist.shape == (0,) and idx.dtype == np.int64
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    tiny = ann.ApproximateIndex(x, np.einsum("ij,ij->i", x, x), "euclidean")
    idx, _ = tiny.search(0, 10)
    assert sorted(idx.tolist()) == [1, 2]
    one = ann.ApproximateIndex(x[:1], np.einsum("ij,ij->i", x[:1], x[:1]))
    assert one.search(0)[0].size == 0


def test_zero_vector_query_matches_exact(faiss, clustered, indexes):
    x, sq, _ = clustered
    zero = np.zeros(x.shape[1], np.float32)
    idx, dist = indexes["cosine"].search(zero, 3)
    ref_idx, ref_dist = nearest(x, sq, zero, 3, "cosine")
    assert idx.tolist() == ref_idx.tolist()
    np.testing.assert_allclose(dist, 1.0)


def test_deterministic_given_a_seed(faiss, clustered):
    x, sq, _ = clustered
    sub, sub_sq = x[:1500], sq[:1500]
    a = ann.ApproximateIndex(sub, sub_sq, "cosine", seed=3)
    b = ann.ApproximateIndex(sub, sub_sq, "cosine", seed=3)
    c = ann.ApproximateIndex(sub, sub_sq, "cosine", seed=4)
    cent = [i._index.quantizer.reconstruct_n(0, i.nlist) for i in (a, b, c)]
    np.testing.assert_array_equal(cent[0], cent[1])
    assert not np.array_equal(cent[0], cent[2])
    for q in range(0, 1500, 150):
        ia, da = a.search(q)
        ib, db = b.search(q)
        assert ia.tolist() == ib.tolist()
        np.testing.assert_array_equal(da, db)


def test_non_contiguous_input_and_explicit_parameters(faiss, clustered):
    x, sq, _ = clustered
    xf = np.asfortranarray(x[:2000])
    index = ann.ApproximateIndex(xf, sq[:2000], "euclidean", nlist=20, nprobe=20, rerank=3)
    assert (index.nlist, index.nprobe, index.rerank, len(index)) == (20, 20, 3, 2000)
    assert index.code_bytes < xf.nbytes / 2  # compressed: no float32 copy of the rows
    queries = range(0, 2000, 97)
    r = [recall(index.search(q)[0], nearest(xf, sq[:2000], q, 10, "euclidean")[0]) for q in queries]
    assert np.mean(r) >= 0.95


def test_defaults_from_n():
    assert ann.default_nlist(1) == 1
    assert ann.default_nlist(4000) == 63
    assert ann.default_nlist(1_000_000) == 1000
    assert ann.default_nlist(10**9) == 4096
    assert 39 * ann.default_nlist(500) <= 500
    assert ann.default_nprobe(1) == 1
    assert ann.default_nprobe(63) == 8
    assert ann.default_nprobe(1000) == 63


def test_input_validation(faiss, clustered, indexes):
    x, sq, _ = clustered
    with pytest.raises(ValueError, match="metric must be one of"):
        ann.ApproximateIndex(x, sq, "manhattan")
    with pytest.raises(TypeError, match="float32"):
        ann.ApproximateIndex(x.astype(np.float64), sq)
    with pytest.raises(TypeError, match="2-D"):
        ann.ApproximateIndex(x[0], sq)
    with pytest.raises(TypeError, match="2-D"):
        ann.ApproximateIndex(x.tolist(), sq)
    with pytest.raises(ValueError, match="sq_norms"):
        ann.ApproximateIndex(x, sq[:-1])
    with pytest.raises(ValueError, match="at least one row"):
        ann.ApproximateIndex(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="nlist"):
        ann.ApproximateIndex(x[:10], sq[:10], nlist=11)
    with pytest.raises(ValueError, match="nlist must be a positive integer"):
        ann.ApproximateIndex(x, sq, nlist=0)
    with pytest.raises(ValueError, match="cannot exceed nlist"):
        ann.ApproximateIndex(x[:100], sq[:100], nlist=2, nprobe=3)
    with pytest.raises(ValueError, match="rerank"):
        ann.ApproximateIndex(x, sq, rerank=0)
    with pytest.raises(TypeError, match="seed"):
        ann.ApproximateIndex(x, sq, seed=1.5)
    index = indexes["euclidean"]
    with pytest.raises(ValueError, match="cannot exceed nlist"):
        index.nprobe = index.nlist + 1
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(0, 0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(0, 2.5)
    with pytest.raises(IndexError, match="out of range for 4000 points"):
        index.search(4000)
    with pytest.raises(IndexError, match="out of range"):
        index.search(-1)
    with pytest.raises(TypeError, match="bool"):
        index.search(True)
    with pytest.raises(ValueError, match="dimensions"):
        index.search(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="NaN"):
        index.search(np.full(x.shape[1], np.nan, np.float32))
    with pytest.raises(IndexError, match="candidate index 4000"):
        index.search(0, candidates=np.array([1, 4000]))
    with pytest.raises(IndexError, match="candidate index -2"):
        index.search(0, candidates=np.array([-2, 5]))
    with pytest.raises(TypeError, match="integer row indices"):
        index.search(0, candidates=np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="1-D"):
        index.search(0, candidates=np.array([[1, 2]]))


def test_missing_faiss_raises_an_import_error_that_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` raise ImportError
    x = np.ones((10, 4), np.float32)
    with pytest.raises(ImportError, match=r'pip install "projector-widget\[ann\]"'):
        ann.ApproximateIndex(x, np.einsum("ij,ij->i", x, x))
    with pytest.raises(ImportError, match="faiss"):
        ann.import_faiss()


def test_package_imports_without_faiss():
    code = (
        "import sys; sys.modules['faiss'] = None\n"
        "import projector_widget, projector_widget.compute.ann\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
