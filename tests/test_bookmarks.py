"""bookmarks.py and restoring one: a restore is one transaction that runs one projection."""

from __future__ import annotations

import numpy as np
import pytest

from projector_widget import Projector
from projector_widget.bookmarks import BookmarkStore


def _mark(name: str, selected: list[int]) -> dict:
    return {
        "name": name,
        "projection": "pca",
        "projection_params": {"components": [0, 1, 2]},
        "dimensions": 3,
        "spherize": False,
        "camera": {},
        "color_by": "",
        "label_by": "",
        "selected": selected,
        "focus": -1,
        "isolated": None,
    }


def test_store_keeps_order_replaces_by_name_and_loads_all_or_nothing():
    store = BookmarkStore()
    store.put(_mark("a", [1]))
    store.put(_mark("b", [2]))
    store.put(_mark("a", [3]))
    assert store.names() == ["a", "b"] and store.get("a")["selected"] == [3]
    text = store.to_json()
    other = BookmarkStore()
    other.load(text, 10)
    assert other.names() == ["a", "b"]
    bad = BookmarkStore()
    with pytest.raises(IndexError, match="selects row 3, beyond 3 points"):
        bad.load(text, 3)
    assert bad.names() == []
    with pytest.raises(ValueError, match=r"no bookmark named 'z'; bookmarks are \['a', 'b'\]"):
        store.get("z")
    store.delete("a")
    assert store.names() == ["b"]


@pytest.fixture
def w():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((200, 8)) * np.linspace(1, 20, 200)[:, None]).astype(np.float32)
    return Projector(x, {"word": [f"w{i}" for i in range(200)]})


def _count(w: Projector, name: str) -> list:
    seen: list = []
    w.observe(lambda c: seen.append(c["new"]), name)
    return seen


def test_restore_with_other_spherize_runs_one_projection(w):
    w.spherize = True
    w.project("pca", components=[1, 0, 2])
    w.selected = [4, 5]
    w.save_bookmark("sph")
    saved = w.coordinates.copy()
    w.spherize = False
    w.project("pca", components=[0, 1, 2])
    points = _count(w, "_points")
    w.restore_bookmark("sph")
    assert len(points) == 1, "a restore sends the points of one projection, once"
    assert w.spherize and w.projection_params == {"components": [1, 0, 2]}
    assert w.selected.tolist() == [4, 5]
    np.testing.assert_allclose(w.coordinates, saved, rtol=1e-5, atol=1e-5)


def test_restore_of_a_layout_starts_one_job(w):
    pytest.importorskip("openTSNE")
    w.project("tsne", n_iter=30, perplexity=5, wait=True)
    w.save_bookmark("t")
    w.spherize = True  # reruns t-SNE on the spherized rows
    w.wait()
    w.project("pca")
    progress = _count(w, "_progress")
    w.restore_bookmark("t")
    w.wait(120)
    starts = [p for p in progress if p["state"] == "running" and p["iteration"] == 0]
    assert len(starts) == 1 and not w.spherize and w.projection == "tsne"


def test_restore_that_cannot_be_computed_changes_nothing(w):
    w.project("custom", x=("w1", "w2"), column="word")
    w.isolate(list(range(0, 200, 2)))
    w.save_bookmark("c")
    w.show_all()
    w.project("pca", components=[2, 1, 0])
    mark = w._bookmark_store.get("c")
    mark["projection_params"] = {**mark["projection_params"], "x": ["nothing-matches", "w2"]}
    before = (w.projection, dict(w.projection_params), w.coordinates.copy(), w.isolated)
    with pytest.raises(ValueError, match="no point matches"):
        w.restore_bookmark("c")
    assert (w.projection, w.projection_params) == before[:2] and w.isolated is None
    np.testing.assert_array_equal(w.coordinates, before[2])


def test_assigning_custom_or_unknown_projection_changes_nothing(w):
    with pytest.raises(ValueError, match="custom projection needs its axes"):
        w.projection = "custom"
    with pytest.raises(ValueError, match="projection must be one of"):
        w.projection = "mds"
    assert w.projection == "pca"
