"""Issue 3's Python side: projections, search, neighbours, labels, isolation, bookmarks, links."""

from __future__ import annotations

import json
import re
import sys
import threading

import decoders
import numpy as np
import pytest
from frontend import send_from_browser

from projector_widget import Projector, link_selection
from projector_widget.compute.neighbours import nearest
from projector_widget.util.extras import MissingExtra


@pytest.fixture
def words():
    rng = np.random.default_rng(0)
    base = {"man": 0, "woman": 1, "king": 2, "queen": 3, "boy": 4, "girl": 5}
    emb = rng.standard_normal((300, 24)).astype(np.float32)
    gender = np.zeros(24, np.float32)
    gender[0] = 20.0
    royal = np.zeros(24, np.float32)
    royal[1] = 20.0
    names = [f"w{i}" for i in range(300)]
    for word, i in base.items():
        names[i] = word
    emb[1] += gender
    emb[3] += gender + royal
    emb[2] += royal
    emb[5] += gender
    kind = ["royal" if i in (2, 3) else "common" for i in range(300)]
    return emb, {"word": names, "kind": kind}


def test_nearest_matches_brute_force_both_metrics():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2000, 32)).astype(np.float32)
    w = Projector(x)
    for metric in ("cosine", "euclidean"):
        idx, dist = w.nearest(17, k=7, metric=metric)
        x64 = x.astype(np.float64)
        if metric == "cosine":
            norms = np.linalg.norm(x64, axis=1)
            ref = 1 - (x64 @ x64[17]) / (norms * norms[17])
        else:
            ref = np.linalg.norm(x64 - x64[17], axis=1)
        ref[17] = np.inf
        expected = np.argsort(ref, kind="stable")[:7]
        assert idx.tolist() == expected.tolist()
        np.testing.assert_allclose(dist, ref[expected], rtol=1e-4, atol=1e-5)
        assert 17 not in idx and np.all(np.diff(dist) >= 0)
    with pytest.raises(ValueError, match="metric must be one of"):
        w.nearest(0, metric="manhattan")
    with pytest.raises(IndexError, match="out of range"):
        w.nearest(2000)


def test_nearest_with_vector_and_candidates():
    x = np.eye(5, dtype=np.float32) + 0.01
    idx, _ = nearest(x, np.einsum("ij,ij->i", x, x), x[2], k=2, candidates=np.array([0, 1, 2]))
    assert idx[0] == 2 and set(idx.tolist()) <= {0, 1, 2}


def test_focus_sends_neighbours_with_labels(words):
    emb, meta = words
    w = Projector(emb, meta, label_by="word")
    w.focus = 1
    nb = w._neighbors
    assert nb["index"] == 1 and len(nb["labels"]) == 10
    assert nb["column"] == "word"  # which column the labels are of (the inspector says)
    assert np.frombuffer(nb["indices"], "<u4").tolist() == w.nearest(1)[0].tolist()
    w.k_neighbors = 3
    assert len(w._neighbors["labels"]) == 3
    w.focus = -1
    assert w._neighbors == {}
    with pytest.raises(IndexError):
        w.focus = 300


def test_search_substring_regex_and_errors(words):
    emb, meta = words
    w = Projector(emb, meta)
    hits = w.search("man", column="word")
    assert hits.tolist() == [0, 1] and w.selected.tolist() == [0, 1]
    assert w.search("^(king|queen)$", column="word", regex=True).tolist() == [2, 3]
    assert w.search("ROYAL").tolist() == [2, 3]  # any column, case-insensitive
    assert w.search("ROYAL", case=True, select=False).size == 0
    with pytest.raises(ValueError, match="invalid regular expression"):
        w.search("(", regex=True)
    with pytest.raises(ValueError, match="no metadata column 'nope'"):
        w.search("x", column="nope")


def test_custom_projection_axis_points_from_left_to_right(words):
    emb, meta = words
    w = Projector(emb, meta)
    w.project("custom", x=("^man$", "^woman$"), y=("^king$", "^queen$"), column="word", regex=True)
    c = w.coordinates
    assert w.projection == "custom"
    assert c[1, 0] > c[0, 0] + 3  # woman to the right of man
    assert c[3, 0] > c[2, 0] + 3  # queen to the right of king
    with pytest.raises(ValueError, match="no point matches the right query 'zebra'"):
        w.project("custom", x=("man", "zebra"), column="word")


def test_pca_components_choice_and_transition(words):
    emb, meta = words
    w = Projector(emb, meta, dimensions=3)
    full = w.coordinates.copy()  # PCA components 0, 1, 2
    w.project("pca", components=[2, 0, 1])
    np.testing.assert_allclose(w.coordinates[:, 0], full[:, 2], rtol=1e-5, atol=1e-5)
    assert w._points["transition_ms"] > 0
    assert w.projection_params == {"components": [2, 0, 1]}
    with pytest.raises(ValueError, match="components must be"):
        w.project("pca", components=[0, 10])


