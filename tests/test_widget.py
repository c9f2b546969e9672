"""The Projector's Python API, without a browser: traits, selection rules and the wire values."""

from __future__ import annotations

import base64
import json
import re

import decoders
import numpy as np
import pandas as pd
import pytest
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.parts import files
from projector_widget.sync import wire as encoding


@pytest.fixture
def emb() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((200, 16)).astype(np.float32)


def test_construct_sends_binary_points_and_columns(emb):
    labels = [f"c{i % 5}" for i in range(200)]
    w = Projector(emb, {"label": labels, "score": np.linspace(0, 1, 200)})
    assert w.n_points == 200
    assert w.dimensions == 2 and w._points["dims"] == 2  # the first view is 2-D (README)
    assert isinstance(w._points["data"], memoryview)
    assert w._points["data"].nbytes == 200 * 2 * 2
    np.testing.assert_allclose(
        decoders.decode_points(w._points), w.coordinates, atol=1e-4 * np.ptp(w.coordinates)
    )
    kinds = [c["kind"] for c in w._columns]
    assert kinds == ["category", "number"]
    assert isinstance(w._columns[0]["codes"], memoryview)
    assert w.color_by == "label"


def test_state_has_no_json_number_lists(emb):
    w = Projector(emb, [f"c{i % 5}" for i in range(200)])
    state = w.get_state()

    def walk(v, path="state"):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}")
        elif isinstance(v, list):
            assert len(v) <= 16 or not all(isinstance(x, (int, float)) for x in v), path

    walk(state)


def test_dimensions_switch_resends_points(emb):
    w = Projector(emb, dimensions=2)
    assert w._points["dims"] == 2 and w.coordinates.shape == (200, 2)
    w.dimensions = 3
    assert w._points["dims"] == 3 and w.coordinates.shape == (200, 3)
    with pytest.raises(ValueError, match="dimensions must be 2 or 3"):
        w.dimensions = 4
    assert w.dimensions == 3


def test_selected_normalised_sorted_int64_and_observed(emb):
    w = Projector(emb)
    seen = []
    w.observe(lambda c: seen.append(c["new"].tolist()), "selected")
    w.selected = [42, 3, 17, 3]
    assert w.selected.dtype == np.int64
    assert w.selected.tolist() == [3, 17, 42]
    w.selected = np.array([3, 17, 42])  # same selection: no event
    w.selected = np.zeros(200, bool)
    w.selected = []  # already empty: no event
    mask = np.zeros(200, bool)
    mask[[1, 2]] = True
    w.selected = mask
    assert seen == [[3, 17, 42], [], [1, 2]]
    with pytest.raises(ValueError, match="read-only"):
        w.selected[0] = 5


@pytest.mark.parametrize(
    ("value", "exc", "pattern"),
    [
        ([0, 200], IndexError, "index 200 is out of range: the projector has 200 points"),
        ([-1], IndexError, "index -1 is out of range"),
        ([1.5], ValueError, "integer row indices"),
        (["a"], ValueError, "integer row indices"),
        (np.zeros(10, bool), ValueError, r"shape \(200,\)"),
        ([True, False], ValueError, r"shape \(200,\)"),  # a bool list is a mask, like an array
        ([1e20], IndexError, r"index 1e\+20 is out of range"),
        (np.array([2**64 - 1], np.uint64), IndexError, "index 18446744073709551615 is out"),
        ([2**70], IndexError, f"index {2**70} is out of range"),
        (np.array([[1, 2], [3, 4]]), ValueError, r"1-D sequence .* shape \(2, 2\)"),
        (7, TypeError, r"for one row write \[7\]"),
        ([float("nan")], ValueError, "integer row indices; got nan"),
        ([True, 3], ValueError, "mixes booleans and row indices"),
    ],
)
def test_bad_selection_changes_nothing(emb, value, exc, pattern):
    w = Projector(emb, selected=[5, 6])
    with pytest.raises(exc, match=pattern):
        w.selected = value
    assert w.selected.tolist() == [5, 6]


