"""Property-based: metadata keeps its identity through to_tsv/from_tsv and TensorBoard files.

Arbitrary labels (tabs, newlines, lone carriage returns, empty strings, missing values, unicode,
strings that look like numbers) and numbers come back exactly, column by column.
"""

from __future__ import annotations

import math
import warnings

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