def test_spherize_normalises_before_projecting(words):
    emb, meta = words
    w = Projector(emb * np.linspace(1, 50, 300)[:, None].astype(np.float32), meta)
    before = w.explained_variance_ratio.copy()
    w.spherize = True
    after = w.explained_variance_ratio
    assert not np.allclose(before, after)
    # Spherized rows are unit vectors around the mean: the PCA of every row sees no scale.
    assert w.projection_params == {"components": [0, 1, 2]} and w.spherize


def test_tsne_streams_frames_and_finishes(words):
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    pca_layout = w._points["layout"]
    frames = []
    w.observe(lambda c: frames.append(c["new"]["layout"]), "_points")
    job = w.project("tsne", perplexity=10, n_iter=120, seed=3)
    assert job is not None
    w.wait(120)
    assert w.projection == "tsne" and w.dimensions == 2
    assert len(frames) >= 3
    # Every frame is of one new layout: the page frames it once, then follows it as it grows.
    assert len(set(frames)) == 1 and frames[0] != pca_layout
    assert w._progress["state"] == "done"
    assert w.coordinates.shape == (300, 2) and np.isfinite(w.coordinates).all()


def test_layouts_follow_the_view_dimensions(words):
    """One default for Python and the panel: a layout has the view's dimensions (2 at first)."""
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    assert w.dimensions == 2
    w.dimensions = 3
    w.tsne(perplexity=5, n_iter=20, wait=True)  # as the panel's Run in the 3-D view
    assert w.dimensions == 3 and w.projection_params["dims"] == 3
    assert w.coordinates.shape == (300, 3)
    w.tsne(perplexity=5, n_iter=20, dims=2, wait=True)  # dims= switches the view
    assert w.dimensions == 2 and w.coordinates.shape == (300, 2)


def test_changing_dimensions_of_a_tsne_layout_keeps_it_until_the_new_one(words):
    """The 2D/3D switch runs t-SNE again: no frames (no collapse to its start), one new layout."""
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    w.tsne(perplexity=5, n_iter=40, seed=1, wait=True)
    before = w._points
    sent = []
    w.observe(lambda c: sent.append(c["new"]), "_points")
    w.dimensions = 3
    assert w.job is not None and w.job.method == "tsne"
    w.wait(120)
    assert w._progress["state"] == "done" and w.projection_params["dims"] == 3
    assert [p["dims"] for p in sent] == [3]  # the finished 3-D layout only
    assert sent[0]["layout"] != before["layout"]
    assert w.coordinates.shape == (300, 3)


def test_stopping_a_dimension_switch_shows_the_layout_in_the_dimensions_asked_for(
    words, monkeypatch
):
    """Stopped, the run leaves the layout it would have replaced on screen (not one stopped
    half-way), in the view's new dimensions (never a view that says 3-D while it draws 2-D)."""
    open_tsne = pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    w.tsne(perplexity=5, n_iter=10, wait=True)
    before = w.coordinates.copy()
    gate = threading.Event()
    calibrate = open_tsne.affinity.joint_probabilities_nn

    def held(*args, **kwargs):
        gate.wait(30)
        return calibrate(*args, **kwargs)

    monkeypatch.setattr(open_tsne.affinity, "joint_probabilities_nn", held)
    w.dimensions = 3
    assert w._points["dims"] == 2  # the 2-D layout stays while the 3-D one is computed
    job = w.job
    job.stop()  # as the panel's Stop: takes effect once the held step returns
    gate.set()
    w.wait(60)
    assert w._progress["state"] == "stopped"
    assert w._points["dims"] == 3 and w.dimensions == 3
    np.testing.assert_allclose(w.coordinates[:, :2], before, atol=1e-6)


def test_tsne_pause_resume_stop(words):
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(
        np.tile(emb, (4, 1))
        + np.random.default_rng(0).normal(size=(1200, 24)).astype(np.float32) * 0.1
    )
    job = w.project("tsne", n_iter=5000, seed=1)
    deadline = __import__("time").monotonic() + 60
    while job.iteration < 20 and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    w.pause()
    # The job pauses at its next checkpoint (every few iterations; slow on a loaded machine).
    while w._progress["state"] != "paused" and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    it = job.iteration
    __import__("time").sleep(0.7)
    assert job.iteration == it and w._progress["state"] == "paused"
    w.resume()
    w.stop()
    assert not job.running and job.state == "stopped"
    assert w._progress["state"] == "stopped"
    assert np.isfinite(w.coordinates).all()


