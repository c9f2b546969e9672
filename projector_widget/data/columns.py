"""Validate metadata: one label per row, a dict of columns or a DataFrame become typed columns.

Each column is categorical, numeric or free text; every value keeps its identity (see
:func:`~projector_widget.data.text.value_text`), and a missing value (None, NaN, pandas NA)
stays distinct from an empty string. The checks of column choices (``color_by``, ``size_by``,
``label_by``) are in :mod:`projector_widget.data.choices`, the metadata as a pandas table in
:mod:`projector_widget.data.table`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.data.text import is_missing, missing_mask, valid_text, value_text

ColumnKind = Literal["category", "number", "text"]

#: An integer column with at most this many distinct values is treated as categorical.
MAX_INTEGER_CATEGORIES = 32
#: A string column is categorical when it has at most this many distinct values ...
MIN_TEXT_CATEGORIES = 20
#: ... or when its distinct values are at most this fraction of its rows.
CATEGORY_FRACTION = 0.2
#: Category codes travel as uint16, so no column can have more categories than this.
MAX_CATEGORIES = 65535
#: Characters a row on average above which rows of strings are grouped by object before
#: pandas factorises them (which hashes every row's characters anew).
LONG_TEXT = 256


@dataclass
class Column:
    """One typed metadata column.

    ``values`` keeps what the user gave: an object array for text and categories; for numbers
    the user's own dtype (integers stay integers, float32 stays float32) or an object array of
    Python numbers. ``codes``/``categories`` are filled for categorical columns, most frequent
    category first. A missing value (None, NaN, pandas NA) is distinct from an empty string.
    """

    name: str
    kind: ColumnKind
    values: np.ndarray
    categories: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    codes: npt.NDArray[np.uint16] | None = None
    missing_code: int | None = None

    def __post_init__(self) -> None:
        check_name(self.name)

    def text(self, row: int) -> str | None:
        """The value at ``row`` as display text, or None when it is missing (see
        :func:`value_text`)."""
        return value_text(self.values[row])

    def format(self, row: int) -> str:
        """The value at ``row`` as display text ('' when missing)."""
        text = value_text(self.values[row])
        return "" if text is None else text

    def numbers(self) -> npt.NDArray[np.float64]:
        """A numeric column's values as float64 (NaN where missing), for colour scales."""
        if self.values.dtype != object:
            return self.values.astype(np.float64)
        return np.array(
            [np.nan if is_missing(v) else float(v) for v in self.values], dtype=np.float64
        )


def check_name(name: str) -> None:
    """ValueError unless the column name ``name`` is valid Unicode (it is sent to the page and
    written to files; it is also how you refer to the column, so it is never changed)."""
    shown = valid_text(name)
    if shown != name:
        at = next((i for i, (a, b) in enumerate(zip(name, shown, strict=False)) if a != b), 0)
        raise ValueError(
            f"metadata column name {name!r} is not valid Unicode (a lone surrogate at position "
            f"{at}, as os.listdir gives a byte that is not UTF-8); name the column with text, "
            f"e.g. {shown!r}"
        )


def _is_pandas_frame(obj: object) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas") and hasattr(obj, "columns") and hasattr(obj, "iloc")


def _is_pandas_series(obj: object) -> bool:
    mod = type(obj).__module__
    return mod.startswith("pandas") and hasattr(obj, "name") and hasattr(obj, "iloc")


def _is_arrow_table(obj: object) -> bool:
    module = type(obj).__module__.split(".")[0]
    return module == "pyarrow" and hasattr(obj, "column_names") and hasattr(obj, "num_rows")


def _arrow_columns(table: Any, n: int) -> dict[str, Any]:
    """An Arrow table's columns as pandas Series, converted one at a time."""
    if table.num_rows != n:
        raise ValueError(count_message("metadata", int(table.num_rows), n))
    return {str(name): table.column(name).to_pandas() for name in table.column_names}