def test_every_boolean_sequence_is_a_mask(emb):
    w = Projector(emb)
    mask = [i in (4, 9) for i in range(200)]
    for value in (mask, tuple(mask), np.array(mask), pd.Series(mask)):
        w.selected = []
        w.selected = value
        assert w.selected.tolist() == [4, 9]
    w.selected = pd.Series([7, 3])  # a Series of ints holds indices
    assert w.selected.tolist() == [3, 7]


def test_a_selection_buffer_of_odd_length_is_refused_precisely(emb):
    w = Projector(emb, selected=[1])
    with pytest.raises(ValueError, match=r"4 bytes each\); got 6 bytes"):
        w.set_state({"selected": {"indices": memoryview(b"\x01\x00\x00\x00\x02\x00")}})
    assert w.selected.tolist() == [1]


def test_selection_from_browser_buffer(emb):
    w = Projector(emb)
    seen = []
    w.observe(lambda c: seen.append(c["new"].tolist()), "selected")
    # What ipywidgets does with a state message from the browser.
    w.set_state({"selected": {"indices": memoryview(np.array([9, 2], "<u4"))}})
    assert w.selected.tolist() == [2, 9] and seen == [[2, 9]]
    assert w.get_state("selected")["selected"]["indices"].nbytes == 8


def test_selection_from_browser_is_acknowledged_before_observers_run(emb, monkeypatch):
    """The browser redraws a large selection once the kernel has it: the receipt comes first."""
    w = Projector(emb)
    events = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: events.append(content["type"]))
    w.observe(lambda c: events.append("observer"), "selected")
    w.set_state({"selected": {"indices": memoryview(np.array([4], "<u4"))}})
    assert events == ["selected_ack", "observer"]
    events.clear()
    w.set_state({"point_size": 3.0})  # other state: no receipt
    assert events == []


def test_color_by_validation(emb):
    words = [f"w{i}" for i in range(200)]
    w = Projector(emb, {"word": words, "v": np.arange(200) * 0.5})
    assert w.columns == {"word": "text", "v": "number"}
    assert w.color_by == "v"
    with pytest.raises(ValueError, match="free text"):
        w.color_by = "word"
    with pytest.raises(ValueError, match="no metadata column 'nope'.*'v'"):
        Projector(emb, {"v": np.arange(200)}, color_by="nope")
    w.color_by = ""


def test_metadata_property_is_dataframe(emb):
    w = Projector(emb, {"label": ["a", "b"] * 100, "v": np.arange(200.0)})
    md = w.metadata
    assert isinstance(md, pd.DataFrame)
    assert list(md.columns) == ["label", "v"] and md["label"][1] == "b"


def test_errors_surface_at_construction(emb):
    with pytest.raises(ValueError, match="199 rows but embeddings have 200"):
        Projector(emb, ["x"] * 199)
    bad = emb.copy()
    bad[150, 3] = np.nan
    with pytest.raises(ValueError, match="row 150"):
        Projector(bad)


def test_row_request_answers_with_text(emb, monkeypatch):
    w = Projector(emb, {"name": ["<b>x</b>"] * 200, "v": np.arange(200) / 3})
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "row", "index": 4})
    send_from_browser(w, {"type": "row", "index": 999})
    assert sent == [
        {"type": "row", "index": 4, "values": [["name", "<b>x</b>"], ["v", "1.3333333333333333"]]}
    ]


def test_explained_variance_available(emb):
    w = Projector(emb)
    r = w.explained_variance_ratio
    assert r.shape == (10,) and np.all(np.diff(r) <= 1e-9) and 0 < r.sum() <= 1 + 1e-6