def test_umap_reports_progress(words):
    pytest.importorskip("umap")
    emb, meta = words
    w = Projector(emb, meta)
    states = []
    w.observe(
        lambda c: states.append((c["new"]["state"], c["new"]["iteration"], c["new"]["total"])),
        "_progress",
    )
    w.project("umap", n_neighbors=10, min_dist=0.2, wait=True)
    assert w.projection == "umap" and w.coordinates.shape == (300, 2)
    assert states[-1][0] == "done"
    assert any(total > 1 and 0 < it for _, it, total in states), states[:10]


@pytest.mark.parametrize(("method", "module"), [("tsne", "openTSNE"), ("umap", "umap")])
def test_a_missing_extra_raises_at_the_call_and_changes_nothing(words, monkeypatch, method, module):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    emb, meta = words
    w = Projector(emb, meta)
    install = f'pip install "projector-widget[{method}]"'
    with pytest.raises(MissingExtra) as info:
        w.project(method)
    assert isinstance(info.value, ImportError) and info.value.install == install
    assert install in str(info.value)
    with pytest.raises(MissingExtra, match=re.escape(install)):
        getattr(w, method)()
    with pytest.raises(MissingExtra, match=re.escape(install)):
        w.projection = method  # what the panel's method menu sets
    assert w.projection == "pca" and w.projection_params == {"components": [0, 1, 2]}
    assert w.job is None


def test_missing_extra_is_an_actionable_error(words, monkeypatch):
    # Installed (found) but broken: its import fails in the job, which names the extra.
    import importlib

    real = importlib.import_module

    def fake(name, *a, **k):
        if name == "openTSNE":
            raise ImportError("no")
        return real(name, *a, **k)

    monkeypatch.setattr(importlib, "import_module", fake)
    emb, meta = words
    w = Projector(emb, meta)
    with pytest.raises(ImportError, match=r"projector-widget\[tsne\]"):
        w.project("tsne", wait=True)


def test_isolate_keeps_original_indices(words):
    emb, meta = words
    w = Projector(emb, meta)
    w.selected = list(range(100, 150))
    w.isolate()
    assert w._isolated and np.frombuffer(w._points["visible"], np.uint8).sum() == 50
    w.project("pca")
    assert w.isolated.tolist() == list(range(100, 150))
    idx, _ = w.nearest(120, k=5)
    assert set(idx.tolist()) <= set(range(100, 150))
    hits = w.search("w1", column="word")
    assert hits.min() >= 100
    w.show_all()
    assert not w._isolated and "visible" not in w._points


def test_labels_payload_and_edit(words):
    emb, meta = words
    w = Projector(emb, meta, label_by="word")
    labels = decoders.decode_labels(w._labels)
    assert len(labels) == 300 and labels[2] == "king"
    w.selected = [0, 1]
    assert w.label_selection("kind", "person") == 2
    md = w.metadata
    assert md["kind"][0] == "person" and md["kind"][5] == "common"
    assert "person" in next(c for c in w._columns if c["name"] == "kind")["categories"]
    w.label_selection("note", "checked", rows=[7])
    assert w.metadata["note"][7] == "checked" and w.columns["note"] == "category"
    with pytest.raises(ValueError, match="numeric"):
        Projector(emb, {"v": np.arange(300.0)}, selected=[1]).label_selection("v", "abc")


def test_bookmarks_round_trip(words):
    emb, meta = words
    w = Projector(emb, meta, dimensions=3)
    w.selected = [1, 2, 3]
    w.color_by = "kind"
    w.camera = {"dims": 3, "target": [0, 0, 0], "yaw": 0.3, "pitch": 0.1, "distance": 5}
    w.save_bookmark("three")
    w.selected = []
    w.project("pca", components=[1, 2, 0])
    w.dimensions = 2
    w.restore_bookmark("three")
    assert w.selected.tolist() == [1, 2, 3] and w.dimensions == 3
    assert w.projection_params == {"components": [0, 1, 2]} and w.camera["yaw"] == 0.3
    text = w.bookmarks_to_json()
    w2 = Projector(emb, meta)
    w2.load_bookmarks(text)
    assert w2.bookmarks == [{"name": "three"}]
    w2.restore_bookmark("three")
    assert w2.selected.tolist() == [1, 2, 3]
    assert json.loads(text)["bookmarks"][0]["color_by"] == "kind"
    with pytest.raises(ValueError, match="lacks"):
        w2.load_bookmarks(json.dumps([{"name": "x"}]))


