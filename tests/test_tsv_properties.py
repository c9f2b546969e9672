"""Property-based: metadata keeps its identity through to_tsv/from_tsv and TensorBoard files.

Arbitrary labels (tabs, newlines, lone carriage returns, empty strings, missing values, unicode,
strings that look like numbers) and numbers come back exactly, column by column.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector_widget import Projector
from projector_widget.formats import tsv

N = 12
TRICKY = ["", "\t", "\n", "\r", "\r\n", "007", "1e5", "nan", "inf", " 1", "-0", "a\tb", "x\ry"]
text = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=8), st.sampled_from(TRICKY)
)
#: Text that is not valid Unicode, as os.listdir gives bytes that are not UTF-8 (a value, never
#: a column name): the TSV shows U+FFFD, the sidecar keeps the value. (Not a surrogate pair: JSON
#: writes one exactly as the character it encodes, so it reads back as that character.)
NOT_UNICODE = ["caf\udce9.png", "\udcc3\udca9", "half \ud83d", "\udc80\udcff"]
cells = {
    "str": st.one_of(st.none(), text, st.sampled_from(NOT_UNICODE)),
    "int": st.one_of(st.none(), st.integers(-(2**70), 2**70)),
    "float": st.one_of(st.none(), st.floats(allow_nan=False, width=64)),
    "bool": st.one_of(st.none(), st.booleans()),
}
column = st.sampled_from(sorted(cells)).flatmap(
    lambda kind: st.lists(cells[kind], min_size=N, max_size=N)
)
names = st.lists(text.filter(bool), min_size=1, max_size=3, unique=True)


def _same(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and math.isnan(a))
    missing_b = b is None or (isinstance(b, float) and math.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    return type(a) is type(b) and a == b


def _cells(w: Projector) -> dict[str, list[object]]:
    return {
        c.name: [v.item() if isinstance(v, np.generic) else v for v in c.values]
        for c in w._parts.metadata.columns
    }


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, list[object]]:
    return {name: draw(column) for name in draw(names)}


def _check_back(w: Projector, back: Projector) -> None:
    want, got = _cells(w), _cells(back)
    assert list(got) == list(want)
    for name in want:
        pairs = list(zip(want[name], got[name], strict=True))
        assert all(_same(a, b) for a, b in pairs), (name, pairs)


@given(meta=metadata())
def test_tsv_round_trip_is_exact(tmp_path_factory, meta):
    x = np.arange(N * 2, dtype=np.float32).reshape(N, 2)
    w = Projector(x, meta)
    folder = tmp_path_factory.mktemp("tsv")
    tensors, meta_path = w.to_tsv(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sidecar must fit its TSV
        back = Projector.from_tsv(tensors, meta_path)
    np.testing.assert_array_equal(back.embeddings, x)
    _check_back(w, back)
    # The TSV alone is what TensorBoard reads: one row per point, whatever the labels hold.
    table = tsv.parse_metadata(meta_path.read_text(encoding="utf-8"))
    assert len(table.rows) == N


@settings(max_examples=40)
@given(meta=metadata())
def test_tensorboard_round_trip_is_exact(tmp_path_factory, meta):
    pytest.importorskip("tensorboard")
    x = np.arange(N * 3, dtype=np.float32).reshape(N, 3)
    w = Projector(x, meta)
    logdir = tmp_path_factory.mktemp("log")
    w.to_tensorboard(logdir, tensor_format="tsv")
    back = Projector.from_tensorboard(logdir)
    np.testing.assert_array_equal(back.embeddings, x)
    _check_back(w, back)


@given(lines=st.lists(st.text(st.characters(blacklist_characters="\n\t"), max_size=6), max_size=8))
def test_reader_and_diagnose_split_rows_alike(tmp_path_factory, lines):
    """One column of labels (lone carriage returns included): the reader and the parser that
    diagnose uses count the same rows, and a trailing empty label is a row."""
    text = "".join(line + "\n" for line in lines)
    path = tmp_path_factory.mktemp("m") / "metadata.tsv"
    path.write_bytes(text.encode("utf-8"))
    read = tsv.read_metadata_tsv(path)
    assert len(tsv.split_lines(text)) == len(lines)
    stripped = [line[:-1] if line.endswith("\r") else line for line in lines]
    assert read.get("label", []) == stripped


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["007", "1"], ["007", "1"]),
        (["nan", "inf", "1"], ["nan", "inf", "1"]),
        (["1_000", "2"], ["1_000", "2"]),
        (["1", "", "2.5"], [1, None, 2.5]),
        (["-3", "4e2"], [-3, 400.0]),
    ],
)
def test_type_guessing_without_a_sidecar_is_strict(cells, expected):
    assert tsv.coerce_column(cells) == expected


# ----------------------------------------------------------------------------- any file
TOKENS = ["1", "-2.5", "1e999", "nan", "inf", "", " ", "x", "\t", "\n", "\r\n", "\r", "007", "é"]
#: File contents: lines of number-like tokens and separators, or any bytes.
CONTENTS = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=30).map(lambda t: "".join(t).encode("utf-8")),
    st.binary(max_size=40),
    st.text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
#: Any JSON, deep nesting and huge numbers included.
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
#: A row a sidecar names: mostly one of the file's, else out of range or not an index.
ROW_INDEX = st.one_of(
    st.just(0),
    st.just(0),
    st.integers(-3, 6) | st.sampled_from([True, 2.0, 1e300, float("inf"), float("nan")]),
)
CELL = st.text(max_size=3) | st.integers() | st.floats() | st.booleans() | st.none()


NOT_A_ROW = st.sampled_from([float("inf"), -1, 99, True, 2.0, float("nan"), "0", 10**400])
#: Each part of a sidecar's column entry: what the writer writes for a column of labels, and
#: wrong values of about its shape.
COLUMN_PARTS = {
    "name": (st.text(max_size=3), st.none() | st.integers()),
    "type": (st.sampled_from(["str", "text"]), st.sampled_from(["int", "float32", "bool", "x"])),
    "missing": (st.lists(st.integers(0, 3), max_size=2), st.lists(NOT_A_ROW, min_size=1)),
    "exact": (
        st.dictionaries(st.integers(0, 3).map(str), st.text(max_size=3), max_size=2),
        st.tuples(ROW_INDEX.map(str), st.lists(CELL, max_size=2) | ANY_JSON).map(
            lambda p: dict([p])
        ),
    ),
}


@st.composite
def _column_entry(draw: st.DrawFn) -> object:
    """A sidecar's entry for a column of labels, each part now and then wrong or any JSON."""
    return {
        part: draw(wrong | ANY_JSON) if draw(st.booleans()) else draw(right)
        for part, (right, wrong) in COLUMN_PARTS.items()
    }


