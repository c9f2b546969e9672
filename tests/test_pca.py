"""PCA against scikit-learn's exact solver, on both of our paths."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from projector_widget.compute.projections.pca import pca


def _data(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = 1.0 / np.arange(1, d + 1) ** 0.7
    centers = rng.standard_normal((8, d)) * scales * 4
    x = rng.standard_normal((n, d)) * scales + centers[rng.integers(0, 8, n)] + 3.0
    return x.astype(np.float32)


def _check_against_sklearn(x: np.ndarray, k: int, **kwargs) -> None:
    ours = pca(x, k, **kwargs)
    ref = PCA(n_components=k, svd_solver="full").fit(x.astype(np.float64))
    ref_scores = ref.transform(x.astype(np.float64))
    np.testing.assert_allclose(ours.explained_variance, ref.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(
        ours.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-4, atol=1e-7
    )
    np.testing.assert_allclose(ours.mean, ref.mean_, rtol=1e-5, atol=1e-5)
    for i in range(k):
        comp_dot = float(ours.components[i] @ ref.components_[i])
        assert abs(abs(comp_dot) - 1) < 1e-4, (i, comp_dot)
        sign = np.sign(comp_dot)
        scale = np.abs(ref_scores[:, i]).max()
        np.testing.assert_allclose(ours.coords[:, i], sign * ref_scores[:, i], atol=2e-4 * scale)


def test_exact_path_matches_sklearn():
    _check_against_sklearn(_data(3000, 40), 5)


def test_more_dimensions_than_rows():
    _check_against_sklearn(_data(60, 300, seed=2), 10)


def test_subspace_path_matches_sklearn_on_all_rows():
    # Force the large-input path on a size sklearn can check exactly.
    _check_against_sklearn(_data(20000, 64, seed=3), 10, exact_max_rows=1000)


def test_subspace_path_uses_every_row_not_the_sample():
    # 19,000 rows in a plane, 1,000 outliers far along a third axis: a small sample that misses
    # most outliers still yields the right axis because refinement and Rayleigh-Ritz see all rows.
    rng = np.random.default_rng(5)
    x = np.zeros((20000, 30), np.float32)
    x[:, :2] = rng.standard_normal((20000, 2)) * [3.0, 2.0]
    x[:1000, 2] = 40.0
    x += rng.standard_normal(x.shape).astype(np.float32) * 0.01
    _check_against_sklearn(x, 3, exact_max_rows=1000, sample_rows=200)


@pytest.mark.parametrize("exact_max_rows", [10**9, 100])
def test_signs_are_deterministic(exact_max_rows):
    x = _data(5000, 20, seed=7)
    a = pca(x, 3, exact_max_rows=exact_max_rows)
    b = pca(x[::-1].copy(), 3, exact_max_rows=exact_max_rows)
    np.testing.assert_allclose(a.components, b.components, atol=1e-4)
    idx = np.argmax(np.abs(a.components), axis=1)
    assert np.all(a.components[np.arange(3), idx] > 0)


def test_tiny_inputs():
    one = pca(np.ones((1, 4), np.float32), 3)
    assert one.coords.shape == (1, 1) or one.coords.shape[0] == 1
    two_d = pca(np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32), 10)
    assert two_d.coords.shape == (50, 2)
    constant = pca(np.ones((10, 3), np.float32), 3)
    assert np.all(constant.coords == 0)


def test_sample_pca_is_close_to_the_full_pca_and_projects_every_row():
    """The first frame on large inputs: a sample's axes, every row projected on them."""
    from projector_widget.compute.projections.pca import sample_pca

    x = _data(20_000, 48, seed=3)
    quick = sample_pca(x, 4, sample_rows=4000)
    full = pca(x, 4, exact_max_rows=20_000)
    assert quick.coords.shape == (20_000, 4) and quick.subspace is None
    for i in range(3):
        assert abs(float(quick.components[i] @ full.components[i])) > 0.99
    np.testing.assert_allclose(
        quick.explained_variance_ratio[:3], full.explained_variance_ratio[:3], rtol=0.1
    )
    # Scores are the rows, centred on the sample's mean, on the sample's axes.
    expected = (x.astype(np.float64) - quick.mean) @ quick.components.T.astype(np.float64)
    np.testing.assert_allclose(quick.coords, expected, atol=1e-3 * np.abs(expected).max())
    # Small inputs get the exact PCA.
    np.testing.assert_allclose(
        sample_pca(x[:500], 3, sample_rows=4000).coords, pca(x[:500], 3).coords
    )
