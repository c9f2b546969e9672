"""bookmarks.py and restoring one: a restore is one transaction that runs one projection."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector_widget import Projector
from projector_widget.parts.bookmarks import BookmarkStore


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
    other = Projector(np.eye(10, 3))
    other.load_bookmarks(text)
    assert other.bookmarks == [{"name": "a"}, {"name": "b"}]
    small = Projector(np.eye(3, 2))
    with pytest.raises(IndexError, match=r"bookmark 'a': selected index 3 is out of range"):
        small.load_bookmarks(
            text
        )  # all or nothing: 'a' (row 3) is refused, so 'b' is not added either
    assert small.bookmarks == []
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
    data = json.loads(w.bookmarks_to_json())
    (mark,) = data["bookmarks"]
    mark["projection_params"] = {**mark["projection_params"], "x": ["nothing-matches", "w2"]}
    w.load_bookmarks(json.dumps(data))  # it loads: whether its axes match is known on restore
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


def test_a_failed_restore_keeps_the_isolated_view_and_its_way_back(w):
    w.project("custom", x=("w1", "w2"), column="word")
    w.save_bookmark("c")
    data = json.loads(w.bookmarks_to_json())
    data["bookmarks"][0]["projection_params"]["x"] = ["nothing-matches", "w2"]
    w.load_bookmarks(json.dumps(data))
    w.project("pca", components=[0, 1, 2])
    full = w.coordinates.copy()
    w.isolate(list(range(10)))
    w.project("pca", components=[1, 2, 3])
    with pytest.raises(ValueError, match="no point matches"):
        w.restore_bookmark("c")
    w.show_all()  # the way back still leads to the layout from before isolating
    np.testing.assert_array_equal(w.coordinates, full)


def test_a_bookmark_is_checked_whole_before_anything_changes(w):
    w.save_bookmark("ok")
    data = json.loads(w.bookmarks_to_json())
    mark = data["bookmarks"][0]
    for field, value, pattern in [
        ("camera", {"dims": 5}, r"bookmark 'ok': camera\['dims'\] must be 2 or 3"),
        ("color_by", "nope", "bookmark 'ok': cannot colour by 'nope'"),
        ("focus", 999, "bookmark 'ok': focus 999 is not a row"),
    ]:
        bad = {**mark, field: value}
        with pytest.raises((ValueError, IndexError), match=pattern):
            w.load_bookmarks(json.dumps({"bookmarks": [bad]}))
    assert w.bookmarks == [{"name": "ok"}]


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        (
            {"projection": "custom", "projection_params": {"x": [], "y": None}},
            r"bookmark 'ok': a custom projection needs x=\(left_query, right_query\)",
        ),
        ({"projection_params": "abc"}, "bookmark 'ok': projection_params must be an object"),
        (
            {"projection_params": {"components": [0, 1, 999]}},
            r"bookmark 'ok': components must be up to 3 principal component indices in 0\.\.7",
        ),
        (
            {"projection": "tsne", "projection_params": {"perplexity": -5}},
            "bookmark 'ok': t-SNE perplexity must be a finite number at least 1, got -5",
        ),
        (
            {"projection": "tsne", "projection_params": {"n_iter": 1e12}},
            "bookmark 'ok': t-SNE n_iter must be a whole number from 1 to 100000",
        ),
        ({"spherize": "false"}, "bookmark 'ok': spherize must be true or false, got 'false'"),
        ({"dimensions": 2.0}, "bookmark 'ok': dimensions must be 2 or 3, got 2.0"),
        ({"selected": [True, False]}, "bookmark 'ok': 'selected' must be a list of row indices"),
        ({"isolated": 5}, "bookmark 'ok': 'isolated' must be null or a list of row indices"),
        ({"label_by": []}, r"bookmark 'ok': label_by must be a column name \(a string\)"),
        ({"color_by": 0}, r"bookmark 'ok': color_by must be a column name \(a string\)"),
        (
            {"camera": {"dims": 2, "center": [0, 10**400], "zoom": 1}},
            r"bookmark 'ok': camera\['center'\] must be 2 finite numbers",
        ),
    ],
)
def test_a_bookmark_that_would_not_restore_is_not_loaded(w, changes, pattern):
    w.save_bookmark("ok")
    (mark,) = json.loads(w.bookmarks_to_json())["bookmarks"]
    w.delete_bookmark("ok")
    with pytest.raises((ValueError, IndexError, TypeError), match=pattern):
        w.load_bookmarks(json.dumps([{**mark, **changes}]))
    assert w.bookmarks == []
    w.load_bookmarks(json.dumps([mark]))  # the same bookmark unchanged loads and restores
    w.restore_bookmark("ok")


def test_bookmarks_json_nested_deeper_than_a_bookmark_is_refused(w):
    with pytest.raises(ValueError, match="bookmarks are not valid JSON: it nests arrays and"):
        w.load_bookmarks("[" * 100_000 + "]" * 100_000)
    text = w.bookmarks_to_json()
    w.load_bookmarks(text)  # brackets inside strings are no nesting
    w.save_bookmark("[[[[" * 20)
    w.load_bookmarks(w.bookmarks_to_json())
    assert w.bookmarks == [{"name": "[[[[" * 20}]


def test_bookmarks_of_other_tools_are_checked_as_restoring_them_would(w):
    w.save_bookmark("ok")
    (mark,) = json.loads(w.bookmarks_to_json())["bookmarks"]
    bad = {**mark, "projection_params": {"components": [0, 1, 999]}}
    with pytest.raises(ValueError, match="bookmark 'ok': components must be up to 3"):
        Projector(w.embeddings, _bookmarks=[bad])
    assert Projector(w.embeddings, _bookmarks=[mark]).bookmarks == [{"name": "ok"}]


def test_show_all_after_restoring_a_spherized_isolated_view_is_consistent(w):
    w.spherize = True
    w.isolate(list(range(0, 200, 3)))
    w.save_bookmark("s")
    w.show_all()
    w.spherize = False
    plain = w.coordinates.copy()
    w.restore_bookmark("s")
    assert w.spherize and w.isolated is not None
    w.show_all()
    assert not w.spherize  # back to the view from before the restore, spherize included
    np.testing.assert_array_equal(w.coordinates, plain)


def test_projection_params_are_read_only(w):
    with pytest.raises(ValueError, match="projection_params is read-only"):
        w.projection_params = {"components": [4, 3]}
    assert w.projection_params == {"components": [0, 1, 2]}


# ----------------------------------------------------------------------------- any JSON
def _nested(depth: int, leaf: object) -> object:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


ANY = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
FINITE = st.floats(-1e6, 1e6) | st.integers(-5, 600)
POSITIVE = st.floats(0.01, 1e6) | st.integers(1, 600)
NUMBER = st.integers(-(10**400), 10**400) | st.floats() | FINITE
AXIS = st.lists(st.sampled_from(["w1", "w2", "w1|w3", "zzz", "[", ""]), min_size=2, max_size=2)
PARAMS = {
    "pca": st.fixed_dictionaries(
        {}, optional={"components": st.lists(st.integers(0, 6), min_size=1, max_size=3)}
    ),
    "tsne": st.fixed_dictionaries(
        {},
        optional={
            "perplexity": POSITIVE,
            "learning_rate": st.just("auto") | POSITIVE,
            "n_iter": st.integers(1, 1000),
            "seed": st.integers(0, 2**31 - 1),
            "n_jobs": st.sampled_from([-1, 1, 2]),
        },
    ),
    "custom": st.fixed_dictionaries(
        {"x": AXIS},
        optional={
            "y": st.none() | AXIS,
            "column": st.sampled_from([None, "", "word", "group", "nope"]),
            "regex": st.booleans(),
        },
    ),
}
ROW = st.integers(0, 29)
CAMERA = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {"dims": st.just(2), "center": st.lists(FINITE, min_size=2, max_size=2), "zoom": POSITIVE}
    ),
    st.fixed_dictionaries(
        {
            "dims": st.just(3),
            "target": st.lists(FINITE, min_size=3, max_size=3),
            "yaw": FINITE,
            "pitch": FINITE,
            "distance": POSITIVE,
        }
    ),
)
#: Each field of a bookmark: values about right (some still wrong for this widget), and wrong
#: values of about the right shape.
FIELDS = {
    "name": (st.sampled_from(["a", "b", "[[{"]), st.sampled_from(["", 3])),
    "dimensions": (st.sampled_from([2, 3]), st.sampled_from([2.0, 4, True, "3"])),
    "spherize": (st.booleans(), st.sampled_from(["false", 0, None])),
    "camera": (
        CAMERA,
        st.fixed_dictionaries(
            {"dims": st.sampled_from([2, 3, True])},
            optional={
                "center": st.lists(NUMBER, max_size=3),
                "zoom": NUMBER,
                "target": st.lists(NUMBER),
                "yaw": NUMBER,
            },
        ),
    ),
    "color_by": (st.sampled_from(["", "group"]), st.sampled_from(["word", "nope", 0, None])),
    "label_by": (st.sampled_from(["", "group", "word"]), st.sampled_from(["nope", 0, None])),
    "selected": (st.lists(ROW, max_size=5), st.lists(st.integers(-2, 40) | st.booleans())),
    "focus": (st.integers(-1, 29), st.integers(-3, 40) | st.booleans() | st.floats()),
    "isolated": (
        st.none() | st.lists(ROW, min_size=1, max_size=8),
        st.lists(st.integers(-2, 40) | st.booleans(), max_size=3),
    ),
}


@st.composite
def _bookmark(draw: st.DrawFn) -> object:
    """A bookmark about right for the widget below, now and then with one field wrong (of about
    its shape, or any JSON) or missing."""
    method = draw(st.sampled_from([*PARAMS, "mds"]))
    mark = {"projection": method, "projection_params": draw(PARAMS.get(method, ANY))}
    for field, (values, _wrong) in FIELDS.items():
        mark[field] = draw(values)
    broken = draw(st.sampled_from([*[None] * (len(mark) // 2), *mark]))
    if broken in FIELDS:
        mark[broken] = draw(FIELDS[broken][1] | ANY)
    elif broken is not None:  # the projection and its parameters
        wrong = {
            "components": st.lists(st.integers(-1, 9) | ANY, max_size=4),
            "perplexity": NUMBER,
            "n_iter": NUMBER,
            "seed": NUMBER,
            "x": st.lists(ANY, max_size=3),
        }
        mark["projection_params"] = draw(st.fixed_dictionaries({}, optional=wrong) | ANY)
    missing = draw(st.sampled_from([*[None] * 4 * len(mark), *mark]))
    return {k: v for k, v in mark.items() if k != missing}
    return mark


MARKS = st.lists(_bookmark(), min_size=1, max_size=2)
TEXTS = st.one_of(
    MARKS.map(json.dumps),
    MARKS.map(lambda marks: json.dumps({"bookmarks": marks})),
    MARKS.map(json.dumps),
    st.one_of(
        ANY.map(json.dumps),
        st.text(max_size=20),
        st.integers(1, 100_000).map(lambda d: "[" * d + "]" * d),
        st.integers(1, 100_000).map(lambda d: '{"bookmarks": ' + "[" * d + "]" * d + "}"),
    ),
)
META = {"word": [f"w{i}" for i in range(30)], "group": ["a", "b", "c"] * 10}
X = np.random.default_rng(3).standard_normal((30, 5)).astype(np.float32)
#: What a custom projection's queries can only meet on restore (they are searched then).
QUERY_ERRORS = ("no point matches", "invalid regular expression", "the axis is zero")


@settings(max_examples=200)
@given(text=TEXTS)
def test_any_bookmarks_json_is_refused_or_every_bookmark_restores(text):
    w = Projector(X, META)
    try:
        w.load_bookmarks(text)
    except (ValueError, IndexError, TypeError) as exc:
        assert str(exc) and w.bookmarks == []
        return
    for mark in json.loads(w.bookmarks_to_json())["bookmarks"]:
        name = mark["name"]
        try:
            w.restore_bookmark(name)
        except ValueError as exc:  # only a custom projection's queries may fail, at restore
            assert mark["projection"] == "custom" and any(e in str(exc) for e in QUERY_ERRORS)
            continue
        finally:
            w.stop()
        shown = (w.projection, w.spherize, w.dimensions, w.color_by, w.label_by, w.focus)
        assert shown == tuple(
            mark[f]
            for f in ("projection", "spherize", "dimensions", "color_by", "label_by", "focus")
        )
        assert w.selected.tolist() == sorted(set(mark["selected"]))
        assert (w.isolated is not None) == bool(mark["isolated"])
    w.close()
