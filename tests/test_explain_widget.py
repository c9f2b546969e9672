"""The widget's cluster(), layout_quality(), show_clusters / show_density, the _clusters
payload the browser draws cluster labels from, and the panel's Find clusters and Check layout,
which run in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.compute.explain import named as explain
from projector_widget.compute.explain import quality
from projector_widget.parts.session import progress_value
from projector_widget.sync import protocol

pytest.importorskip("sklearn")
from sklearn.manifold import trustworthiness  # noqa: E402

NAMES = ["zero", "one", "two", "three", "four", "five"]


@pytest.fixture(scope="module")
def groups() -> tuple[np.ndarray, np.ndarray]:
    """Six digit-like groups of 120 rows in 64 dimensions whose centres lie on a plane (so the
    PCA layout shows them apart), and each row's group."""
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((64, 2)))
    angles = np.arange(6) * 2 * np.pi / 6
    centres = 12 * np.c_[np.cos(angles), np.sin(angles)] @ basis.T
    target = np.repeat(np.arange(6), 120)
    emb = centres[target] + 0.6 * rng.standard_normal((target.size, 64))
    return emb.astype(np.float32), target


def _widget(groups: tuple[np.ndarray, np.ndarray], **kwargs: object) -> Projector:
    emb, target = groups
    meta = {
        "text": [f"a handwritten {NAMES[t]} by writer{i % 40}" for i, t in enumerate(target)],
        "digit": [NAMES[t] for t in target],
        "ink": emb[:, 0].astype(np.float64),
    }
    return Projector(emb, meta, dimensions=2, **kwargs)


def test_cluster_names_the_known_groups_and_adds_the_column(groups):
    _emb, target = groups
    w = _widget(groups)
    table = w.cluster(min_size=40)
    assert w.columns["text"] == "text"
    assert list(table.columns[:3]) == ["cluster", "label", "size"]
    assert {"terms", "weights", "position", "row"} <= set(table.columns)
    assert len(table) == 6
    # Named from the first text column by keywords: each group's own word comes first.
    for _, row in table.iterrows():
        members = np.flatnonzero(np.asarray(w.metadata["cluster"]) == row["cluster"])
        majority = np.bincount(target[members], minlength=6).argmax()
        assert row["terms"][0] == NAMES[majority]
        assert row["size"] == members.size
    column = w.metadata["cluster"]
    assert w.columns["cluster"] == "category"
    clustered = column.notna().to_numpy()
    assert clustered.mean() > 0.9  # most rows are in a cluster; noise is missing
    # Each cluster is one group.
    for c in table["cluster"]:
        assert np.unique(target[np.asarray(column == c)]).size == 1


def test_cluster_named_by_a_category_and_by_number(groups):
    w = _widget(groups)
    table = w.cluster(column="digit", min_size=40)
    assert sorted(table["label"]) == sorted(NAMES)
    assert all(weights[0] > 0.95 for weights in table["weights"])
    with pytest.raises(TypeError, match="holds numbers"):
        w.cluster(column="ink")
    with pytest.raises(KeyError, match="no metadata column 'nope'"):
        w.cluster(column="nope")
    emb, _ = groups
    bare = Projector(emb, dimensions=2)
    assert sorted(bare.cluster(min_size=40)["label"]) == [f"cluster {i}" for i in range(6)]


def test_clusters_payload_anchors_are_rows_of_their_cluster(groups):
    w = _widget(groups)
    w.cluster(min_size=30)
    payload = w._clusters
    assert payload["stale"] is False and payload["column"] == "text" and payload["dims"] == 2
    levels = payload["levels"]
    assert len(levels) == 3
    assert [lv["min_size"] for lv in levels] == [270, 90, 30]
    column = np.asarray(w.metadata["cluster"])
    for level in levels:
        for c in level["clusters"]:
            assert 0 <= c["row"] < w.n_points and c["size"] > 0 and c["label"]
    for c in levels[-1]["clusters"]:  # the finest level is the cluster column
        assert column[c["row"]] == c["cluster"]
    sizes = [c["size"] for c in levels[-1]["clusters"]]
    assert sizes == sorted(sizes, reverse=True)
    # Each cluster names the cluster of the level above that holds it (-1: none).
    assert {c["parent"] for c in levels[0]["clusters"]} == {-1}
    for above, level in zip(levels, levels[1:], strict=False):
        ids = {c["cluster"] for c in above["clusters"]}
        assert all(c["parent"] in ids | {-1} for c in level["clusters"])
        assert any(c["parent"] in ids for c in level["clusters"])


