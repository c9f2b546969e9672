"""Aligned layouts of several steps, and per-row drift between two of them."""

from __future__ import annotations

import numpy as np
import pytest

from projector_widget.compute.alignment import align_layouts, align_transforms, drift, procrustes


def _rotation(theta: float) -> np.ndarray:
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def _layout(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)) * [3.0, 1.0] + rng.integers(0, 4, (n, 1)) * 5


def test_a_rotated_scaled_shifted_copy_aligns_exactly() -> None:
    a = _layout()
    b = 0.3 * a @ _rotation(2.0) + [40.0, -7.0]
    mirrored = b * [-1.0, 1.0]
    aligned = align_layouts([a, b, mirrored])
    np.testing.assert_array_equal(aligned[0], a)
    for moved in aligned[1:]:
        np.testing.assert_allclose(moved, a, atol=1e-9)


def test_three_dimensional_layouts_align() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 3))
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    np.testing.assert_allclose(align_layouts([a, a @ q + 1.0])[1], a, atol=1e-9)


def test_reflection_and_scale_can_be_refused() -> None:
    a = _layout()
    mirrored = a * [-1.0, 1.0]
    kept = procrustes(mirrored, a, reflection=False).apply(mirrored)
    assert np.linalg.norm(kept - a, axis=1).mean() > 1.0
    assert np.linalg.det(procrustes(mirrored, a, reflection=False).rotation) == pytest.approx(1)
    small = 0.5 * a
    unscaled = procrustes(small, a, scale=False)
    assert unscaled.scale == 1.0
    assert procrustes(small, a).scale == pytest.approx(2.0)


def test_previous_or_first_as_the_reference() -> None:
    a = _layout(seed=2)
    rng = np.random.default_rng(2)
    # Each step moves every point a little and turns the whole layout.
    steps = [a]
    for i in range(1, 4):
        steps.append((steps[-1] + rng.standard_normal(a.shape) * 0.2) @ _rotation(0.5 * i))
    chained = align_layouts(steps, to="previous")
    to_first = align_layouts(steps, to="first")
    for i in range(1, 4):
        step = np.linalg.norm(chained[i] - chained[i - 1], axis=1).mean()
        assert step < 0.4  # only the real movement remains
        assert np.linalg.norm(to_first[i] - a, axis=1).mean() < 0.4 * i
    with pytest.raises(ValueError, match="'previous' or 'first'"):
        align_layouts(steps, to="last")


def test_movers_do_not_drag_the_fit() -> None:
    a = _layout(seed=3)
    b = a.copy()
    movers = np.arange(0, 400, 20)
    b[movers] += [30.0, 30.0]
    b = b @ _rotation(1.0) + 5.0
    aligned = procrustes(b, a).apply(b)
    still = np.setdiff1d(np.arange(400), movers)
    np.testing.assert_allclose(aligned[still], a[still], atol=1e-9)


def _embeddings(n: int = 600, d: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((6, d)) * 6
    group = rng.integers(0, 6, n)
    return centres[group] + rng.standard_normal((n, d)), group


def test_drift_finds_rows_moved_on_purpose() -> None:
    x, group = _embeddings()
    rng = np.random.default_rng(5)
    moved = np.sort(rng.choice(600, 20, replace=False))
    y = x.copy()
    # The moved rows jump to another group's centre (in the original space).
    for i in moved:
        other = np.flatnonzero(group == (group[i] + 3) % 6)
        y[i] = x[other].mean(axis=0) + rng.standard_normal(32)
    # The second step's layout: the same linear map, seen turned, mirrored and shifted.
    basis = np.linalg.svd(x - x.mean(0), full_matrices=False)[2][:2].T
    layout_a = x @ basis
    layout_b = (y @ basis) @ _rotation(0.8) * [-1, 1] + [100.0, 3.0]
    displacement, jaccard = drift(x, y, layout_a, layout_b, k=10)
    assert displacement.dtype == np.float32 and jaccard.dtype == np.float32
    top = np.sort(np.argsort(displacement)[::-1][:20])
    np.testing.assert_array_equal(top, moved)
    still = np.setdiff1d(np.arange(600), moved)
    np.testing.assert_allclose(displacement[still], 0, atol=1e-6)
    assert jaccard[moved].max() < 0.2
    assert np.median(jaccard[still]) > 0.8
    assert (jaccard >= 0).all() and (jaccard <= 1).all()


def test_no_change_no_drift() -> None:
    x, _ = _embeddings(n=300, seed=6)
    layout = x[:, :2]
    displacement, jaccard = drift(x, x * 2.0, layout, layout @ _rotation(3.0))
    np.testing.assert_allclose(displacement, 0, atol=1e-9)
    assert (jaccard == 1).all()
    # Unaligned, the turn itself shows as movement.
    turned, _ = drift(x, x, layout, layout @ _rotation(3.0), align=False)
    assert turned.mean() > 1


def test_errors_say_what_to_fix() -> None:
    a = _layout(n=50)
    with pytest.raises(ValueError, match="at least one layout"):
        align_layouts([])
    with pytest.raises(ValueError, match="layout 1 has shape"):
        align_layouts([a, a[:40]])
    bad = a.copy()
    bad[9, 0] = np.nan
    with pytest.raises(ValueError, match="first: row 9"):
        align_layouts([a, bad])
    with pytest.raises(ValueError, match="trim must be"):
        procrustes(a, a, trim=1.0)
    with pytest.raises(ValueError, match="anchors selects no rows"):
        procrustes(a, a, anchors=np.zeros(50, bool))
    with pytest.raises(IndexError, match="anchor rows"):
        procrustes(a, a, anchors=[0, 50])
    x, _ = _embeddings(n=50)
    with pytest.raises(ValueError, match="one row per layout row"):
        drift(x[:49], x, a, a)
    with pytest.raises(ValueError, match="layout_a has shape"):
        drift(x, x, a, a[:, :1])


def test_drift_errors_name_the_input_and_the_row_count() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((30, 4))
    y = rng.standard_normal((30, 2))
    bad = x.copy()
    bad[4, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"embeddings_b has NaN or infinite values \(first: row 4\)"
    ):
        drift(x, bad, y, y, k=3)
    with pytest.raises(ValueError, match="embeddings_a has NaN"):
        drift(bad, x, y, y, k=3)
    with pytest.raises(ValueError, match="1 row; comparing neighbourhoods needs at least 2 rows"):
        drift(x[:1], x[:1], y[:1], y[:1], k=1)
    with pytest.raises(ValueError, match="k must be a number of neighbours from 1 to 29"):
        drift(x, x, y, y, k=30)


def test_align_transforms_are_what_align_layouts_applies() -> None:
    rng = np.random.default_rng(4)
    first = rng.standard_normal((50, 3))
    layouts = [first, first @ np.diag([1.0, -1.0, 1.0]) * 2 + 5, rng.standard_normal((50, 3))]
    fits = align_transforms(layouts)
    aligned = align_layouts(layouts)
    for fit, y, want in zip(fits, layouts, aligned, strict=True):
        np.testing.assert_allclose(fit.apply(y), want)
    np.testing.assert_allclose(fits[0].apply(first), first)
    np.testing.assert_allclose(aligned[1], first, atol=1e-9)
