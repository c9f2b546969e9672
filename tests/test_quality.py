"""Layout quality: trustworthiness and continuity as scikit-learn computes them, neighbours kept."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from projector_widget.compute.explain import quality, scans
from projector_widget.compute.explain.quality import exact_neighbours, layout_quality


def _kernels() -> list[str]:
    """Both scans where numba is installed (they must agree), else NumPy's."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return ["numpy"]
    return ["numpy", "numba"]


def _data(n: int = 600, d: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered continuous data (no tied distances) and a noisy, imperfect 2-D layout."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((6, d)) * 4
    x = rng.standard_normal((n, d)) + centres[rng.integers(0, 6, n)]
    low = x @ rng.standard_normal((d, 2)) + rng.standard_normal((n, 2)) * 3
    return x, low


def _knn(x: np.ndarray, k: int, metric: str = "euclidean") -> np.ndarray:
    nn = NearestNeighbors(n_neighbors=k, metric=metric, algorithm="brute").fit(x)
    return nn.kneighbors(return_distance=False)


@pytest.mark.parametrize("kernel", _kernels())
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_trustworthiness_matches_scikit_learn(kernel: str, metric: str) -> None:
    x, low = _data()
    for k in (1, 5, 12):
        report = layout_quality(x, low, k=k, metric=metric, kernel=kernel)
        expected = trustworthiness(x, low, n_neighbors=k, metric=metric)
        assert report.trustworthiness == pytest.approx(expected, abs=1e-9)
        assert report.exact and report.evaluated == x.shape[0] and report.k == k


@pytest.mark.parametrize("kernel", _kernels())
def test_continuity_is_trustworthiness_with_the_spaces_swapped(kernel: str) -> None:
    x, low = _data(seed=1)
    report = layout_quality(x, low, k=10, kernel=kernel)
    assert report.continuity == pytest.approx(trustworthiness(low, x, n_neighbors=10), abs=1e-9)
    # Not the same number: the layout tears some neighbourhoods and invents others.
    assert report.continuity != pytest.approx(report.trustworthiness, abs=1e-3)


@pytest.mark.parametrize("kernel", _kernels())
def test_kept_is_the_shared_fraction_of_both_neighbour_lists(kernel: str) -> None:
    x, low = _data(seed=2)
    k = 7
    report = layout_quality(x, low, k=k, kernel=kernel)
    high_nn, low_nn = _knn(x, k), _knn(low, k)
    expected = [len(set(a) & set(b)) / k for a, b in zip(high_nn, low_nn, strict=True)]
    assert report.kept.dtype == np.float32
    np.testing.assert_allclose(report.kept, expected, atol=1e-6)
    assert 0.05 < report.kept.mean() < 0.95


def test_a_layout_that_is_the_data_is_perfect() -> None:
    rng = np.random.default_rng(3)
    y = rng.standard_normal((300, 2))
    report = layout_quality(y, y * 5 + 1, k=10)
    assert report.trustworthiness == pytest.approx(1.0)
    assert report.continuity == pytest.approx(1.0)
    assert (report.kept == 1.0).all()


def test_progress_reports_both_passes_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    from projector_widget.util.progress import Reporter

    monkeypatch.setattr(scans, "_BLOCK_VALUES", 64 * 500)  # blocks of 64 rows
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 8))
    updates: list = []
    quality.layout_quality(x, x[:, :2], k=5, progress=Reporter(updates.append, min_interval=0))
    phases = [u.phase for u in updates]
    assert phases[0] == "ranking neighbours in the original space"
    assert phases[-1] == "ranking neighbours in the layout"
    for phase in set(phases):
        done = [u.done for u in updates if u.phase == phase]
        assert done == sorted(done) and done[-1] == 500 and len(done) > 5
        assert {u.total for u in updates if u.phase == phase} == {500}


