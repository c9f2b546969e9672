"""Validation of embeddings and metadata: every bad input fails with a message a user can act on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from projector_widget import Projector
from projector_widget.data.columns import as_columns, make_column
from projector_widget.data.inputs import as_matrix
from projector_widget.data.text import value_text


def test_float32_c_contiguous_is_not_copied():
    x = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    m = as_matrix(x)
    assert np.shares_memory(m.values, x) and m.values.shape == x.shape  # no copy
    np.testing.assert_allclose(m.sq_norms, (x.astype(np.float64) ** 2).sum(1), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.int64])
def test_real_dtypes_become_float32(dtype):
    x = (np.arange(24).reshape(6, 4) % 7).astype(dtype)
    m = as_matrix(x)
    assert m.values.dtype == np.float32 and m.values.flags.c_contiguous
    np.testing.assert_array_equal(m.values, x.astype(np.float32))


def test_fortran_order_and_lists_and_array_protocol():
    x = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(4, 3))
    assert as_matrix(x).values.flags.c_contiguous
    assert as_matrix([[1, 2], [3, 4]]).values.shape == (2, 2)

    class Tensorish:
        def __array__(self, dtype=None, copy=None):
            return np.ones((3, 5))

    assert as_matrix(Tensorish()).values.shape == (3, 5)
    assert as_matrix(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})).values.shape == (2, 2)


def test_tensorflow_tensor_and_variable():
    tf = pytest.importorskip("tensorflow")
    t = tf.random.normal((7, 3), seed=1)
    np.testing.assert_allclose(as_matrix(t).values, t.numpy())
    v = tf.Variable(t)
    np.testing.assert_allclose(as_matrix(v).values, t.numpy())


def test_nan_names_first_bad_row_and_column():
    x = np.ones((10, 4), np.float32)
    x[6, 2] = np.nan
    x[8, 0] = np.inf
    with pytest.raises(ValueError, match=r"NaN.*row 6, column 2.*2 row\(s\)"):
        as_matrix(x)


def test_inf_is_reported():
    x = np.ones((5, 3))
    x[3, 1] = -np.inf
    with pytest.raises(ValueError, match="Inf.*row 3"):
        as_matrix(x)


def test_float64_too_large_for_float32_is_named():
    x = np.ones((4, 2))
    x[2, 0] = 1e300
    with pytest.raises(ValueError, match="row 2"):
        as_matrix(x)


@pytest.mark.parametrize(
    ("value", "exc", "pattern"),
    [
        (np.ones(5), ValueError, r"2-D.*got 1-D.*reshape\(-1, 1\)"),
        (np.ones((2, 3, 4)), ValueError, r"got 3-D with shape \(2, 3, 4\)"),
        (np.ones((0, 3)), ValueError, "empty"),
        (np.ones((3, 0)), ValueError, "empty"),
        ([[1, 2], [3]], ValueError, "ragged"),
        (np.array([["a", "b"]]), TypeError, "strings"),
        (np.ones((2, 2), complex), TypeError, "complex"),
        ("hello", TypeError, "2-D array-like"),
        ({"a": [1]}, TypeError, "2-D array-like"),
        (np.array([[object(), 1]], dtype=object), TypeError, "only numbers"),
    ],
)
def test_bad_embeddings(value, exc, pattern):
    with pytest.raises(exc, match=pattern):
        as_matrix(value)


def test_row_count_mismatch_states_both_counts():
    with pytest.raises(
        ValueError, match="metadata column 'label' has 9 rows but embeddings have 10"
    ):
        as_columns(["x"] * 9, 10)
    with pytest.raises(ValueError, match="11 rows but embeddings have 10 rows.*header"):
        as_columns({"a": list(range(11))}, 10)
    with pytest.raises(ValueError, match="metadata has 3 rows but embeddings have 4"):
        as_columns(pd.DataFrame({"a": [1, 2, 3]}), 4)


def test_column_kinds():
    n = 400
    rng = np.random.default_rng(0)
    cols = as_columns(
        {
            "digit": rng.integers(0, 10, n),
            "score": rng.standard_normal(n),
            "many_ints": np.arange(n),
            "word": [f"w{i}" for i in range(n)],
            "fruit": rng.choice(["apple", "pear", "fig"], n).tolist(),
            "flag": rng.random(n) > 0.5,
            "mixed_numbers": [1, 2.5, None] * (n // 4) + [3] * (n - 3 * (n // 4)),
        },
        n,
    )
    kinds = {c.name: c.kind for c in cols}
    assert kinds == {
        "digit": "category",
        "score": "number",
        "many_ints": "number",
        "word": "text",
        "fruit": "category",
        "flag": "category",
        "mixed_numbers": "number",
    }


def test_categories_sorted_by_frequency_and_codes_consistent():
    labels = ["b", "a", "b", None, "c", "b", "a", float("nan")]
    (col,) = as_columns(labels, len(labels))
    assert col.kind == "category"
    assert col.categories == ["b", "a", "c", ""]
    assert col.counts == [3, 2, 1, 2]
    assert col.missing_code == 3
    decoded = [col.categories[c] for c in col.codes]
    assert decoded == ["b", "a", "b", "", "c", "b", "a", ""]


def test_series_name_and_dataframe_columns():
    s = pd.Series(["x", "y"], name="kind")
    assert [c.name for c in as_columns(s, 2)] == ["kind"]
    df = pd.DataFrame({"word": ["a", "b"], "n": [1.5, 2.5]})
    assert [(c.name, c.kind) for c in as_columns(df, 2)] == [("word", "category"), ("n", "number")]


def test_bad_metadata_kinds():
    with pytest.raises(TypeError, match="single string"):
        as_columns("abc", 3)
    with pytest.raises(TypeError, match="rows of several values"):
        as_columns([("a", 1), ("b", 2)], 2)
    with pytest.raises(ValueError, match="empty dict"):
        as_columns({}, 2)
    with pytest.raises(TypeError, match="must be a sequence"):
        as_columns(42, 2)


def test_text_values_are_kept_verbatim():
    evil = ["<img src=x onerror=alert(1)>", "tab\there", "new\nline"] * 50
    evil = [f"{v}{i}" for i, v in enumerate(evil)]
    (col,) = as_columns(evil, len(evil))
    assert col.kind == "text"
    assert col.format(0) == "<img src=x onerror=alert(1)>0"


def test_memmap_float32_is_used_in_place(tmp_path):
    path = tmp_path / "emb.f32"
    x = np.random.default_rng(0).standard_normal((500, 16)).astype(np.float32)
    x.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=(500, 16))
    m = as_matrix(mm)
    assert np.shares_memory(m.values, mm)  # no second copy of the data


def test_float16_is_converted_once():
    x16 = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float16)
    m = as_matrix(x16)
    assert m.values.dtype == np.float32 and not np.shares_memory(m.values, x16)
    np.testing.assert_array_equal(m.values, x16.astype(np.float32))


def test_an_array_used_in_place_cannot_change_behind_the_widget():
    x = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    w = Projector(x)
    before = w.nearest(1, 5, "euclidean")
    with pytest.raises(ValueError, match="read-only"):
        x *= 100  # would make the kept norms, and so every distance, stale
    after = w.nearest(1, 5, "euclidean")
    np.testing.assert_array_equal(before[1], after[1])


def test_copy_true_keeps_the_callers_array_writable_and_answers_exact():
    x = np.random.default_rng(1).standard_normal((50, 8)).astype(np.float32)
    w = Projector(x, copy=True)
    want = w.nearest(1, 5, "cosine")
    x *= 100
    x[1] = np.nan
    got = w.nearest(1, 5, "cosine")
    np.testing.assert_array_equal(want[0], got[0])
    np.testing.assert_array_equal(want[1], got[1])
    assert not np.shares_memory(w.embeddings, x)


def test_array_likes_that_share_memory_are_copied():
    shared = np.random.default_rng(2).standard_normal((20, 4)).astype(np.float32)

    class TensorLike:  # like a CPU torch tensor: __array__ returns its own memory
        def __array__(self, dtype=None, copy=None):
            return shared

    m = as_matrix(TensorLike())
    assert not np.shares_memory(m.values, shared) and shared.flags.writeable
    m = as_matrix(TensorLike(), copy=False)
    assert np.shares_memory(m.values, shared) and not m.values.flags.writeable


def test_labelling_past_the_category_limit_turns_the_column_to_text(monkeypatch):
    from projector_widget.data import columns as inputs

    monkeypatch.setattr(inputs, "MAX_CATEGORIES", 4)
    w = Projector(np.eye(40, 3), {"tag": ["a", "b"] * 20}, color_by="tag")
    for i, value in enumerate(["c", "d"]):
        w.label_selection("tag", value, rows=[i])
    assert w.columns["tag"] == "category" and w.color_by == "tag"
    w.label_selection("tag", "e", rows=[5])  # a fifth value: 16-bit codes would have wrapped
    assert w.columns["tag"] == "text" and w.color_by == ""
    assert w.metadata["tag"].tolist()[:6] == ["c", "d", "a", "b", "a", "e"]
    with pytest.raises(
        ValueError, match="has 5 distinct values; a categorical column can have at most 4"
    ):
        inputs.categorical_column("tag", np.array(list("abcde"), dtype=object))


def test_numbers_beyond_float32_keep_their_colour_range_finite():
    from projector_widget.sync import wire as encoding

    (col,) = as_columns({"big": [1e300, -1e300, 0.5] + list(np.arange(40.0))}, 43)
    wire = encoding.encode_column(col)
    values = np.frombuffer(wire["values"], "<f4")
    assert np.all(np.isfinite(values)) and np.isfinite(wire["min"]) and np.isfinite(wire["max"])
    assert col.text(0) == "1e+300"  # the text keeps the value; only the colour scale clips


def test_a_cell_holding_a_container_is_refused_by_name():
    with pytest.raises(
        TypeError, match=r"column 'meta' holds a dict at row 1; each cell must be one value"
    ):
        as_columns({"meta": ["a", {"k": 1}, "c"]}, 3)


def test_the_default_colour_is_a_meaningful_column():
    from projector_widget.data.choices import default_color_column

    n = 100
    rng = np.random.default_rng(0)
    ids = rng.permutation(n) + 10_000
    cols = as_columns({"id": ids, "rank": np.arange(n), "score": rng.random(n)}, n)
    assert default_color_column(cols) == "score"
    cols = as_columns({"id": ids, "kind": ["a", "b"] * 50, "score": rng.random(n)}, n)
    assert default_color_column(cols) == "kind"
    assert default_color_column(as_columns({"id": ids}, n)) == ""


def test_views_and_read_only_views_of_writable_memory_are_copied():
    base = np.random.default_rng(3).standard_normal((20, 4)).astype(np.float32)
    view = base[:10]
    m = as_matrix(view)
    assert not np.shares_memory(m.values, base) and base.flags.writeable
    frozen_view = base[10:].view()
    frozen_view.setflags(write=False)  # read-only itself, but its owner is not
    m = as_matrix(frozen_view)
    assert not np.shares_memory(m.values, base)
    base *= 100  # the kernel's copies are not affected
    np.testing.assert_allclose(m.sq_norms, (m.values.astype(np.float64) ** 2).sum(1), rtol=1e-5)


def test_editing_a_column_keeps_every_other_value_as_it_was():
    f32 = (np.arange(40, dtype=np.float32) + np.float32(0.2)).astype(np.float32)
    w = Projector(np.eye(40, 3), {"f": f32, "n": np.arange(100, 140)})
    before = [w._parts.metadata.columns[0].text(i) for i in range(40)]
    w.label_selection("f", 0.25, rows=[0])  # exact in float32: the column stays float32
    w.label_selection("f", 7, rows=[1])  # an int among floats stays an int
    after = [w._parts.metadata.columns[0].text(i) for i in range(40)]
    assert after[0] == "0.25" and after[1] == "7" and after[2:] == before[2:]
    with pytest.raises(ValueError, match="'3' is not a number"):
        w.label_selection("n", "3", rows=[0])
    with pytest.raises(ValueError, match="True is not a number"):
        w.label_selection("n", True, rows=[0])


def test_pandas_columns_keep_their_precision_and_whole_floats_stay_numbers():
    s = pd.Series(np.float32([0.12564103, 1.5] * 20))
    (col,) = as_columns({"s": s}, 40)
    assert col.values.dtype == np.float32 and col.text(0) == "0.12564103"
    (col,) = as_columns({"x": [float(i % 3) for i in range(40)]}, 40)
    assert col.kind == "number"  # like np.array of the same floats: floats are never categories


def test_a_pandas_categorical_column_is_typed_from_its_codes_as_from_its_labels():
    """pandas' categorical codes are used as they are (no object array to re-factorise, which
    cost ~100 bytes a row at 100M rows), with the same result as the labels themselves."""
    rng = np.random.default_rng(3)
    cat = pd.Categorical.from_codes(rng.integers(-1, 4, 500), ["w", "x", "y", "unused"])
    cat = cat.remove_categories(["unused"]).add_categories(["never"])
    for given in (cat, pd.Series(cat)):
        (fast,) = as_columns({"c": given}, 500)
        labels = [None if pd.isna(v) else str(v) for v in np.asarray(cat, dtype=object)]
        (slow,) = as_columns({"c": labels}, 500)
        assert fast.kind == slow.kind == "category"
        assert fast.categories == slow.categories and "never" not in fast.categories
        assert fast.counts == slow.counts and fast.missing_code == slow.missing_code
        np.testing.assert_array_equal(fast.codes, slow.codes)
        assert [fast.text(i) for i in range(500)] == [slow.text(i) for i in range(500)]
    with pytest.raises(ValueError, match="499 rows"):
        as_columns({"c": cat[:499]}, 500)


def test_text_that_is_not_valid_unicode_shows_what_can_be_kept():
    # os.listdir gives a byte that is not UTF-8 as a lone surrogate: b"caf\xe9.png" is
    # "caf\udce9.png". Shown text is valid Unicode, keeping every character that can be kept.
    assert value_text("caf\udce9.png") == "caf\ufffd.png"
    assert value_text("caf\udcc3\udca9.png") == "café.png"  # UTF-8 bytes escaped one by one
    assert value_text("\ud83d\ude00 ok") == "\U0001f600 ok"  # a surrogate pair is its character
    assert value_text("half \ud83d") == "half \ufffd"
    assert value_text("café") == "café"
    names = ["caf\udce9.png", "b.png"] * 5
    col = make_column("file", names, 10)
    assert col.kind == "category" and col.categories == ["b.png", "caf\ufffd.png"]
    assert col.values[0] == "caf\udce9.png"  # the value itself is kept as given
    text = make_column("file", [f"{i}\udce9" for i in range(40)], 40)
    assert text.kind == "text" and text.text(3) == "3\ufffd" and text.format(3) == "3\ufffd"


def test_a_column_name_that_is_not_valid_unicode_is_refused_by_name():
    with pytest.raises(ValueError, match=r"column name 'caf\\udce9' is not valid Unicode"):
        as_columns({"caf\udce9": ["a", "b"]}, 2)
    w = Projector(np.eye(2), {"a": ["x", "y"]}, selected=[0])
    with pytest.raises(ValueError, match="not valid Unicode"):
        w.label_selection("caf\udce9", "z")
    assert list(w.columns) == ["a"]


LONG_VALUE = textwrap.dedent(
    """
    import json, time
    import numpy as np
    import pandas as pd
    from projector_widget import Projector

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    big, other = "x" * 1_000_000, "y" * 1_000_000  # one string object each, on many rows
    x = np.random.default_rng(0).standard_normal((4000, 4))
    start = time.perf_counter()
    w = Projector(x, {"kind": [big if i % 2 else "small" for i in range(4000)]})
    made = time.perf_counter() - start
    start = time.perf_counter()
    w.label_selection("kind", other, rows=np.arange(0, 4000, 2))
    labelled = time.perf_counter() - start
    small = Projector(x[:400], {"kind": [big if i % 2 else "small" for i in range(400)]})
    small.label_selection("kind", other, rows=[0, 2, 4])
    before = rss_mb()
    table = small.metadata
    grown = rss_mb() - before
    page = len(small.to_html().encode("utf-8"))
    frame = pd.DataFrame({"kind": [big if i % 2 else "small" for i in range(400)]})
    before = rss_mb()  # pandas' own string type holds a copy a row: the frame is the user's
    framed = Projector(x[:400], frame)
    from_frame = rss_mb() - before
    print(json.dumps({"made": made, "labelled": labelled, "grown": grown, "page": page,
                      "from_frame": from_frame, "frame_kind": framed.columns["kind"],
                      "kinds": sorted(set(table["kind"].str.len().tolist()))}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_one_long_category_value_on_many_rows_is_held_and_saved_once(tmp_path):
    """A 1 MB value on thousands of rows: set, shown as a table and saved once per category,
    not once per row (which took seconds per thousand rows, gigabytes, a 130 MB page)."""
    script = tmp_path / "long_value.py"
    script.write_text(LONG_VALUE)
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["kinds"] == [5, 1_000_000]
    assert found["made"] < 1.0 and found["labelled"] < 1.0
    assert found["grown"] < 50  # MB: w.metadata holds each category's string once
    assert found["from_frame"] < 50 and found["frame_kind"] == "category"  # ... and so does w
    # Two 1 MB values, each in the columns' state and in the texts (base64): about 4.7 MB.
    assert found["page"] < 6_000_000


def test_long_strings_are_one_category_whether_one_object_or_equal_copies():
    a = "a" * 300  # one object on several rows
    copies = ["".join(["b"] * 300) for _ in range(3)]  # equal text, three objects
    values = [a, copies[0], a, copies[1], copies[2], "c"]
    col = make_column("t", values, 6)
    assert col.kind == "category" and col.categories == ["b" * 300, "a" * 300, "c"]
    assert col.counts == [3, 2, 1] and col.codes is not None
    assert col.codes.tolist() == [1, 0, 1, 0, 0, 2]
    with_missing = make_column("t", [*values, None], 7)
    assert with_missing.categories == [*col.categories, ""] and with_missing.missing_code == 3
