"""Property-based: selections through the trait's validation and both (de)serialisers.

Whatever a user assigns, the trait holds sorted unique int64 indices of real rows, or the
assignment fails with IndexError/ValueError/TypeError and changes nothing; what the browser
sends (uint32 buffers, possibly inside a larger message at any offset) decodes exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from projector_widget import Projector
from projector_widget.sync import wire as encoding
from projector_widget.sync.traits import normalize_selection, selection_from_json, selection_to_json

N = 50
int_arrays = hnp.arrays(
    dtype=st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32, np.uint64]),
    shape=st.integers(0, 20),
)
float_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    shape=st.integers(0, 20),
    elements=st.one_of(st.integers(-5, 60).map(float), st.floats(width=16)),
)
any_index_array = st.one_of(int_arrays, float_arrays)
values = st.one_of(
    any_index_array,
    st.lists(st.one_of(st.integers(-(2**70), 2**70), st.integers(0, N - 1))),
    st.lists(st.booleans(), min_size=N, max_size=N),
    st.lists(st.booleans(), max_size=N + 2),
    st.sets(st.integers(0, N - 1)),
    st.lists(st.floats(width=64)),
)


@given(value=values)
def test_selection_is_valid_or_refused_without_change(value):
    w = Projector(np.eye(N, 3), selected=[1, 2])
    try:
        got = normalize_selection(value, N)
    except (IndexError, ValueError, TypeError):
        with pytest.raises((IndexError, ValueError, TypeError)):
            w.selected = value
        assert w.selected.tolist() == [1, 2]
        return
    assert got.dtype == np.int64 and got.ndim == 1
    assert np.all(np.diff(got) > 0) and (got.size == 0 or (got[0] >= 0 and got[-1] < N))
    arr = np.asarray(list(value) if isinstance(value, set) else value)
    if arr.dtype == bool:
        assert got.tolist() == np.flatnonzero(arr).tolist()
    else:
        assert got.tolist() == sorted({int(v) for v in arr.tolist()})
    w.selected = value
    assert w.selected.tolist() == got.tolist()


@given(rows=st.sets(st.integers(0, 2**32 - 1), max_size=40), pad=st.integers(0, 7))
def test_selection_round_trips_through_both_serialisers(rows, pad):
    indices = np.array(sorted(rows), dtype=np.int64)
    wire = selection_to_json(indices, None)
    raw = bytes(wire["indices"])
    # anywidget may hand over a view into a larger message buffer, at any offset.
    message = bytearray(b"\xff" * pad + raw + b"\xee" * 3)
    view = memoryview(message)[pad : pad + len(raw)]
    back = selection_from_json({"indices": view}, None)
    assert back.dtype == np.int64 and back.tolist() == indices.tolist()
    assert encoding.decode_selection(wire).tolist() == indices.tolist()


@given(size=st.integers(1, 40).filter(lambda k: k % 4))
def test_a_buffer_that_is_not_whole_uint32s_is_refused(size):
    with pytest.raises(ValueError, match=f"got {size} bytes"):
        encoding.decode_selection({"indices": memoryview(bytes(size))})