def test_a_random_layout_scores_near_one_half() -> None:
    # Venna & Kaski's normalisation puts a layout unrelated to the data at about 0.5.
    rng = np.random.default_rng(4)
    x, _ = _data(n=800, seed=4)
    report = layout_quality(x, rng.standard_normal((800, 2)), k=10)
    assert 0.4 < report.trustworthiness < 0.6
    assert 0.4 < report.continuity < 0.6
    assert report.kept.mean() < 0.05


def test_numba_and_numpy_agree_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("numba")
    monkeypatch.setattr(quality, "FLOAT64_MAX_ROWS", 10)
    x, low = _data(n=700, seed=5)
    a = layout_quality(x.astype(np.float32), low, k=10, kernel="numpy")
    b = layout_quality(x.astype(np.float32), low, k=10, kernel="numba")
    exact = trustworthiness(x, low, n_neighbors=10)
    # float32 scores may order distances within rounding of each other either way.
    assert a.trustworthiness == pytest.approx(exact, abs=1e-5)
    assert b.trustworthiness == pytest.approx(exact, abs=1e-5)
    assert a.continuity == pytest.approx(b.continuity, abs=1e-5)
    assert np.mean(a.kept == b.kept) > 0.99


def test_sampled_report_estimates_the_exact_one() -> None:
    x, low = _data(n=2000, seed=6)
    exact = layout_quality(x, low, k=10)
    sampled = layout_quality(x, low, k=10, max_exact=1000, sample=400, seed=1)
    assert not sampled.exact and sampled.evaluated == 400
    assert sampled.trustworthiness_se > 0 and sampled.continuity_se > 0
    assert abs(sampled.trustworthiness - exact.trustworthiness) < 4 * sampled.trustworthiness_se
    assert abs(sampled.continuity - exact.continuity) < 4 * sampled.continuity_se
    evaluated = ~np.isnan(sampled.kept)
    assert evaluated.sum() == 400
    # Each sampled row is still compared with every row: its value is the exact one.
    np.testing.assert_array_equal(sampled.kept[evaluated], exact.kept[evaluated])


@pytest.mark.parametrize("kernel", _kernels())
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_exact_neighbours_match_scikit_learn(kernel: str, metric: str) -> None:
    x, _ = _data(n=500, seed=7)
    found = exact_neighbours(x, 8, metric, kernel=kernel)
    np.testing.assert_array_equal(found, _knn(x, 8, metric))


def test_duplicate_points_rank_together() -> None:
    # Ties share the best rank: a layout that keeps duplicates together is not penalised for
    # the order in which it lists them.
    rng = np.random.default_rng(8)
    base = rng.standard_normal((100, 5))
    x = np.repeat(base, 3, axis=0)
    low = np.repeat(base[:, :2], 3, axis=0) + rng.standard_normal((300, 2)) * 1e-3
    report = layout_quality(x, low, k=2)
    assert report.trustworthiness == pytest.approx(1.0)
    assert 0 <= report.continuity <= 1


def test_errors_say_what_to_fix() -> None:
    x, low = _data(n=100)
    with pytest.raises(ValueError, match="the layout has 99 rows but the data have 100"):
        layout_quality(x, low[:99])
    with pytest.raises(ValueError, match=r"k < 50"):
        layout_quality(x, low, k=50)
    with pytest.raises(ValueError, match="k must be at least 1"):
        layout_quality(x, low, k=0)
    with pytest.raises(ValueError, match="k must be an integer"):
        layout_quality(x, low, k=2.5)  # type: ignore[arg-type]
    bad = x.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match="first: row 7"):
        layout_quality(bad, low)
    zero = x.copy()
    zero[4] = 0
    with pytest.raises(ValueError, match="row 4 is all zeros"):
        layout_quality(zero, low, metric="cosine")
    with pytest.raises(ValueError, match="metric must be one of"):
        layout_quality(x, low, metric="manhattan")
    with pytest.raises(ValueError, match="2-D array"):
        layout_quality(x[:, 0], low)
    with pytest.raises(TypeError, match="array of numbers"):
        layout_quality(np.array([["a", "b"]] * 100), low)
    with pytest.raises(ValueError, match="kernel must be"):
        layout_quality(x, low, kernel="gpu")  # type: ignore[arg-type]