def test_semantic_query_with_encoder(words):
    emb, meta = words
    vocab = {m: emb[i] for i, m in enumerate(meta["word"])}
    w = Projector(emb, meta, encoder=lambda texts: np.stack([vocab[t] for t in texts]))
    idx, dist = w.query("queen", k=3)
    assert idx[0] == 3 and dist[0] < 1e-5
    assert w._neighbors["query"] == "queen" and len(w._query_point["coords"]) == 2
    np.testing.assert_allclose(w._query_point["coords"], w.coordinates[3], rtol=1e-3, atol=1e-3)
    bad = Projector(emb, meta, encoder=lambda texts: np.zeros((1, 5)))
    with pytest.raises(ValueError, match="expected one vector of 24"):
        bad.query("x")
    with pytest.raises(ValueError, match="no encoder"):
        Projector(emb).query("x")


def test_sprites_atlas_layout():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 17, (50, 8, 8))
    w = Projector(rng.standard_normal((50, 4)), images=imgs)
    s = w._sprites
    assert s["thumb"] == 8 and w.show_images
    atlas = np.frombuffer(s["data"], np.uint8).reshape(s["height"], s["width"], 4)
    i = 13
    r, c = divmod(i, s["per_row"])
    tile = atlas[r * 8 : (r + 1) * 8, c * 8 : (c + 1) * 8, 0]
    np.testing.assert_array_equal(tile, (imgs[i] * (255.0 / imgs.max())).astype(np.uint8))
    with pytest.raises(ValueError, match="images has 3 images but embeddings have 50"):
        Projector(rng.standard_normal((50, 4)), images=imgs[:3])


def test_link_selection_both_ways(words):
    emb, meta = words
    a = Projector(emb, meta)
    b = Projector(emb[:, ::-1].copy(), meta)
    link = link_selection(a, b)
    a.selected = [4, 5]
    assert b.selected.tolist() == [4, 5]
    b.selected = [9]
    assert a.selected.tolist() == [9]
    link.unlink()
    a.selected = [1]
    assert b.selected.tolist() == [9]
    with pytest.raises(ValueError, match=r"\[300, 10\] points"):
        link_selection(a, Projector(emb[:10]))


def test_ui_messages_route_and_errors_are_reported(words, monkeypatch):
    emb, meta = words
    w = Projector(emb, meta)
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "search", "query": "queen", "column": "word", "regex": False})
    assert sent[-1] == {"type": "search", "query": "queen", "count": 1} and w.selected.tolist() == [
        3
    ]
    send_from_browser(w, {"type": "search", "query": "(", "regex": True})
    assert sent[-1]["type"] == "error" and "regular expression" in sent[-1]["message"]
    send_from_browser(w, {"type": "project", "method": "pca", "params": {"components": [1, 0, 2]}})
    assert w.projection_params["components"] == [1, 0, 2]
    send_from_browser(w, {"type": "isolate"})
    assert w._isolated
    send_from_browser(w, {"type": "show_all"})
    send_from_browser(w, {"type": "bookmark", "action": "save", "name": "a"})
    assert w.bookmarks == [{"name": "a"}]
    send_from_browser(w, {"type": "label", "column": "kind", "value": "x"})
    assert sent[-1] == {"type": "label", "column": "kind", "count": 1}


def test_typed_entry_points_and_ecosystem_names(words):
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    w.tsne(perplexity=5, max_iter=20, random_state=3, n_components=3, wait=True)
    assert w.projection_params["seed"] == 3 and w.projection_params["n_iter"] == 20
    assert w.dimensions == 3
    with pytest.raises(ValueError, match="give 'seed' or its alias 'random_state', not both"):
        w.project("tsne", seed=1, random_state=2)
    with pytest.raises(TypeError, match=r"tsne\(\) got unexpected parameter\(s\) \['bogus'\]"):
        w.tsne(bogus=1)
    w.pca((2, 0))
    assert w.projection == "pca" and w.projection_params == {"components": [2, 0, 1]}
    w.custom(("man", "woman"), column="word")
    assert w.projection == "custom"
    import inspect

    assert "perplexity" in inspect.signature(Projector.tsne).parameters  # tab completion, help()


def test_done_is_reported_after_the_final_layout_is_in_place(words):
    """An observer of `_progress` that sees "done" reads the job's final layout, not a frame."""
    pytest.importorskip("openTSNE")
    emb, meta = words
    w = Projector(emb, meta)
    seen: list[np.ndarray] = []

    def on_progress(change):
        if change["new"].get("state") == "done":
            seen.append(w.coordinates.copy())

    w.observe(on_progress, "_progress")
    job = w.project("tsne", perplexity=10, n_iter=120, seed=3)
    assert job is not None
    result = job.wait(120)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], w.coordinates)
    np.testing.assert_allclose(seen[0][:, :2], np.asarray(result)[:, :2], rtol=1e-5, atol=1e-5)
