"""Tensor TSVs: float32 values round-trip bit for bit in their shortest text; errors name the line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from projector_widget.formats.tsv import read_tensor_tsv, write_tensor_tsv

finite_float32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=finite_float32,
    )
)
def test_finite_float32_matrices_round_trip_exactly(tmp_path_factory, x):
    path = tmp_path_factory.mktemp("tsv") / "tensors.tsv"
    write_tensor_tsv(path, x)
    back = read_tensor_tsv(path)
    assert back.shape == x.shape and back.dtype == np.float32
    np.testing.assert_array_equal(back.view(np.uint32), x.view(np.uint32))  # -0.0 included


@given(finite_float32)
def test_each_value_is_written_in_its_shortest_form(tmp_path_factory, v):
    path = tmp_path_factory.mktemp("tsv") / "tensors.tsv"
    write_tensor_tsv(path, np.array([[v]], np.float32))
    text = path.read_text().strip()
    shortest = np.format_float_scientific(np.float32(v), unique=True, trim="-")
    digits = shortest.lstrip("-").split("e")[0].replace(".", "")
    written = text.lstrip("-").split("e")[0].replace(".", "").strip("0") or "0"
    assert len(written) <= len(digits.strip("0") or "0")


def test_written_values_are_float32_short_not_float64_reprs(tmp_path):
    write_tensor_tsv(tmp_path / "t.tsv", np.array([[0.1, -2.5e-8, 3.4028235e38, 0.0]], np.float32))
    assert (tmp_path / "t.tsv").read_text() == "0.1\t-2.5e-08\t3.4028235e+38\t0\n"


def test_errors_name_the_line(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("1\t2\n\n3\t4\n5\t6\t7\n")
    with pytest.raises(ValueError, match="line 4 has 3 values but the first row has 2"):
        read_tensor_tsv(path)
    path.write_text("1\t2\n3\tfour\n")
    with pytest.raises(ValueError, match="line 2 is not tab-separated numbers: '3\\\\tfour'"):
        read_tensor_tsv(path)
    path.write_text("1\t2\n3\t\n")  # an empty cell is not a number (not a silent NaN)
    with pytest.raises(ValueError, match="line 2 is not tab-separated numbers"):
        read_tensor_tsv(path)
    path.write_text("")
    with pytest.raises(ValueError, match="no rows"):
        read_tensor_tsv(path)


def test_nan_inf_crlf_and_blank_lines_read(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes(b"nan\t-inf\r\n\r\n1.5\t2\r\n")
    x = read_tensor_tsv(path)
    assert x.shape == (2, 2) and np.isnan(x[0, 0]) and x[0, 1] == -np.inf and x[1, 0] == 1.5