def test_a_new_layout_marks_the_clusters_stale(groups):
    w = _widget(groups)
    w.cluster()
    version = w._clusters["version"]
    w.dimensions = 2  # the same layout: still fresh
    assert w._clusters["stale"] is False
    w.pca(components=(0, 2))
    assert w._clusters["stale"] is True
    w.cluster()
    assert w._clusters["stale"] is False and w._clusters["version"] == version + 1


def test_find_clusters_request_from_the_browser(groups):
    w = _widget(groups)
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    send_from_browser(w, {"type": "clusters", "column": "digit"})
    w._parts.explain.running.wait(WAIT_S)
    assert w._clusters["column"] == "digit"
    assert "cluster" in w.columns
    assert not [m for m in sent if m.get("type") == "error"]
    send_from_browser(w, {"type": "clusters", "column": "ink"})
    assert sent[-1]["type"] == "error" and "holds numbers" in sent[-1]["message"]


def test_show_traits_sync(groups):
    w = _widget(groups, show_density=True)
    assert w.show_density is True and w.show_clusters is False
    state = w.get_state()
    assert state["show_density"] is True and state["show_clusters"] is False
    assert "_clusters" in state
    w.set_state({"show_clusters": True, "show_density": False})  # as the browser sends it
    assert w.show_clusters is True and w.show_density is False


def test_layout_quality_matches_scikit_learn_and_sets_the_column(groups):
    emb, _ = groups
    w = _widget(groups)
    report = w.layout_quality(k=10)
    expected = trustworthiness(
        emb.astype(np.float64), w.coordinates.astype(np.float64), n_neighbors=10
    )
    assert report.trustworthiness == pytest.approx(expected, abs=1e-9)
    assert 0 < report.continuity <= 1 and report.k == 10 and report.exact
    kept = w.metadata["neighbours kept"].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(kept, report.kept, rtol=1e-6)
    assert w.columns["neighbours kept"] == "number"
    w.color_by = "neighbours kept"
    assert "trustworthiness" in repr(report)


def test_layout_quality_of_an_isolated_selection(groups):
    w = _widget(groups)
    w.isolate(np.arange(0, 720, 2))
    report = w.layout_quality(k=5)
    kept = w.metadata["neighbours kept"].to_numpy(dtype=np.float64)
    assert np.isnan(kept[1::2]).all() and not np.isnan(kept[::2]).any()
    assert report.evaluated == 360