def as_columns(metadata: object, n: int) -> list[Column]:
    """Validate ``metadata`` against ``n`` embedding rows and return typed columns.

    ``metadata`` may be ``None``, a sequence with one label per row, a dict of equal-length
    columns, a pandas DataFrame/Series or a pyarrow Table (a Dask DataFrame is read column by
    column on its cluster before it comes here). Each column is typed as categorical, numeric
    or text.

    Raises
    ------
    ValueError
        when a column's length differs from ``n`` (both counts are in the message).
    TypeError
        when ``metadata`` is of an unsupported kind.
    """
    if metadata is None:
        return []
    if _is_arrow_table(metadata):  # read column by column
        metadata = _arrow_columns(metadata, n)
    raw: list[tuple[str, object]]
    if _is_pandas_frame(metadata):
        raw = [(str(name), metadata[name]) for name in metadata.columns]  # type: ignore[attr-defined,index]
        rows = len(metadata)  # type: ignore[arg-type]
        if rows != n:
            raise ValueError(count_message("metadata", rows, n))
    elif isinstance(metadata, Mapping):
        if not metadata:
            raise ValueError("metadata is an empty dict; pass at least one column, or None")
        raw = [(str(k), v) for k, v in metadata.items()]
    elif _is_pandas_series(metadata):
        name = metadata.name  # type: ignore[attr-defined]
        raw = [(str(name) if name is not None else "label", metadata)]
    elif isinstance(metadata, (str, bytes)):
        raise TypeError(
            "metadata must be one label per row (a list), a dict of columns or a DataFrame; "
            "got a single string"
        )
    elif isinstance(metadata, (Sequence, np.ndarray)) or hasattr(metadata, "__array__"):
        arr = (
            np.asarray(metadata, dtype=object) if not isinstance(metadata, np.ndarray) else metadata
        )
        if arr.ndim == 2 and arr.shape[0] == n and not isinstance(metadata, np.ndarray):
            raise TypeError(
                "metadata looks like rows of several values; pass a dict of columns "
                "({'name': [...], 'kind': [...]}) or a pandas DataFrame"
            )
        raw = [("label", metadata)]
    else:
        raise TypeError(
            "metadata must be a sequence with one label per row, a dict of equal-length "
            f"columns, or a pandas DataFrame; got {type(metadata).__name__}"
        )

    columns: list[Column] = []
    seen: set[str] = set()
    for name, values in raw:
        if name in seen:
            raise ValueError(
                f"metadata has two columns named {name!r}; column names must be unique"
            )
        seen.add(name)
        columns.append(make_column(name, values, n))
    return columns


def count_message(what: str, rows: int, n: int) -> str:
    """The error text for ``what`` of ``rows`` rows beside ``n`` embedding rows."""
    hint = ""
    if rows == n + 1:
        hint = " (one extra row: is the first row a header?)"
    elif rows == n - 1:
        hint = " (one row short: was a header row taken as data, or a row dropped?)"
    return (
        f"{what} has {rows} rows but embeddings have {n} rows{hint}; "
        "each metadata row labels the embedding row at the same position"
    )


