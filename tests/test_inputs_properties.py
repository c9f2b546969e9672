"""Property-based: arbitrary matrices and metadata through inputs.py.

Every input either becomes a valid float32 matrix equal to the input (converted), or fails with
TypeError/ValueError; metadata cells keep their identity in display text; the steps of a
sequence become aligned layouts or fail naming the step.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from projector_widget.data.columns import (
    as_columns,
    categorical_column,
    make_column,
    set_values,
)
from projector_widget.data.inputs import as_matrix
from projector_widget.data.text import value_text
from projector_widget.parts.timeline import build_timeline

dtypes = st.one_of(
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="=", sizes=(16, 32, 64)),
    st.just(np.dtype(bool)),
    hnp.complex_number_dtypes(endianness="="),
)
matrices = hnp.arrays(
    dtype=dtypes, shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6)
)


@given(x=matrices)
def test_any_array_becomes_a_valid_matrix_or_a_precise_error(x):
    try:
        m = as_matrix(x.copy())
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert message and "embeddings" in message
        kind_ok = x.dtype.kind in "fiub"
        if kind_ok and x.ndim == 2 and x.size and np.isfinite(x.astype(np.float64)).all():
            # only a value too large for float32 can fail a clean real matrix
            assert "too large" in message or "Inf" in message
        return
    assert x.ndim == 2 and x.size > 0 and x.dtype.kind in "fiub"
    assert m.values.dtype == np.float32 and m.values.flags.c_contiguous
    np.testing.assert_array_equal(m.values, x.astype(np.float32))
    assert np.all(np.isfinite(m.values)) and np.all(np.isfinite(m.sq_norms))
    np.testing.assert_allclose(
        m.sq_norms, (m.values.astype(np.float64) ** 2).sum(1), rtol=1e-4, atol=1e-30
    )


@given(
    rows=st.lists(
        st.lists(
            st.one_of(st.integers(-(2**40), 2**40), st.floats(width=32)), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=8,
    )
)
def test_nested_lists_become_a_matrix_or_name_the_bad_row(rows):
    try:
        m = as_matrix(rows)
    except ValueError as exc:
        bad = [i for i, r in enumerate(rows) if not all(math.isfinite(v) for v in r)]
        if not bad:  # finite, but a row's squared norm overflows float32 (|x| near 1.8e19)
            f32max = float(np.finfo(np.float32).max)
            bad = [
                i for i, r in enumerate(rows) if sum(float(np.float32(v)) ** 2 for v in r) >= f32max
            ]
            assert "too large" in str(exc)
        assert bad and f"row {bad[0]}" in str(exc)
        return
    assert m.values.shape == (len(rows), 3)


cell = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, width=64),
    st.floats(width=32).map(np.float32),
    st.booleans(),
)


@given(cells=st.lists(cell, min_size=1, max_size=30))
def test_every_cell_keeps_its_identity_in_text(cells):
    (col,) = as_columns({"c": cells}, len(cells))
    for i, v in enumerate(cells):
        text = col.text(i)
        if (
            v is None
            or (isinstance(v, float) and math.isnan(v))
            or (isinstance(v, np.floating) and np.isnan(v))
        ):
            assert text is None
        elif isinstance(v, bool):
            assert text == str(v)
        elif isinstance(v, int):
            assert text == str(v)  # exact, however large
        elif isinstance(v, np.float32):
            assert np.float32(text) == v  # shortest text that reads back the same float32
        elif isinstance(v, float):
            assert float(text) == v
        else:
            assert text == v


label_values = st.one_of(
    st.none(), st.sampled_from(["a", "b", "", "c\udce9"]), st.integers(0, 3), st.booleans()
)


@given(
    values=st.lists(label_values, min_size=1, max_size=40),
    value=label_values,
    picks=st.lists(st.booleans(), min_size=40, max_size=40),
    new=st.booleans(),
)
def test_labelling_rows_types_the_column_as_typing_it_whole_would(values, value, picks, new):
    """set_values changes a categorical column by its codes (never re-reading every row); the
    column it makes is the one that typing all its values anew makes."""
    n = len(values)
    rows = np.flatnonzero(np.asarray(picks[:n]))
    columns = [] if new else [make_column("c", values, n)]
    if not new and columns[0].kind != "category":
        return
    cells = np.full(n, None, object) if new else columns[0].values.astype(object)
    cells[rows] = value
    want = make_column("c", cells, n)
    if not new and want.kind == "text":
        want = categorical_column("c", cells)
    if rows.size == 0 and new:
        return
    got = next(c for c in set_values(columns, "c", value, rows, n) if c.name == "c")
    assert (got.kind, got.categories, got.counts, got.missing_code) == (
        want.kind,
        want.categories,
        want.counts,
        want.missing_code,
    )
    if want.codes is not None:
        assert got.codes is not None and got.codes.tolist() == want.codes.tolist()
    assert [value_text(v) for v in got.values] == [value_text(v) for v in want.values]


# ----------------------------------------------------------------------------- sequences
@st.composite
def _steps(draw: st.DrawFn) -> list[object]:
    """Steps of a sequence: mostly matrices of the same rows (their dimensions may differ),
    of any values (constant, NaN, huge); now and then another shape, dtype or kind."""
    n = draw(st.integers(1, 7))
    usual = st.integers(1, 5).flatmap(
        lambda d: hnp.arrays(
            np.float64,
            (n, d),
            elements=st.floats(-1e3, 1e3),
        )
    )
    odd = st.integers(1, 5).flatmap(
        lambda d: hnp.arrays(
            np.float64,
            (n, d),
            elements=st.floats(allow_nan=True, allow_infinity=True)
            | st.sampled_from([0.0, 1.0, 1e30, -1e-30]),
        )
    )
    constant = st.integers(1, 5).map(lambda d: np.full((n, d), 3.0))
    step = st.sampled_from(["usual"] * 6 + ["odd", "constant", "other", "text", "none"])
    kinds = {"usual": usual, "odd": odd, "constant": constant, "other": matrices}
    kinds |= {"text": st.just("x"), "none": st.none()}
    return [draw(kinds[draw(step)]) for _ in range(draw(st.sampled_from([1, 2, 3, 4, 0])))]


NAMES = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.lists(st.text(max_size=2) | st.integers(), max_size=4),
    st.just("ab"),
)


@given(steps=_steps(), names=NAMES)
def test_any_steps_become_an_aligned_timeline_or_a_precise_error(steps, names):
    try:
        timeline = build_timeline(steps, names)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert message and any(w in message for w in ("step", "names", "embeddings_list"))
        return
    n = timeline.matrices[0].n
    assert timeline.steps == len(steps) and len(timeline.names) == len(steps)
    for layout in timeline.layouts:
        assert layout.shape == (n, 3) and layout.dtype == np.float32
        assert np.all(np.isfinite(layout))
    assert np.all(np.isfinite(timeline.displacement(timeline.steps - 1)))
