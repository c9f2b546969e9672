"""session.py without a widget: prepare/show, caches, isolation, refinement, locating vectors."""

from __future__ import annotations

import numpy as np
import pytest

from projector_widget import backends
from projector_widget.compute import backend as backend_mod
from projector_widget.data.columns import as_columns
from projector_widget.data.inputs import as_matrix
from projector_widget.parts import session as session_mod
from projector_widget.parts.session import ProjectionSession


class Recorder:
    def __init__(self) -> None:
        self.coords: list[tuple[np.ndarray, int]] = []
        self.progress: list[dict] = []


def make(x: np.ndarray, meta=None) -> tuple[ProjectionSession, Recorder]:
    rec = Recorder()
    m = as_matrix(x)
    cols = as_columns(meta, m.n)
    s = ProjectionSession(
        backends.in_memory(m),
        lambda: cols,
        on_coords=lambda c, t: rec.coords.append((c.copy(), t)),
        on_progress=rec.progress.append,
    )
    return s, rec


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((200, 6)) * np.arange(6, 0, -1)).astype(np.float32)


def test_start_shows_the_first_three_components(data):
    s, rec = make(data)
    coords = s.start()
    assert coords.shape == (200, 3) and s.refined.is_set()
    np.testing.assert_allclose(coords, s.pca_result().coords[:, :3], rtol=1e-6)
    assert rec.coords == []  # the widget syncs the first value itself


def test_a_failing_prepare_changes_nothing(data):
    s, rec = make(data)
    s.start()
    before = s.coords.copy()
    for name, params in [("pca", {"components": [0, 99]}), ("nope", {}), ("tsne", {"x": 1})]:
        with pytest.raises(ValueError):
            s.prepare(name, params)
    assert rec.coords == [] and s.method == "pca" and np.array_equal(s.coords, before)


def test_show_of_an_instant_plan_reports_coords_once_and_done(data):
    s, rec = make(data)
    s.start()
    plan = s.prepare("pca", {"components": [2, 1]})
    assert plan.params == {"components": [2, 1, 0]}
    assert s.show(plan) is None
    assert len(rec.coords) == 1 and rec.coords[0][1] == session_mod.TRANSITION_MS
    np.testing.assert_allclose(rec.coords[0][0][:, 0], s.pca_result().coords[:, 2], rtol=1e-6)
    assert rec.progress[-1]["state"] == "done" and s.method == "pca"


def test_isolate_keeps_positions_and_show_all_returns_the_view(data):
    s, rec = make(data)
    s.start()
    s.show(s.prepare("pca", {"components": [1, 0, 2]}))
    shown = s.coords.copy()
    s.isolate(np.arange(50, dtype=np.int64))
    assert np.array_equal(rec.coords[-1][0], shown) and rec.coords[-1][1] == 0
    s.show(s.prepare("pca", {}))  # the PCA of the 50 isolated rows
    assert s.pca_result().coords.shape[0] == 50
    saved = s.show_all()
    assert saved is not None and saved.params == {"components": [1, 0, 2]}
    assert s.subset is None and np.array_equal(s.coords, shown)


def test_spherize_changes_what_projections_see_and_caches_per_row_set(data):
    s, _ = make(data * np.linspace(1, 30, 200)[:, None].astype(np.float32))
    s.start()
    plain = s.pca_result()
    s.spherize = True
    np.testing.assert_allclose(
        np.linalg.norm(s.backend.input_matrix(s.spherize).values, axis=1), 1.0, rtol=1e-5
    )
    assert s.pca_result() is not plain
    s.spherize = False
    assert s.pca_result() is plain


def test_locate_places_a_row_where_it_is_drawn(data):
    s, _ = make(data)
    s.start()
    s.show(s.prepare("pca", {"components": [2, 0, 1]}))
    np.testing.assert_allclose(s.locate(data[7], 3), s.coords[7], rtol=1e-4, atol=1e-4)
    s.spherize = True
    s.show(s.prepare("pca", {}))
    np.testing.assert_allclose(s.locate(data[7], 2), s.coords[7, :2], rtol=1e-4, atol=1e-4)


def test_custom_axes_on_an_isolated_subset(data):
    meta = {"name": [f"r{i}" for i in range(200)]}
    s, _ = make(data, meta)
    s.start()
    s.isolate(np.arange(0, 200, 2, dtype=np.int64))
    plan = s.prepare("custom", {"x": ["r10", "r20"], "column": "name"})
    s.show(plan)
    assert s.method == "custom" and s.params["x"] == ["r10", "r20"]
    assert s.coords[20, 0] > s.coords[10, 0]
    with pytest.raises(ValueError, match=r"no point matches the left query '\^r11\$'"):
        s.prepare("custom", {"x": ["^r11$", "^r20$"], "column": "name", "regex": True})


def test_large_input_waits_for_the_first_frame_then_refines(monkeypatch):
    monkeypatch.setattr(backend_mod, "EXACT_MAX_ROWS", 500)
    monkeypatch.setattr(session_mod, "REFINE_WAIT_S", 30.0)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3000, 12)) * np.arange(12, 0, -1)).astype(np.float32)
    rec = Recorder()
    m = as_matrix(x)
    s = ProjectionSession(
        backends.in_memory(m),
        list,
        on_coords=lambda c, t: rec.coords.append((c, t)),
        on_progress=rec.progress.append,
    )
    s.start()
    assert not s.refined.wait(0.2)  # waiting for the browser's first complete frame
    s.drawn.set()
    assert s.refined.wait(60)
    assert len(rec.coords) == 1 and rec.coords[0][1] == 0  # the refined PCA, without animation


def test_a_layout_finishing_after_the_matrix_changed_is_not_cached_for_the_new_one(
    data, monkeypatch
):
    import dataclasses
    import threading

    from projector_widget.compute import projections

    started, release = threading.Event(), threading.Event()

    def slow_first_then_instant(rows, params, hooks):
        started.set()
        release.wait(30)
        return np.ascontiguousarray(rows[:, :2])  # a "layout" that tells the matrices apart

    tsne = dataclasses.replace(projections.METHODS["tsne"], run=slow_first_then_instant)
    monkeypatch.setitem(projections.METHODS, "tsne", tsne)
    s, _ = make(data)
    s.start()
    job = s.show(s.prepare("tsne", {"dims": 2}))
    assert started.wait(30)
    other = data[::-1].copy()  # the next step of a sequence: same rows, other vectors
    s.set_backend(backends.in_memory(as_matrix(other)))
    release.set()  # the first job finishes between the new matrix and the rerun
    job.wait(30)
    again = s.show(s.prepare("tsne", {"dims": 2}))
    again.wait(30)
    np.testing.assert_array_equal(s.coords[:, :2], other[:, :2])