def test_large_input_pca_is_refined_in_the_background():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(3)
    scales = 1.0 / np.arange(1, 21)
    x = (
        rng.standard_normal((80_000, 20)) * scales
        + rng.standard_normal((6, 20))[rng.integers(0, 6, 80_000)]
    ).astype(np.float32)
    w = Projector(x, dimensions=3)
    # It waits for the browser's first complete frame (or REFINE_WAIT_S) before using the CPU.
    assert not w.pca_refined.wait(0.3)
    send_from_browser(w, {"type": "drawn"})
    assert w.pca_refined.wait(60)
    ref = PCA(3, svd_solver="full").fit_transform(x.astype(np.float64))
    for i in range(3):
        corr = np.corrcoef(w.coordinates[:, i], ref[:, i])[0, 1]
        assert abs(corr) > 0.99999, (i, corr)
    np.testing.assert_allclose(
        decoders.decode_points(w._points), w.coordinates, atol=2e-4 * np.ptp(w.coordinates)
    )


def test_assigning_an_array_does_not_freeze_the_callers_array(emb):
    w = Projector(emb)
    mine = np.array([1, 5, 9])
    w.selected = mine
    mine[0] = 2  # still writable
    assert w.selected.tolist() == [1, 5, 9]


@pytest.fixture
def small_parts(monkeypatch):
    """Progressive sending from 100 points on: a first part of 64 rows, then the rest."""
    monkeypatch.setattr(encoding, "PROGRESSIVE_MIN_POINTS", 100)
    monkeypatch.setattr(encoding, "FIRST_PART_POINTS", 64)


def test_large_points_are_sent_in_parts_on_request(small_parts):
    rng = np.random.default_rng(0)
    w = Projector(rng.standard_normal((300, 8)), dimensions=3)
    first = w._points
    assert first["n"] == 300 and first["loaded"] == 64 and first["transition_ms"] == 0
    assert first["data"].nbytes == 64 * 3 * 2
    assert w._points_rest == {}  # nothing before the browser asks (its first frame comes first)
    # What the browser asks once it has the first part: the rest comes as the _points_rest
    # trait, so saved widget state holds it too.
    send_from_browser(w, {"type": "points", "version": first["version"], "start": 64})
    rest = w._points_rest
    assert (rest["version"], rest["start"], rest["count"]) == (first["version"], 64, 236)
    whole = decoders.join_parts(first, rest)
    assert whole is not None
    np.testing.assert_allclose(
        decoders.decode_points(whole), w.coordinates, atol=2e-4 * np.ptp(w.coordinates)
    )
    # A stale version or a malformed request changes nothing.
    w._points_rest = {}
    send_from_browser(w, {"type": "points", "version": first["version"] + 1, "start": 64})
    send_from_browser(w, {"type": "points", "version": first["version"], "start": "64"})
    assert w._points_rest == {}


def test_later_points_replace_whole_and_supersede_the_parts(small_parts):
    rng = np.random.default_rng(1)
    w = Projector(rng.standard_normal((300, 8)), dimensions=3)
    version = w._points["version"]
    send_from_browser(w, {"type": "points", "version": version, "start": 64})
    assert w._points_rest["count"] == 236
    w.dimensions = 2  # points already on screen: sent whole, no blink through a partial set
    assert "loaded" not in w._points and w._points["data"].nbytes == 300 * 2 * 2
    assert w._points_rest == {}  # no stale rows left in the state (a saved notebook's size)
    send_from_browser(w, {"type": "points", "version": version, "start": 64})
    assert w._points_rest == {}


