"""Exact neighbour search with the PCA-subspace sketch: same answers as the plain scan, fewer rows."""

from __future__ import annotations

import numpy as np
import pytest
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.compute import neighbours as neighbors
from projector_widget.compute.neighbours import inverse_norms, make_sketch, nearest
from projector_widget.compute.projections.pca import pca


def _clustered(n: int = 6000, d: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = (1.0 / np.arange(1, d + 1) ** 0.5).astype(np.float32)
    centers = rng.standard_normal((12, d)).astype(np.float32) * scales * 4
    labels = rng.integers(0, 12, n)
    return (rng.standard_normal((n, d), dtype=np.float32) * scales + centers[labels]).astype(
        np.float32
    )


@pytest.fixture
def sketched(monkeypatch):
    """Clustered rows, their norms and a sketch on a 12-dimensional PCA subspace."""
    monkeypatch.setattr(neighbors, "SKETCH_MIN_ROWS", 0)
    x = _clustered()
    sq = np.einsum("ij,ij->i", x, x)
    r = pca(
        x,
        4,
        sq_norms=sq,
        exact_max_rows=100,
        sample_rows=2000,
        power_iterations=0,
        keep_subspace=True,
    )
    return x, sq, make_sketch(x, sq, r.subspace, r.subspace_scores)


def test_pca_keeps_its_subspace_and_uncentred_scores():
    x = _clustered(3000, 32)
    r = pca(x, 4, exact_max_rows=100, sample_rows=1000, power_iterations=0, keep_subspace=True)
    assert r.subspace.shape == (32, 24) and r.subspace_scores.shape == (3000, 24)
    np.testing.assert_allclose(r.subspace.T @ r.subspace, np.eye(24), atol=1e-5)
    np.testing.assert_allclose(r.subspace_scores, x @ r.subspace, rtol=1e-4, atol=1e-4)
    assert pca(x, 4, exact_max_rows=100, sample_rows=1000).subspace is None


def test_sketch_bounds_every_dot_product(sketched):
    x, _sq, sk = sketched
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, x.shape[0], 500), rng.integers(0, x.shape[0], 500)
    exact = np.einsum("ij,ij->i", x[a].astype(np.float64), x[b].astype(np.float64))
    bound = np.einsum("ij,ij->i", sk.scores[a], sk.scores[b]) + sk.residual[a] * sk.residual[b]
    assert np.all(bound >= exact - 1e-4)
    # And it is a useful bound: the residual is well below the row norm on this data.
    assert np.median(sk.residual / np.linalg.norm(x, axis=1)) < 0.9


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_sketch_search_equals_the_plain_scan(sketched, metric, monkeypatch):
    x, sq, sk = sketched
    inv = inverse_norms(sq)
    full_calls = []
    real_full = neighbors._full_search
    monkeypatch.setattr(
        neighbors, "_full_search", lambda *a, **kw: full_calls.append(1) or real_full(*a, **kw)
    )
    rng = np.random.default_rng(5)
    queries = [
        *rng.integers(0, x.shape[0], 15).tolist(),
        rng.standard_normal(48).astype(np.float32),
    ]
    for q in queries:
        got = nearest(x, sq, q, 10, metric, inv_norms=inv, sketch=sk)
        full_calls.clear()
        want = nearest(x, sq, q, 10, metric, inv_norms=inv)
        assert full_calls == [1]
        assert got[0].tolist() == want[0].tolist()
        np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    # The sketched queries above never needed the plain scan (the bound prunes on this data).
    full_calls.clear()
    nearest(x, sq, 7, 10, metric, inv_norms=inv, sketch=sk)
    assert full_calls == []


def test_sketch_search_respects_candidates_and_excludes_the_row(sketched):
    x, sq, sk = sketched
    cand = np.arange(0, x.shape[0], 3)
    got = nearest(x, sq, 9, 5, "cosine", candidates=cand, sketch=sk)
    want = nearest(x, sq, 9, 5, "cosine", candidates=cand)
    assert got[0].tolist() == want[0].tolist()
    assert set(got[0].tolist()) <= set(cand.tolist()) and 9 not in got[0]
    # Fewer candidates than k: all of them.
    got = nearest(x, sq, 0, 10, "euclidean", candidates=np.array([0, 4, 8]), sketch=sk)
    assert sorted(got[0].tolist()) == [4, 8]