@st.composite
def sidecar(draw: st.DrawFn, data: bytes) -> str:
    """A sidecar for the metadata bytes ``data`` (one column): written for them (their hash)
    with a column entry about right; or any JSON, or text that is not JSON (deep included)."""
    written = st.fixed_dictionaries(
        {
            "format": st.just(tsv.SIDECAR_FORMAT),
            "version": st.just(tsv.SIDECAR_VERSION),
            "sha256": st.just(hashlib.sha256(data).hexdigest()),
            "columns": st.lists(_column_entry(), min_size=1, max_size=1)
            | st.lists(_column_entry(), max_size=3),
        }
    )
    others = {
        "any JSON": ANY_JSON.map(json.dumps),
        "text": st.text(max_size=10),
        "deep": st.sampled_from([50_000, 1000, 33]).map(lambda d: "[" * d + "]" * d),
    }
    kind = draw(st.sampled_from(["written", "deep", "written", "any JSON", "written", "text"]))
    return draw(written.map(json.dumps) if kind == "written" else others[kind])


CELL_TYPES = (type(None), str, int, float, bool, np.float32, np.float16)


def _read_columns(path: Path) -> dict[str, list[Any]] | None:
    """``read_metadata(path)`` checked: equal columns of cells of the types metadata holds;
    None when it refused the file with a ValueError naming it."""
    try:
        columns = tsv.read_metadata(path)
    except ValueError as exc:
        assert path.name in str(exc), exc
        return None
    assert all(isinstance(name, str) for name in columns)
    assert len({len(values) for values in columns.values()}) <= 1
    cells = [v for values in columns.values() for v in values]
    assert all(isinstance(v, CELL_TYPES) for v in cells), cells
    return columns


@given(data=CONTENTS)
def test_any_metadata_file_reads_as_columns_or_names_the_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("meta") / "metadata.tsv"
    path.write_bytes(data)
    _read_columns(path)


#: One column of labels (its first line has no tab: no header).
LABELS = st.lists(st.sampled_from(["a", "1", "2.5", "", "007", "x y"]), min_size=1, max_size=4)


@given(labels=LABELS, side=st.data())
def test_a_sidecar_is_used_when_it_fits_else_ignored_with_a_warning(tmp_path_factory, labels, side):
    path = tmp_path_factory.mktemp("meta") / "metadata.tsv"
    data = "".join(f"{label}\n" for label in labels).encode("utf-8")
    path.write_bytes(data)
    text = side.draw(sidecar(data))
    tsv.sidecar_path(path).write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        columns = _read_columns(path)
    assert columns is not None and [len(v) for v in columns.values()] == [len(labels)]
    if not caught:  # used: it names rows of this file only, and the missing ones are missing
        (entry,) = json.loads(text)["columns"]
        rows = [*entry["missing"], *map(int, entry["exact"])]
        assert all(type(i) is int and 0 <= i < len(labels) for i in rows), rows
        assert all(columns[entry["name"]][i] is None for i in entry["missing"])
    else:
        assert all("is not used" in str(w.message) for w in caught)


@given(data=CONTENTS)
def test_any_tensor_file_reads_as_a_matrix_or_names_the_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("tensor") / "tensors.tsv"
    path.write_bytes(data)
    try:
        x = tsv.read_tensor_tsv(path)
    except ValueError as exc:
        assert "tensors.tsv" in str(exc), exc
        return
    assert x.dtype == np.float32 and x.ndim == 2 and x.size > 0


@given(data=CONTENTS, block=st.integers(1, 24))
def test_a_tensor_file_read_in_blocks_reads_as_the_whole_file(tmp_path_factory, data, block):
    # With progress the file is parsed a block at a time (a block ends at a newline byte): the
    # result is the whole file's, bit for bit, or both refuse it.
    path = tmp_path_factory.mktemp("tensor") / "tensors.tsv"
    path.write_bytes(data)

    def read(progress: Any) -> Any:
        try:
            return tsv.read_tensor_tsv(path, progress=progress).view(np.uint32).tolist()
        except ValueError as exc:
            return type(exc)

    whole = read(False)  # pandas parses it in one call (when it reads it as NumPy would)
    with mock.patch.object(tsv, "READ_CHUNK", block), mock.patch.object(tsv, "WHOLE_READ", 0):
        in_blocks = read(lambda _update: None)
    with mock.patch.object(tsv, "_pandas_rows", lambda _source: None):
        numpy_only = read(False)  # as without pandas
    assert in_blocks == whole == numpy_only