def test_embedded_state_holds_every_row_before_any_browser_asked(small_parts):
    """ipywidgets.embed (and what saves a notebook's widgets from the kernel) gets the first
    part and its rest: every row, though no browser ever displayed the widget."""
    from ipywidgets import embed

    rng = np.random.default_rng(2)
    w = Projector(rng.standard_normal((300, 8)))
    assert w._points["loaded"] == 64 and w._points_rest == {}
    data = embed.embed_data(views=[w])["manager_state"]["state"][w.model_id]
    state = data["state"]
    for buf in data["buffers"]:  # base64 buffers back into the state, as a widget manager does
        target = state
        for key in buf["path"][:-1]:
            target = target[key]
        target[buf["path"][-1]] = memoryview(base64.b64decode(buf["data"]))
    whole = decoders.join_parts(state["_points"], state["_points_rest"])
    assert whole is not None and whole["n"] == 300
    np.testing.assert_allclose(
        decoders.decode_points(whole), w.coordinates, atol=2e-4 * np.ptp(w.coordinates)
    )
    assert [b["path"][0] for b in data["buffers"]].count("_points_rest") == 1
    # The live trait is untouched: nothing was sent to a browser.
    assert w._points_rest == {}

    # The saved page embeds every point, even of a first value still sent in parts.
    fresh = Projector(rng.standard_normal((300, 8)))
    assert fresh._points["loaded"] == 64
    state = files.page_payload(fresh._parts, fresh.get_state())["state"]["_points"]
    assert "loaded" not in state and state["n"] == 300


def test_isolated_or_small_points_are_never_split(small_parts):
    rng = np.random.default_rng(2)
    assert "loaded" not in Projector(rng.standard_normal((90, 4)))._points


@pytest.mark.parametrize(
    ("name", "value", "exc", "pattern"),
    [
        ("focus", True, TypeError, "focus must be a row index"),
        ("height", 5, ValueError, r"height \(pixels\) must be between 120"),
        ("height", True, TypeError, "whole number"),
        ("point_size", float("nan"), TypeError, "finite number"),
        ("point_size", 1e6, ValueError, "between 0 and 256"),
        ("k_neighbors", True, TypeError, "whole number"),
        ("camera", {"dims": 2, "center": [0, float("inf")], "zoom": 1}, ValueError, "center"),
        ("camera", {"dims": 3, "target": [0, 0, 0], "yaw": 0, "pitch": 0}, ValueError, "distance"),
        ("camera", {"dims": 2, "center": [0, 0], "zoom": 1, "x": 1}, ValueError, "unknown"),
        ("projection", "custom", ValueError, "custom projection needs its axes"),
    ],
)
def test_a_failing_assignment_changes_nothing(emb, name, value, exc, pattern):
    w = Projector(emb)
    before = w.get_state()
    with pytest.raises(exc, match=pattern):
        setattr(w, name, value)
    assert w.get_state() == before


def test_save_html_names_a_non_finite_field(emb, tmp_path):
    w = Projector(emb)
    w._pca_variance = [0.5, float("nan")]  # no public path leads here any more; the message
    with pytest.raises(ValueError, match=r"_pca_variance\[1\] holds nan"):  # still names it
        w.save_html(tmp_path / "p.html")


def test_numbers_keep_their_digits_in_tooltips_search_and_files(tmp_path, monkeypatch):
    ids = np.arange(1234567, 1234607)
    ratio = np.full(40, 0.1122334)
    w = Projector(np.random.default_rng(0).standard_normal((40, 4)), {"id": ids, "r": ratio})
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "row", "index": 0})
    assert sent[-1]["values"] == [["id", "1234567"], ["r", "0.1122334"]]
    assert w.search("1234567").tolist() == [0]
    tensors, meta = w.to_tsv(tmp_path)
    assert meta.read_text().split("\n")[1] == "1234567\t0.1122334"
    back = Projector.from_tsv(tensors, meta).metadata
    assert back["id"][0] == 1234567 and back["r"][0] == 0.1122334


def test_missing_is_not_an_empty_string(monkeypatch):
    w = Projector(np.eye(4), {"note": ["a", "", None, "b"], "n": [1.0, np.nan, 2.0, 3.0]})
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "row", "index": 1})
    send_from_browser(w, {"type": "row", "index": 2})
    assert [r["values"] for r in sent] == [
        [["note", ""], ["n", None]],
        [["note", None], ["n", "2.0"]],
    ]
    assert w.search("^$", "note", regex=True).tolist() == [1]


