"""protocol.py: every request parses to its typed form, malformed ones are refused precisely,
and the shared rules the browser receives come from the declarations they describe."""

from __future__ import annotations

import re

import numpy as np
import pytest
from frontend import send_from_browser

from projector_widget import Projector
from projector_widget.compute import projections
from projector_widget.compute.neighbours import K_MAX, METRICS
from projector_widget.compute.projections import umap
from projector_widget.parts import files
from projector_widget.sync import protocol


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"type": "row", "index": 4}, protocol.RowRequest(4)),
        ({"type": "drawn"}, protocol.Drawn()),
        ({"type": "points", "version": 2, "start": 64}, protocol.PointsRequest(2, 64)),
        (
            {"type": "project", "method": "pca", "params": {"components": [1, 0]}},
            protocol.Project("pca", {"components": [1, 0]}),
        ),
        ({"type": "project", "method": "tsne"}, protocol.Project("tsne", {})),
        ({"type": "control", "action": "pause"}, protocol.Control("pause")),
        (
            {"type": "search", "query": "q", "column": "", "regex": True},
            protocol.Search("q", None, True),
        ),
        ({"type": "label", "column": "c", "value": 3}, protocol.Label("c", 3)),
        ({"type": "isolate"}, protocol.Isolate()),
        ({"type": "show_all"}, protocol.ShowAll()),
        ({"type": "bookmark", "action": "save", "name": "a"}, protocol.Bookmark("save", "a")),
        ({"type": "query", "text": "king"}, protocol.Query("king")),
    ],
)
def test_every_request_parses(content, expected):
    assert protocol.parse_request(content) == expected


def test_every_request_type_has_a_parser_and_a_widget_handler(monkeypatch):
    w = Projector(np.random.default_rng(0).standard_normal((20, 4)))
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    for kind in protocol.REQUEST_TYPES:
        send_from_browser(w, _minimal(kind))  # through the comm, as the browser sends it
    assert all("unknown message type" not in str(m.get("message")) for m in sent)
    assert {type(protocol.parse_request(_minimal(t))) for t in protocol.REQUEST_TYPES} == set(
        protocol.Request.__args__  # type: ignore[attr-defined]
    )


def _minimal(kind: str) -> dict:
    fields = {
        "row": {"index": 0},
        "points": {"version": 1, "start": 0},
        "project": {"method": "pca"},
        "control": {"action": "stop"},
        "bookmark": {"action": "delete", "name": "x"},
        "quality": {"k": 3},
        "tiles": {"version": 1, "tiles": [[0, 0, 0]]},
        "grid": {"version": 1, "bounds": [0, 0, 1, 1]},
        "lasso": {"version": 1, "polygon": [[0, 0], [1, 0], [0, 1]], "mode": "replace"},
    }
    return {"type": kind, **fields.get(kind, {})}


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("row", "JSON object"),
        ({"index": 1}, "unknown message type None"),
        ({"type": "teleport"}, "unknown message type 'teleport'"),
        ({"type": "row", "index": "4"}, "'index' must be an integer"),
        ({"type": "row", "index": True}, "'index' must be an integer"),
        ({"type": "points", "version": 1, "start": 2.5}, "'start' must be an integer"),
        ({"type": "project", "method": 3}, "'method' must be a string"),
        ({"type": "project", "method": "pca", "params": [1]}, "'params' must be an object"),
        ({"type": "control", "action": "explode"}, r"'action' must be one of \['pause'"),
        ({"type": "bookmark", "action": "rename", "name": "a"}, "'action' must be one of"),
        ({"type": "query", "text": None}, "'text' must be a string"),
    ],
)
def test_malformed_requests_are_refused_with_the_field(content, pattern):
    with pytest.raises(protocol.ProtocolError, match=pattern):
        protocol.parse_request(content)


def test_malformed_user_requests_get_an_error_reply_background_ones_nothing(monkeypatch):
    w = Projector(np.random.default_rng(1).standard_normal((20, 4)))
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, {"type": "row", "index": "x"})
    send_from_browser(w, {"type": "points", "version": None, "start": 0})
    assert sent == []
    send_from_browser(w, {"type": "control", "action": "explode"})
    send_from_browser(w, {"type": "teleport"})
    assert [m["type"] for m in sent] == ["error", "error"]
    assert "'action' must be one of" in sent[0]["message"]
    assert "unknown message type 'teleport'" in sent[1]["message"]


def _nested(depth: int, inner: object) -> object:
    for _ in range(depth):
        inner = [inner]
    return inner


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ({"type": ["row"]}, r"unknown message type \['row'\]"),
        ({"type": {"kind": "row"}}, r"unknown message type \{'kind': 'row'\}"),
        ({"type": _nested(5000, "row")}, r"unknown message type \[\[\[.*\.\.\."),
        (
            {"type": "tiles", "version": 0, "tiles": _nested(5000, [0, 0, 0])},
            r"'tiles' message: it nests more than 32 levels deep \(need at most 32 levels",
        ),
        (
            {"type": "label", "column": "c", "value": _nested(40, 1)},
            r"'label' message: it nests more than 32 levels deep",
        ),
        (
            {"type": "project", "method": "tsne", "params": {"perplexity": 10**400}},
            "t-SNE perplexity must be a finite number at least 1, got 1000",
        ),
    ],
)
def test_any_json_the_page_sends_gets_a_precise_error_reply(monkeypatch, content, pattern):
    w = Projector(np.random.default_rng(1).standard_normal((20, 4)))
    sent = []
    monkeypatch.setattr(w, "send", lambda content, buffers=None: sent.append(content))
    send_from_browser(w, content)  # through the comm: nothing escapes, the page is answered
    assert [m["type"] for m in sent] == ["error"], sent
    assert re.search(pattern, sent[0]["message"]), sent[0]["message"]


def test_spec_describes_every_method_once_and_the_shared_limits():
    spec = protocol.spec()
    assert [m["name"] for m in spec["methods"]] == list(projections.METHODS)
    kinds = {m["name"]: m["kind"] for m in spec["methods"]}
    assert kinds == {
        "pca": "instant",
        "tsne": "iterative",
        "umap": "iterative",
        "custom": "instant",
    }
    by_name = {m["name"]: m for m in spec["methods"]}
    assert by_name["umap"]["choices"]["metric"] == list(umap.METRICS)
    assert by_name["tsne"]["defaults"]["perplexity"] == 30.0
    assert spec["metrics"] == list(METRICS) and spec["k_max"] == K_MAX
    assert spec["all_labels_max"] == protocol.ALL_LABELS_MAX
    assert spec["label_rows_cap"] == protocol.LABEL_ROWS_CAP


def test_the_widget_sends_the_spec_and_saved_pages_embed_it():
    w = Projector(np.random.default_rng(2).standard_normal((30, 5)))
    assert w._spec == protocol.spec()
    assert files.page_payload(w._parts, w.get_state())["state"]["_spec"] == protocol.spec()
