"""The wire format: quantisation bounds, column encodings and selection round trips are exact."""

from __future__ import annotations

import decoders
import numpy as np

from projector_widget.data.columns import as_columns
from projector_widget.sync import wire as encoding


def test_quantize_error_is_below_half_a_step():
    rng = np.random.default_rng(0)
    coords = (rng.standard_normal((10000, 3)) * [1, 100, 1e-3]).astype(np.float32)
    value = encoding.encode_points(coords)
    assert value["n"] == 10000 and value["dims"] == 3
    assert len(bytes(value["data"])) == 10000 * 3 * 2
    back = decoders.decode_points(value)
    span = np.asarray(value["hi"]) - np.asarray(value["lo"])
    err = np.abs(back - coords).max(axis=0)
    assert np.all(err <= span / 65535 * 0.5 + 1e-6 * span)


def test_quantize_constant_axis_and_extremes():
    coords = np.array([[5.0, -1.0], [5.0, 1.0], [5.0, 0.0]], np.float32)
    q, lo, hi = encoding.quantize(coords)
    assert q[:, 0].tolist() == [0, 0, 0]
    assert q[:, 1].tolist() == [0, 65535, 32768]
    assert lo[0] == 5.0 and hi[0] > lo[0]


def test_category_codes_are_uint8_then_uint16():
    small = as_columns([f"c{i % 10}" for i in range(100)], 100)[0]
    enc = encoding.encode_column(small)
    assert enc["code_bytes"] == 1 and len(bytes(enc["codes"])) == 100
    labels = [f"c{i % 300}" for i in range(3000)]
    big = as_columns(labels, 3000)[0]
    assert big.kind == "category"
    enc = encoding.encode_column(big)
    assert enc["code_bytes"] == 2
    codes = np.frombuffer(enc["codes"], "<u2")
    assert [enc["categories"][c] for c in codes[:5]] == labels[:5]


def test_number_column_float32_with_nan_and_range():
    col = as_columns({"v": [1.5, float("nan"), -2.0] + [0.25] * 50}, 53)[0]
    enc = encoding.encode_column(col)
    vals = np.frombuffer(enc["values"], "<f4")
    assert np.isnan(vals[1]) and vals[0] == 1.5
    assert enc["min"] == -2.0 and enc["max"] == 1.5


def test_text_column_sends_no_values():
    col = as_columns([f"sentence {i}" for i in range(500)], 500)[0]
    assert encoding.encode_column(col) == {"name": "label", "kind": "text"}


def test_selection_round_trip_is_binary_and_exact():
    idx = np.array([0, 7, 123456, 2**32 - 1], dtype=np.int64)
    wire = encoding.encode_selection(idx)
    assert isinstance(wire["indices"], memoryview) and wire["indices"].nbytes == 16
    back = encoding.decode_selection({"indices": bytes(wire["indices"])})
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, idx)
    assert encoding.decode_selection(None).size == 0
    assert encoding.decode_selection({"indices": memoryview(b"")}).size == 0