def make_column(name: str, values: object, n: int) -> Column:
    """Type one metadata column of length ``n`` as categorical, numeric or free text."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(
            f"metadata column {name!r} must be a sequence of values, got {type(values).__name__}"
        )
    categorical = _pandas_categorical(values)
    if categorical is not None:
        categorical = categorical.remove_unused_categories()
        labels = categorical.categories
        # String labels only: numeric categories keep the typing of numbers below.
        if len(labels) <= MAX_CATEGORIES and all(isinstance(u, str) for u in labels):
            return _categorical_from_pandas(name, categorical, n)
        values = categorical  # typed from its labels, below
    if _is_pandas_series(values):
        dtype = values.dtype  # type: ignore[attr-defined]
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            values = values.to_numpy()  # type: ignore[attr-defined]  # keeps float32, fast
        else:  # object, strings, pandas' nullable dtypes: missing values as None
            strings = _string_categories(name, values, n)
            if strings is not None:
                return strings
            values = values.to_numpy(dtype=object, na_value=None)  # type: ignore[attr-defined]
    if isinstance(values, (list, tuple)):
        # Each value as given: NumPy would turn [0, 0.5] into floats (the 0 shown as 0.0).
        arr = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            arr[i] = v
    else:
        arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(
            f"metadata column {name!r} must be 1-D (one value per row); got shape {arr.shape}"
        )
    if arr.shape[0] != n:
        raise ValueError(count_message(f"metadata column {name!r}", arr.shape[0], n))

    kind = arr.dtype.kind
    if kind == "b":
        return categorical_column(name, arr.astype(object))
    if kind in "iu":
        if np.unique(arr).size <= MAX_INTEGER_CATEGORIES:
            return categorical_column(name, arr.astype(object))
        return Column(name=name, kind="number", values=arr.copy())
    if kind == "f":
        return Column(name=name, kind="number", values=arr.copy())
    obj = arr.astype(object)
    _check_cells(name, obj)
    if _all_numbers(obj):
        column = Column(name=name, kind="number", values=number_values(obj))
        nums = column.numbers()
        finite = nums[np.isfinite(nums)]
        ints = all(isinstance(v, (int, np.integer)) for v in obj if not is_missing(v))
        if ints and finite.size and np.unique(finite).size <= MAX_INTEGER_CATEGORIES:
            return categorical_column(name, obj)
        return column
    return _categorical_or_text(name, obj)


def _pandas_categorical(values: object) -> Any:
    """``values`` as a ``pandas.Categorical`` when it is one (or a Series of category dtype)."""
    if not type(values).__module__.startswith("pandas"):
        return None
    if _is_pandas_series(values):
        values = values.array  # type: ignore[attr-defined]
    if type(values).__name__ == "Categorical" and hasattr(values, "codes"):
        return values
    return None


def _string_categories(name: str, series: Any, n: int) -> Column | None:
    """A pandas Series of pandas' string type as a categorical column made from pandas' own
    factorisation, one string object per category; None when it is of another type, or free
    text (typed from its values, as any column).

    Converted first, it became a Python string a row: a 1 MB value on 1,000 rows took 1 GB.
    """
    if type(series.dtype).__name__ != "StringDtype" or len(series) != n:
        return None
    codes, uniques = series.factorize(use_na_sentinel=True)
    k = len(uniques)
    if k > MAX_CATEGORIES or (k > MIN_TEXT_CATEGORIES and k > CATEGORY_FRACTION * n):
        return None
    table = np.empty(k + 1, dtype=object)
    table[:k] = [str(u) for u in uniques]
    table[-1] = None  # code -1 (missing) indexes the last slot
    codes = np.asarray(codes, dtype=np.int64)
    return _from_codes(name, table[codes], codes, list(table[:k]), codes < 0)


def _categorical_from_pandas(name: str, cat: Any, n: int) -> Column:
    """A categorical column straight from pandas' codes and categories.

    Measured: going through an object array of every row's label (then a per-cell check and a
    factorisation back to codes) took about 100 bytes a row of kernel memory, 10 GB at 100M
    rows; this keeps the codes and one object reference a row (``values``, for the tooltip).
    """
    codes = np.asarray(cat.codes)
    if codes.shape != (len(cat),):
        raise ValueError(f"metadata column {name!r} must be 1-D (one value per row)")
    if codes.shape[0] != n:
        raise ValueError(count_message(f"metadata column {name!r}", codes.shape[0], n))
    uniques = list(cat.categories)
    _check_cells(name, np.asarray(uniques + [None], dtype=object))
    missing = codes < 0
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = uniques
    table[-1] = None  # code -1 (missing) indexes the last slot
    obj = table[codes]
    return _from_codes(name, obj, codes.astype(np.int64), uniques, missing)


def _fits(value: object, dtype: np.dtype) -> bool:
    """Whether ``value`` is stored exactly by an array of ``dtype`` (None as NaN in floats)."""
    if dtype.kind == "f":
        if value is None:
            return True
        if not isinstance(value, (float, np.floating)):
            return False  # an integer stays an integer, in an object column
        kept = dtype.type(value)
        return bool(kept == value or (np.isnan(kept) and np.isnan(value)))
    if dtype.kind in "iu" and isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        info = np.iinfo(dtype)
        return info.min <= int(value) <= info.max
    return False


def _check_cells(name: str, obj: npt.NDArray[np.object_]) -> None:
    """TypeError for cells that are not one value (a dict, list or set in a metadata cell)."""
    for row, v in enumerate(obj):
        if isinstance(v, (dict, list, set, tuple, np.ndarray)):
            raise TypeError(
                f"metadata column {name!r} holds a {type(v).__name__} at row {row}; each cell "
                "must be one value (a string, number, bool or None): flatten it into columns "
                "or convert it to text, e.g. str(value)"
            )


def number_values(obj: npt.NDArray[np.object_]) -> np.ndarray:
    """Numbers and missing values in an array that keeps every value exactly.

    int64 when all are integers and none is missing; the floats' own dtype when all are floats
    (missing as NaN); otherwise (integers with missing values, integers among floats, integers
    beyond int64) the object array itself, so an integer is never shown as a float.
    """
    present = [v for v in obj if not is_missing(v)]
    floats = [v for v in present if isinstance(v, (float, np.floating))]
    dtypes = {v.dtype if isinstance(v, np.floating) else np.dtype(np.float64) for v in floats}
    if len(floats) == len(present) and len(dtypes) <= 1:
        dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        return np.array([np.nan if is_missing(v) else v for v in obj], dtype=dtype)
    if not floats and len(present) == obj.size and all(-(2**63) <= int(v) < 2**63 for v in present):
        return np.array([int(v) for v in obj], dtype=np.int64)
    return obj.copy()


def _all_numbers(obj: npt.NDArray[np.object_]) -> bool:
    seen_number = False
    for v in obj:
        if is_missing(v):
            continue
        if not _is_number(v):
            return False
        seen_number = True
    return seen_number


def _factorize(obj: npt.NDArray[np.object_]) -> tuple[np.ndarray, list[object], np.ndarray]:
    """Codes, uniques (first-seen order) and a missing mask for an object array.

    pandas hashes an array of strings (only strings) with its own hash over every character,
    anew on every row: one 1 MB value on a few thousand rows (``[value] * n``) took seconds. So
    when the strings are long (:data:`LONG_TEXT` characters a row on average), the rows are
    first grouped by the object they hold and one row per object is factorised. Any other array
    is hashed with the hash a Python object keeps (as Python's dict does without pandas).
    """
    missing = missing_mask(obj)
    try:
        import pandas as pd  # noqa: PLC0415 - optional speed-up
    except ImportError:
        pass
    else:
        try:
            long = sum(map(len, obj)) > LONG_TEXT * obj.size  # what pandas would hash
        except TypeError:  # a value without a length (None, a number): not only strings
            long = False
        firsts, same = _by_object(obj) if long else (None, None)
        distinct = obj if firsts is None else obj[firsts]
        codes, uniques = pd.factorize(pd.Series(distinct, dtype=object), use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        return (codes if same is None else codes[same]), list(uniques), missing
    lookup: dict[object, int] = {}
    codes = np.empty(obj.size, dtype=np.int64)
    for i, v in enumerate(obj):
        if missing[i]:
            codes[i] = -1
        else:
            codes[i] = lookup.setdefault(v, len(lookup))
    return codes, list(lookup), missing


def _by_object(
    obj: npt.NDArray[np.object_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The first row of each distinct object in ``obj`` (by identity, in row order) and, for
    each row, the number of its object in that list."""
    ids = np.fromiter(map(id, obj), dtype=np.int64, count=obj.size)  # alive in obj: distinct
    order = np.argsort(ids, kind="stable")  # fast: objects made in turn have rising addresses
    sorted_ids = ids[order]
    starts = np.ones(obj.size, dtype=bool)
    starts[1:] = sorted_ids[1:] != sorted_ids[:-1]
    group = np.cumsum(starts) - 1  # the object of each sorted row
    firsts = order[starts]  # stable: each object's first row
    rank = np.argsort(firsts)
    number = np.empty(rank.size, dtype=np.int64)
    number[rank] = np.arange(rank.size)  # objects numbered by their first row
    same = np.empty(obj.size, dtype=np.int64)
    same[order] = number[group]
    return firsts[rank], same


def _categorical_or_text(name: str, obj: npt.NDArray[np.object_]) -> Column:
    codes, uniques, missing = _factorize(obj)
    n_unique = len(uniques)
    if n_unique > MAX_CATEGORIES or (
        n_unique > MIN_TEXT_CATEGORIES and n_unique > CATEGORY_FRACTION * obj.size
    ):
        return Column(name=name, kind="text", values=obj)
    return _from_codes(name, obj, codes, uniques, missing)


def categorical_column(name: str, obj: npt.NDArray[np.object_]) -> Column:
    """A categorical column of ``obj`` whatever its number of distinct values."""
    codes, uniques, missing = _factorize(obj)
    return _from_codes(name, obj, codes, uniques, missing)


def _from_codes(
    name: str,
    obj: npt.NDArray[np.object_],
    codes: np.ndarray,
    uniques: list[object],
    missing: np.ndarray,
) -> Column:
    """Re-number categories by frequency (most frequent first, ties by label); a unique no row
    holds (relabelled away) is not a category."""
    codes = np.where(missing, -1, codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    used = np.flatnonzero(counts).tolist()
    if len(used) > MAX_CATEGORIES:
        raise ValueError(
            f"metadata column {name!r} has {len(used)} distinct values; a categorical column "
            f"can have at most {MAX_CATEGORIES} (their codes travel as 16 bits)"
        )
    labels = [value_text(u) or "" for u in uniques]
    order = sorted(used, key=lambda i: (-int(counts[i]), labels[i]))
    remap = np.empty(len(uniques) + 1, dtype=np.int64)
    remap[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    categories = [labels[i] for i in order]
    cat_counts = [int(counts[i]) for i in order]
    missing_code: int | None = None
    if missing.any():
        missing_code = len(categories)
        remap[-1] = missing_code  # code -1 indexes the last slot
        categories.append("")
        cat_counts.append(int(missing.sum()))
    new_codes = remap[codes].astype(np.uint16)
    return Column(
        name=name,
        kind="category",
        values=obj,
        categories=categories,
        counts=cat_counts,
        codes=new_codes,
        missing_code=missing_code,
    )


def category_values(column: Column) -> list[object]:
    """One value of each category of a categorical column, in the order of its categories (the
    missing category, when there is one, is left out): the value its first row holds."""
    assert column.codes is not None
    first = _first_rows(column.codes.astype(np.int64), len(column.categories))
    keep = [k for k in range(len(column.categories)) if k != column.missing_code]
    return [column.values[int(first[k])] for k in keep]


def _first_rows(codes: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    """The first row holding each of the codes 0..size-1 (``codes.size`` for none; a negative
    code, missing, is no category)."""
    first = np.full(size, codes.size, np.int64)
    held = codes >= 0
    np.minimum.at(first, codes[held], np.flatnonzero(held))
    return first


def set_values(
    columns: list[Column], column: str, value: object, rows: npt.NDArray[np.int64], n: int
) -> list[Column]:
    """The columns with ``column`` set to ``value`` on ``rows`` (a new column when absent).

    A new column is missing elsewhere; a numeric column takes numbers only (ValueError
    otherwise) and keeps every other value exactly; a categorical column stays categorical
    while it has at most MAX_CATEGORIES values. The input list is not changed.
    """
    if not isinstance(column, str) or not column:
        raise ValueError("column must be a non-empty string")
    if isinstance(value, (dict, list, set, tuple, np.ndarray)):
        raise TypeError(
            f"a label is one value (a string, number or None), got a {type(value).__name__}"
        )
    existing = next((c for c in columns if c.name == column), None)
    if existing is not None and existing.kind == "number":
        if value is not None and (
            isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
        ):
            raise ValueError(f"column {column!r} is numeric; {value!r} is not a number")
        old = existing.values
        if _fits(value, old.dtype):  # the column keeps its dtype: every other value unchanged
            values = old.copy()
            values[rows] = np.nan if value is None else value
        else:  # each value keeps its own type (NumPy scalars stay NumPy scalars)
            values = old.copy() if old.dtype == object else np.fromiter(old, object, old.size)
            values[rows] = value
            values = number_values(values)
        new = Column(name=column, kind="number", values=values)
    else:
        values = (
            existing.values.astype(object) if existing is not None else np.full(n, None, object)
        )
        values[rows] = value
        relabelled = None
        if existing is None or existing.kind == "category":
            relabelled = _relabelled(column, existing, values, value, rows)
        if relabelled is not None:
            new = relabelled
        else:
            new = make_column(column, values, n)
            if existing is not None and existing.kind == "category" and new.kind == "text":
                if len(_factorize(values)[1]) <= MAX_CATEGORIES:
                    new = categorical_column(column, values)
    out = [new if c.name == column else c for c in columns]
    if existing is None:
        out.append(new)
    return out


def _relabelled(
    name: str,
    existing: Column | None,
    values: npt.NDArray[np.object_],
    value: object,
    rows: npt.NDArray[np.int64],
) -> Column | None:
    """The categorical column ``name`` of ``values``, ``existing`` (None: a new column) with
    ``value`` set on ``rows``, made from the existing codes: one lookup of ``value`` among the
    categories, never a factorisation of every row (seconds for a 1 MB value on thousands of
    rows). None when the column would not stay categorical as :func:`make_column` types it
    (numbers only, typed anew; more than MAX_CATEGORIES values), or ``value`` is unhashable."""
    if existing is None:
        codes = np.full(values.size, -1, np.int64)
        uniques: list[object] = []
    else:
        assert existing.codes is not None
        codes = existing.codes.astype(np.int64)
        if existing.missing_code is not None:
            codes[codes == existing.missing_code] = -1
        uniques = category_values(existing)
    if is_missing(value):
        code = -1
    else:
        try:
            code = {u: k for k, u in enumerate(uniques)}.get(value, len(uniques))
        except TypeError:  # unhashable: make_column says what is wrong
            return None
        if code == len(uniques):
            uniques.append(value)
    codes[rows] = code
    # Each category's value is the one its first row holds now, as a factorisation would find.
    first = _first_rows(codes, len(uniques))
    used = np.flatnonzero(first < codes.size).tolist()
    if len(used) > MAX_CATEGORIES:
        return None
    for k in used:
        uniques[k] = values[int(first[k])]
    if all(_is_number(uniques[k]) for k in used):
        return None  # numbers (or none at all): make_column types them
    return _from_codes(name, values, codes, uniques, codes < 0)


def _is_number(value: object) -> bool:
    """A number as :func:`_all_numbers` counts one (a bool is not)."""
    return not isinstance(value, bool) and isinstance(value, numbers.Real)