def test_reprs_say_what_a_terminal_needs(emb):
    w = Projector(emb, {"kind": ["a", "b"] * 100}, selected=[1, 2, 3])
    assert repr(w) == (
        "<Projector: 200 points x 16 dims, pca(components=[0, 1, 2]) in 2-D, 3 selected, "
        "columns ['kind']>"
    )
    w.isolate()
    assert ", 3 isolated," in repr(w)


def test_console_script_runs_diagnose(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("projector-widget")
    proc = subprocess.run(
        [str(script), "diagnose", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 1 and "config-missing" not in proc.stdout
    assert "no projector_config.pbtxt and no checkpoint" in proc.stdout


def test_plain_lists_from_a_frontend_follow_the_selection_rules(emb):
    w = Projector(emb, selected=[1])
    for value, exc in [
        ([True, False, True], ValueError),
        ([1.7], ValueError),
        ([[1, 2]], ValueError),
    ]:
        with pytest.raises(exc):
            w.set_state({"selected": value})
    assert w.selected.tolist() == [1]
    w.set_state({"selected": [9, 2]})
    assert w.selected.tolist() == [2, 9]
    with pytest.raises(TypeError, match="row index"):
        w.nearest(True)


def test_set_column_adds_or_replaces_a_typed_column_the_view_can_colour_by() -> None:
    emb = np.random.default_rng(0).standard_normal((50, 4))
    w = Projector(emb, {"name": [f"r{i}" for i in range(50)]})
    w.set_column("score", np.linspace(0, 1, 50))
    assert w.columns["score"] == "number"
    w.color_by = "score"
    w.set_column("score", ["a", "b"] * 25)  # replaced by a category: still colourable
    assert w.columns["score"] == "category" and w.color_by == "score"
    assert list(w.metadata["score"][:2]) == ["a", "b"]
    w.size_by = ""
    with pytest.raises(ValueError, match="49 rows but embeddings have 50"):
        w.set_column("short", range(49))
    with pytest.raises(ValueError, match="non-empty"):
        w.set_column("", range(50))


def test_file_names_that_are_not_utf8_show_save_search_and_name(tmp_path, monkeypatch):
    # os.listdir gives b"caf\xe9.png" as "caf\udce9.png": a lone surrogate, not valid Unicode.
    files = ["caf\udce9.png", "b.png", "c.png", "d.png"] * 5
    rng = np.random.default_rng(0)
    w = Projector(
        rng.standard_normal((20, 4)), {"file": files, "note": [f"n{i}\udce9" for i in range(20)]}
    )
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    w.label_by = "file"
    assert w.label_by == "file" and decoders.decode_labels(w._labels)[0] == "caf\ufffd.png"
    w.focus = 0
    assert w.focus == 0 and w._neighbors["index"] == 0
    send_from_browser(w, {"type": "row", "index": 0})
    assert sent[-1]["values"] == [["file", "caf\ufffd.png"], ["note", "n0\ufffd"]]
    assert w.search("caf\udce9").tolist() == list(range(0, 20, 4))  # as os.listdir gave it
    assert w.search("caf\ufffd").tolist() == list(range(0, 20, 4))  # as it is shown
    page = w.to_html()
    page.encode("utf-8")  # valid text throughout
    data = json.loads(re.search(r'id="pw-data-\w+">(.*?)</script>', page, re.S).group(1))
    shown = base64.b64decode(data["texts"]["file"]["text"]["$b64"]).decode("utf-8")
    assert "caf\ufffd.png" in shown
    tensors, meta = w.to_tsv(tmp_path)
    assert "caf\ufffd.png\tn0\ufffd" in meta.read_bytes().decode("utf-8")  # what TensorBoard reads
    back = Projector.from_tsv(tensors, meta).metadata  # exact through the sidecar
    assert back["file"].tolist() == files and back["note"][1] == "n1\udce9"
    pytest.importorskip("sklearn")
    table = w.cluster(column="file", min_size=3)
    assert all(label.encode("utf-8") for label in table["label"])