def test_sketch_falls_back_when_the_bound_cannot_prune(monkeypatch):
    """Isotropic data on a 2-D basis: the bound rules out nothing, so the plain scan answers."""
    monkeypatch.setattr(neighbors, "SKETCH_MIN_ROWS", 0)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4000, 64)).astype(np.float32)
    sq = np.einsum("ij,ij->i", x, x)
    sk = make_sketch(x, sq, np.eye(64, 2, dtype=np.float32))
    calls = []
    real_full = neighbors._full_search
    monkeypatch.setattr(
        neighbors, "_full_search", lambda *a, **kw: calls.append(1) or real_full(*a, **kw)
    )
    got = nearest(x, sq, 11, 10, "cosine", sketch=sk)
    assert calls == [1]
    monkeypatch.setattr(neighbors, "_full_search", real_full)
    assert got[0].tolist() == nearest(x, sq, 11, 10, "cosine")[0].tolist()


def test_make_sketch_validates_its_basis():
    x = _clustered(100, 8)
    sq = np.einsum("ij,ij->i", x, x)
    with pytest.raises(ValueError, match="orthonormal"):
        make_sketch(x, sq, np.ones((8, 2), np.float32))
    with pytest.raises(ValueError, match=r"basis must have shape \(8, w\)"):
        make_sketch(x, sq, np.eye(6, 2, dtype=np.float32))
    with pytest.raises(ValueError, match="scores must have shape"):
        make_sketch(x, sq, np.eye(8, 2, dtype=np.float32), np.zeros((100, 3), np.float32))


def test_widget_searches_large_inputs_through_the_pca_sketch(monkeypatch):
    monkeypatch.setattr(neighbors, "SKETCH_MIN_ROWS", 0)
    x = _clustered(
        70_000, 24, seed=4
    )  # above the exact-PCA limit: the one-pass PCA keeps its subspace
    w = Projector(x)
    send_from_browser(w, {"type": "drawn"})  # as the browser says after its first frame
    assert w.pca_refined.wait(60)
    idx, dist = w.nearest(123, k=8)
    sk = w._parts.neighbours.searcher.sketch()
    assert sk is not None and sk.scores.shape == (70_000, 24)
    want = nearest(x, np.einsum("ij,ij->i", x, x), 123, 8, "cosine")
    assert idx.tolist() == want[0].tolist()
    np.testing.assert_allclose(dist, want[1], rtol=1e-5, atol=1e-6)


def test_widget_uses_an_approximate_index_once_built(monkeypatch):
    pytest.importorskip("faiss")
    x = _clustered(8000, 32, seed=6)
    w = Projector(x)
    exact = w.nearest(10, k=10)
    index = w.build_index(nprobe=8)
    assert index.metric == "cosine" and len(index) == 8000
    calls = []
    real = index.search
    monkeypatch.setattr(index, "search", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    approx = w.nearest(10, k=10)
    assert calls == [1]
    assert len(set(approx[0].tolist()) & set(exact[0].tolist())) >= 8
    # Distances of the rows returned are exact.
    again = nearest(x, np.einsum("ij,ij->i", x, x), 10, 8000, "cosine")
    exact_of = dict(zip(again[0].tolist(), again[1].tolist(), strict=True))
    np.testing.assert_allclose(
        approx[1], [exact_of[i] for i in approx[0].tolist()], rtol=1e-5, atol=1e-6
    )
    # exact=True still scans; the inspector goes through the index; another metric is exact.
    assert w.nearest(10, k=10, exact=True)[0].tolist() == exact[0].tolist()
    w.focus = 10
    assert len(calls) == 2
    w.nearest(10, k=5, metric="euclidean")
    assert len(calls) == 2
    # Isolation restricts the index's answers to the shown rows.
    w.selected = np.arange(0, 8000, 2)
    w.isolate()
    idx, _ = w.nearest(10, k=10)
    assert np.all(idx % 2 == 0)