@pytest.mark.parametrize("kernel", _kernels())
def test_huge_coordinates_score_as_their_scaled_down_copy(kernel: str) -> None:
    # Squares of 1e200 overflow float64: scores read 1.0, or the k-d tree answered "no
    # neighbour" (index n) and the scan indexed past the end. Ranks ignore the scale.
    x, low = _data(n=300, seed=5)
    expected = layout_quality(x, low, k=8, kernel=kernel)
    for hx, hy in ((x * 1e200, low), (x, low * 1e200), (x * 1e300, low * 1e-300)):
        report = layout_quality(hx, hy, k=8, kernel=kernel)
        assert report.trustworthiness == pytest.approx(expected.trustworthiness, abs=1e-12)
        assert report.continuity == pytest.approx(expected.continuity, abs=1e-12)
        np.testing.assert_array_equal(report.kept, expected.kept)
    cosine = layout_quality(x * 1e200, low, k=8, metric="cosine", kernel=kernel)
    assert cosine.trustworthiness == pytest.approx(
        layout_quality(x, low, k=8, metric="cosine", kernel=kernel).trustworthiness, abs=1e-12
    )


def test_the_compiled_scan_refuses_an_index_past_the_last_row() -> None:
    pytest.importorskip("numba")
    compiled = scans._numba_scans()
    scores = np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        compiled.high(scores, np.array([[1, 5], [0, 2]], np.int64), 1)
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        layout = scans._Layout.of(np.zeros((5, 2)))
        compiled.low(layout, np.array([0, 1]), np.array([[5], [0]], np.int64))


@pytest.mark.parametrize("tile", [64, 97])
def test_the_triangle_of_tiles_agrees_with_the_block_scan(
    monkeypatch: pytest.MonkeyPatch, tile: int
) -> None:
    # Above FLOAT64_MAX_ROWS numba reads each pair once, in tiles of the upper triangle; small
    # tiles here (and one that does not divide the rows) cover off-diagonal, diagonal and ragged
    # tiles, both directions of a tile, and a neighbour's own score in another tile.
    pytest.importorskip("numba")
    monkeypatch.setattr(quality, "FLOAT64_MAX_ROWS", 10)
    monkeypatch.setattr(scans, "_TILE", tile)
    x, low = _data(n=500, seed=8)
    x32 = x.astype(np.float32)
    a = layout_quality(x32, low, k=9, kernel="numpy")
    b = layout_quality(x32, low, k=9, kernel="numba")
    exact = layout_quality(x, low, k=9)  # float64 in neither
    assert b.trustworthiness == pytest.approx(exact.trustworthiness, abs=1e-5)
    assert b.continuity == pytest.approx(exact.continuity, abs=1e-5)
    assert b.trustworthiness == pytest.approx(a.trustworthiness, abs=1e-5)
    assert np.mean(a.kept == b.kept) > 0.99
    nbrs = exact_neighbours(x32, k=6, kernel="numba")
    assert np.mean(nbrs == _knn(x, 6)) > 0.99
    # Every row appears once per row of neighbours, never itself.
    assert not (nbrs == np.arange(500)[:, None]).any()


def test_a_failing_tile_stops_every_worker_and_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("numba")
    monkeypatch.setattr(scans, "_TILE", 16)
    x = np.random.default_rng(9).standard_normal((400, 8)).astype(np.float32)
    xa = scans.prepared(x, "euclidean", np.float32)
    others = np.tile(np.arange(1, 4), (400, 1)).astype(np.int64)
    calls = []

    def failing(*_args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("tile 3")

    with pytest.raises(MemoryError, match="tile 3"):
        scans._tiles(xa, others, 2, failing, failing, lambda _n: None)
    # 400 rows in tiles of 16: 325 tiles. The workers stop after their current tile.
    assert len(calls) < 10