def test_more_than_32_clusters_stay_a_categorical_column() -> None:
    # 45 blobs: make_column would type 45 distinct integers as numbers (a colour ramp).
    rng = np.random.default_rng(1)
    centres = np.c_[np.arange(45) % 9, np.arange(45) // 9] * 30.0
    emb = np.repeat(centres, 40, axis=0) + rng.standard_normal((45 * 40, 2))
    w = Projector(emb.astype(np.float32), {"n": np.arange(emb.shape[0])}, dimensions=2)
    table = w.cluster(min_size=20)
    assert len(table) == 45
    assert w.columns["cluster"] == "category"
    w.color_by = "cluster"
    assert w.color_by == "cluster"
    column = w.metadata["cluster"]
    assert column.nunique() == 45
    assert column.isna().sum() == (np.asarray(table["size"]).sum() - emb.shape[0]) * -1


def test_the_cluster_table_keeps_the_names_cluster_levels_found(groups, monkeypatch):
    from projector_widget.compute.explain import clusters

    calls: list[int] = []
    original = clusters.name_clusters

    def counting(*args: object, **kwargs: object):
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(clusters, "name_clusters", counting)
    table = _widget(groups).cluster(min_size=40)
    assert len(calls) == 3  # one c-TF-IDF pass per level, none again for the table
    assert all(
        len(t) == len(wt) and wt for t, wt in zip(table["terms"], table["weights"], strict=True)
    )
    assert list(table["cluster"]) == sorted(table["cluster"])


def test_a_users_own_columns_are_never_overwritten(groups):
    emb, target = groups
    mine = [f"group {t}" for t in target]
    w = Projector(emb, {"cluster": mine, "neighbours kept": list(target)}, dimensions=2)
    with pytest.raises(ValueError, match=r"column 'cluster' of yours.*into="):
        w.cluster(min_size=40)
    with pytest.raises(ValueError, match=r"column 'neighbours kept' of yours.*into="):
        w.layout_quality(k=5)
    # From the browser, too: the request fails with the same message and the user's values stay.
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    send_from_browser(w, {"type": "clusters", "column": ""})
    assert sent[-1]["type"] == "error" and "of yours" in sent[-1]["message"]
    assert list(w.metadata["cluster"]) == mine
    assert list(w.metadata["neighbours kept"]) == list(target)
    # Another name keeps both; calling again replaces only what the widget made.
    w.cluster(min_size=40, into="found")
    w.set_column("found", [None] * len(target))  # now the user's: cluster() must refuse it
    with pytest.raises(ValueError, match="'found' of yours"):
        w.cluster(min_size=40, into="found")
    w.cluster(min_size=40, into="found 2")
    w.cluster(min_size=40, into="found 2")  # the widget's own column: replaced
    assert w.columns["found 2"] == "category" and w.metadata["found 2"].nunique() == 6
    w.layout_quality(k=5, into="kept")
    w.layout_quality(k=6, into="kept")
    assert w.columns["kept"] == "number"
    assert list(w.metadata["cluster"]) == mine
    # A column the user sets under a name the widget made becomes theirs.
    w.set_column("kept", list(range(len(target))))
    with pytest.raises(ValueError, match="'kept' of yours"):
        w.layout_quality(k=5, into="kept")


def test_a_missing_column_reaches_the_browser_without_extra_quotes(groups):
    w = _widget(groups)
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    send_from_browser(w, {"type": "clusters", "column": "nope"})
    message = sent[-1]["message"]
    assert sent[-1]["type"] == "error"
    assert message.startswith("there is no metadata column 'nope'"), message


# ------------------------------------------------------------ the panel's background work
WAIT_S = 60  # a guard against a hung test, never a measured duration


class Gate:
    """Stands in for ``fn`` and holds every call until :attr:`release` is set: the kernel's work
    is still under way meanwhile."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.started.set()
        if not self.release.wait(WAIT_S):
            raise TimeoutError("the test never released the work")
        return self.fn(*args, **kwargs)


def _listening(w: Projector) -> list[dict]:
    sent: list[dict] = []
    w.send = sent.append  # type: ignore[method-assign]
    return sent


def _errors(sent: list[dict]) -> list[str]:
    return [m["message"] for m in sent if m.get("type") == "error"]


def test_find_clusters_runs_in_the_background_one_request_at_a_time(groups, monkeypatch):
    w = _widget(groups)
    sent = _listening(w)
    gate = Gate(explain.find_named_clusters)
    monkeypatch.setattr(explain, "find_named_clusters", gate)
    send_from_browser(w, {"type": "clusters", "column": "digit"})
    # The handler has returned while the work is held: nothing of its result is there yet.
    assert gate.started.wait(WAIT_S)
    assert "cluster" not in w.columns and w._clusters == {} and w.show_clusters is False
    # The kernel still answers other messages.
    send_from_browser(w, {"type": "row", "index": 3})
    assert sent[-1]["type"] == "row" and sent[-1]["index"] == 3
    # A second request, of either kind, is refused with a message saying why.
    send_from_browser(w, {"type": "clusters", "column": ""})
    send_from_browser(w, {"type": "quality", "k": 5})
    refused = _errors(sent)
    assert len(refused) == 2
    assert all(m.startswith("finding clusters is still running in the kernel") for m in refused)
    assert "neighbours kept" not in w.columns
    gate.release.set()
    w._parts.explain.running.wait(WAIT_S)
    # The result lands as w.cluster()'s does, and the names switch on.
    assert w._clusters["column"] == "digit" and w._clusters["stale"] is False
    assert w._clusters["version"] == 1 and w.show_clusters is True
    assert w.columns["cluster"] == "category" and w.metadata["cluster"].nunique() >= 6
    assert len(_errors(sent)) == 2  # no other error
    # Free again: the next request runs (and gets the next version).
    send_from_browser(w, {"type": "clusters", "column": "text"})
    w._parts.explain.running.wait(WAIT_S)
    assert w._clusters["version"] == 2 and w._clusters["column"] == "text"


def test_background_work_shows_its_phases_in_the_status(groups, monkeypatch):
    w = _widget(groups)
    w._parts.session.drawn.set()  # a view is displayed: phases go to _progress
    seen: list[dict] = []
    w.observe(lambda change: seen.append(change["new"]), names="_progress")
    gate = Gate(explain.find_named_clusters)
    monkeypatch.setattr(explain, "find_named_clusters", gate)
    send_from_browser(w, {"type": "clusters", "column": ""})
    assert gate.started.wait(WAIT_S)
    assert w._progress["state"] == "idle" and w._progress["message"] == "finding clusters"
    gate.release.set()
    w._parts.explain.running.wait(WAIT_S)
    messages = [p["message"] for p in seen]
    assert "clustering the layout 3/3 levels" in messages, messages
    assert w._progress == progress_value("pca", "done")  # the projection's state is back


def test_errors_of_background_work_reach_the_panel(groups, monkeypatch):
    w = _widget(groups)
    sent = _listening(w)

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("the layout has too few distinct points to cluster")

    monkeypatch.setattr(explain, "find_named_clusters", failing)
    send_from_browser(w, {"type": "clusters", "column": ""})
    with pytest.raises(ValueError, match="too few distinct points"):
        w._parts.explain.running.wait(WAIT_S)
    assert _errors(sent) == ["the layout has too few distinct points to cluster"]
    assert "cluster" not in w.columns and w._clusters == {}
    # A k the measure refuses: its own message, from the worker thread.
    send_from_browser(w, {"type": "quality", "k": 0})
    with pytest.raises(ValueError):
        w._parts.explain.running.wait(WAIT_S)
    assert _errors(sent)[-1].startswith("k must be"), _errors(sent)
    assert "neighbours kept" not in w.columns and w._quality == {}
    # A bug (not an error a user can act on) still reaches the panel, named.
    monkeypatch.setattr(explain, "find_named_clusters", lambda *a, **k: None)
    send_from_browser(w, {"type": "clusters", "column": ""})
    with pytest.raises(AttributeError):
        w._parts.explain.running.wait(WAIT_S)
    assert _errors(sent)[-1].startswith("AttributeError: "), _errors(sent)
    # Malformed: refused before any work.
    send_from_browser(w, {"type": "quality", "k": 2.5})
    assert _errors(sent)[-1] == "'quality' message: 'k' must be an integer"


def test_a_layout_change_during_the_run_marks_the_result_stale(groups, monkeypatch):
    w = _widget(groups)
    sent = _listening(w)
    asked = w.coordinates
    clusters_gate = Gate(explain.find_named_clusters)
    monkeypatch.setattr(explain, "find_named_clusters", clusters_gate)
    send_from_browser(w, {"type": "clusters", "column": "digit"})
    assert clusters_gate.started.wait(WAIT_S)
    w.pca(components=(0, 2))  # a new layout while the clusters are found
    clusters_gate.release.set()
    w._parts.explain.running.wait(WAIT_S)
    # Found on the layout as it was when asked, and marked stale since it has changed.
    assert w._clusters["stale"] is True and "cluster" in w.columns
    np.testing.assert_array_equal(w._parts.explain._clustered, asked)

    asked = w.coordinates
    quality_gate = Gate(explain.quality_on_rows)
    monkeypatch.setattr(explain, "quality_on_rows", quality_gate)
    send_from_browser(w, {"type": "quality", "k": 5})
    assert quality_gate.started.wait(WAIT_S)
    w.pca(components=(1, 0))
    quality_gate.release.set()
    w._parts.explain.running.wait(WAIT_S)
    assert w._quality["stale"] is True and "neighbours kept" in w.columns
    expected = quality.layout_quality(w.embeddings, asked, 5)
    assert w._quality["trustworthiness"] == pytest.approx(expected.trustworthiness, abs=1e-12)
    assert _errors(sent) == []


def test_an_unchanged_layout_keeps_the_result_fresh(groups, monkeypatch):
    w = _widget(groups)
    gate = Gate(explain.find_named_clusters)
    monkeypatch.setattr(explain, "find_named_clusters", gate)
    send_from_browser(w, {"type": "clusters", "column": ""})
    assert gate.started.wait(WAIT_S)
    w.dimensions = 2  # the same layout again
    gate.release.set()
    w._parts.explain.running.wait(WAIT_S)
    assert w._clusters["stale"] is False


def test_check_layout_from_the_panel_colours_by_the_neighbours_kept(groups):
    emb, _ = groups
    w = _widget(groups)
    sent = _listening(w)
    w.color_map = "rdbu"  # diverging: the check switches to a map whose low end stands out
    send_from_browser(w, {"type": "quality", "k": 7})
    w._parts.explain.running.wait(WAIT_S)
    expected = quality.layout_quality(emb, w.coordinates, 7)
    kept = w.metadata["neighbours kept"].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(kept, expected.kept, rtol=1e-6)
    assert w.color_by == "neighbours kept" and w.color_map == "viridis"
    assert w._quality == {
        "version": 1,
        "column": "neighbours kept",
        "k": 7,
        "metric": "euclidean",
        "exact": True,
        "evaluated": emb.shape[0],
        "trustworthiness": pytest.approx(expected.trustworthiness, abs=1e-12),
        "continuity": pytest.approx(expected.continuity, abs=1e-12),
        "trustworthiness_se": 0.0,
        "continuity_se": 0.0,
        "stale": False,
    }
    assert _errors(sent) == []
    w.color_map = "magma"  # one that already shows low values dark is kept
    send_from_browser(w, {"type": "quality", "k": 5})
    w._parts.explain.running.wait(WAIT_S)
    assert w.color_map == "magma" and w._quality["k"] == 5 and w._quality["version"] == 2
    w.pca(components=(0, 2))
    assert w._quality["stale"] is True


def test_layout_quality_from_python_shows_its_scores_and_keeps_the_colours(groups):
    w = _widget(groups)
    report = w.layout_quality(k=5)
    assert w._quality["trustworthiness"] == report.trustworthiness
    assert w._quality["k"] == 5 and w._quality["stale"] is False
    assert w.color_by == "digit" and w.color_map == "viridis"


def test_quality_requests_parse_to_their_typed_form():
    assert protocol.parse_request({"type": "quality", "k": 7}) == protocol.CheckLayout(7)
    for bad in ({"type": "quality"}, {"type": "quality", "k": "7"}, {"type": "quality", "k": True}):
        with pytest.raises(protocol.ProtocolError, match="'k' must be an integer"):
            protocol.parse_request(bad)


def test_a_category_mostly_empty_in_a_cluster_names_it_cluster_n(groups):
    emb, target = groups
    tag = ["" if t < 3 else NAMES[t] for t in target]  # half the groups have no tag
    w = Projector(emb, {"tag": tag}, dimensions=2)
    table = w.cluster(column="tag")
    labels = dict(zip(table["cluster"], table["label"], strict=True))
    assert "" not in labels.values()
    shown = {c["label"] for level in w._clusters["levels"] for c in level["clusters"]}
    assert "" not in shown and any(label.startswith("cluster ") for label in shown)
    assert {"three", "four", "five"} <= set(labels.values())
