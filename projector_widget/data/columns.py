"""Validate metadata: one label per row, a dict of columns or a DataFrame become typed columns.

Each column is categorical, numeric or free text; every value keeps its identity (see
:func:`value_text`), and a missing value (None, NaN, pandas NA) stays distinct from an empty
string. The checks of column choices (``color_by``, ``size_by``, ``label_by``) live here too.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

ColumnKind = Literal["category", "number", "text"]

#: An integer column with at most this many distinct values is treated as categorical.
MAX_INTEGER_CATEGORIES = 32
#: A string column is categorical when it has at most this many distinct values ...
MIN_TEXT_CATEGORIES = 20
#: ... or when its distinct values are at most this fraction of its rows.
CATEGORY_FRACTION = 0.2
#: Category codes travel as uint16, so no column can have more categories than this.
MAX_CATEGORIES = 65535


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
            [np.nan if _is_missing(v) else float(v) for v in self.values], dtype=np.float64
        )


def value_text(value: object) -> str | None:
    """Display text of one metadata value that keeps its identity; None when it is missing.

    Integers are written exactly (an ID 1234567 stays 1234567), floats in the shortest form
    that reads back as the same number in their own precision (0.1122334, float32 0.1 as 0.1).
    """
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.floating):
        return str(value)  # NumPy prints the shortest repr that round-trips in its precision
    if isinstance(value, float):
        return repr(value)
    return valid_text(str(value))


#: Surrogates that stand for no byte: lone halves of a UTF-16 pair (U+D800..U+DBFF) and the
#: low ones below the bytes surrogateescape writes (U+DC00..U+DC7F).
_NO_BYTE = re.compile("[\ud800-\udc7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` as valid Unicode (what can be encoded, shown, saved), keeping what can be kept.

    Python strings may hold lone surrogates: os.listdir and sys.argv give a byte that is not
    UTF-8 as U+DC80..U+DCFF (b"caf\xe9.png" is "caf\udce9.png"). Those bytes are decoded as
    UTF-8 where they form characters ("\udcc3\udca9" is "é"), a surrogate pair is its character,
    and what stands for nothing (an undecodable byte, a lone half) is U+FFFD.
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return text
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    escaped = _NO_BYTE.sub("\ufffd", paired)
    return escaped.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def check_name(name: str) -> None:
    """ValueError unless the column name ``name`` is valid Unicode (it is sent to the page and
    written to files; it is also how you refer to the column, so it is never changed)."""
    bad = _SURROGATE.search(name)
    if bad is not None:
        raise ValueError(
            f"metadata column name {name!r} is not valid Unicode (a lone surrogate at position "
            f"{bad.start()}, as os.listdir gives a byte that is not UTF-8); name the column "
            f"with text, e.g. {valid_text(name)!r}"
        )


def _is_missing(value: object) -> bool:
    """True for None, NaN, and pandas' NA/NaT (recognised without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _missing_mask(obj: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`_is_missing` over an object array (pandas speeds it up when present)."""
    try:
        import pandas as pd  # noqa: PLC0415 - optional speed-up
    except ImportError:
        return np.fromiter((_is_missing(v) for v in obj), dtype=bool, count=obj.size)
    return np.asarray(pd.isna(obj), dtype=bool)


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
        ints = all(isinstance(v, (int, np.integer)) for v in obj if not _is_missing(v))
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
    present = [v for v in obj if not _is_missing(v)]
    floats = [v for v in present if isinstance(v, (float, np.floating))]
    dtypes = {v.dtype if isinstance(v, np.floating) else np.dtype(np.float64) for v in floats}
    if len(floats) == len(present) and len(dtypes) <= 1:
        dtype = dtypes.pop() if dtypes else np.dtype(np.float64)
        return np.array([np.nan if _is_missing(v) else v for v in obj], dtype=dtype)
    if not floats and len(present) == obj.size and all(-(2**63) <= int(v) < 2**63 for v in present):
        return np.array([int(v) for v in obj], dtype=np.int64)
    return obj.copy()


def _all_numbers(obj: npt.NDArray[np.object_]) -> bool:
    seen_number = False
    for v in obj:
        if _is_missing(v):
            continue
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            return False
        seen_number = True
    return seen_number


def _factorize(obj: npt.NDArray[np.object_]) -> tuple[np.ndarray, list[object], np.ndarray]:
    """Codes, uniques (first-seen order) and a missing mask for an object array."""
    missing = _missing_mask(obj)
    try:
        import pandas as pd  # noqa: PLC0415 - optional speed-up

        codes, uniques = pd.factorize(pd.Series(obj, dtype=object), use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int64)
        return codes, list(uniques), missing
    except ImportError:
        pass
    lookup: dict[object, int] = {}
    codes = np.empty(obj.size, dtype=np.int64)
    for i, v in enumerate(obj):
        if missing[i]:
            codes[i] = -1
        else:
            codes[i] = lookup.setdefault(v, len(lookup))
    return codes, list(lookup), missing


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
    """Re-number categories by frequency (most frequent first, ties by label)."""
    if len(uniques) > MAX_CATEGORIES:
        raise ValueError(
            f"metadata column {name!r} has {len(uniques)} distinct values; a categorical column "
            f"can have at most {MAX_CATEGORIES} (their codes travel as 16 bits)"
        )
    codes = np.where(missing, -1, codes)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    labels = [value_text(u) or "" for u in uniques]
    order = sorted(range(len(uniques)), key=lambda i: (-int(counts[i]), labels[i]))
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


def columns_as_table(columns: list[Column]) -> Any:
    """The metadata as a pandas DataFrame when pandas is installed, else a dict of lists.

    Each value is the one given, never a copy per row: a categorical column of strings is a
    pandas Categorical (its codes and one string per category), free text an object column of
    the values themselves (pandas' own string type would copy every row's string, and cannot
    hold text that is not valid Unicode), other categories and numbers as pandas types them.
    """
    try:
        import pandas as pd  # noqa: PLC0415 - optional
    except ImportError:
        return {c.name: c.values.tolist() for c in columns}
    data: dict[str, Any] = {}
    for c in columns:
        if c.kind == "number":
            data[c.name] = c.values
        elif c.kind == "text":
            data[c.name] = pd.Series(c.values, dtype=object, copy=False)
        else:
            data[c.name] = _categorical_table_column(pd, c)
    return pd.DataFrame(data)


def _categorical_table_column(pd: Any, column: Column) -> Any:
    """A categorical column for :func:`columns_as_table`: a pandas Categorical of the values
    themselves when they are strings, else the values as pandas types them (integers stay
    numbers)."""
    assert column.codes is not None
    first = category_values(column)
    if not all(isinstance(v, str) for v in first):
        return column.values.tolist()
    codes = column.codes.astype(np.int64)
    if column.missing_code is not None:
        codes[codes == column.missing_code] = -1
    categories = pd.Index(np.asarray(first, dtype=object), dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories)


def category_values(column: Column) -> list[object]:
    """One value of each category of a categorical column, in the order of its categories (the
    missing category, when there is one, is left out): the value its first row holds."""
    assert column.codes is not None
    size = len(column.categories)
    first = np.full(size, column.codes.size, np.int64)
    np.minimum.at(first, column.codes.astype(np.int64), np.arange(column.codes.size))
    keep = [k for k in range(size) if k != column.missing_code]
    return [column.values[int(first[k])] for k in keep]


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
        new = make_column(column, values, n)
        if existing is not None and existing.kind == "category" and new.kind == "text":
            if len(_factorize(values)[1]) <= MAX_CATEGORIES:
                new = categorical_column(column, values)
    out = [new if c.name == column else c for c in columns]
    if existing is None:
        out.append(new)
    return out


def colorable(columns: list[Column]) -> list[str]:
    """Names of the columns points can be coloured by (categories and numbers)."""
    return [c.name for c in columns if c.kind in ("category", "number")]


def default_color_column(columns: list[Column]) -> str:
    """The column points are coloured by at first: the first categorical one, else the first
    numeric one that is not an identifier or a rank (whole numbers all distinct, or a sorted
    run: colouring by them paints a gradient in row order, which says nothing), else ''."""
    for c in columns:
        if c.kind == "category":
            return c.name
    for c in columns:
        if c.kind == "number" and not _looks_like_ids(c.numbers()):
            return c.name
    return ""


def _looks_like_ids(values: npt.NDArray[np.float64]) -> bool:
    present = values[~np.isnan(values)]
    if present.size < 2 or not np.all(present == np.round(present)):
        return False
    steps = np.diff(present)
    return bool(np.all(steps > 0) or np.all(steps < 0) or np.unique(present).size == present.size)


def check_color_by(name: str, columns: list[Column]) -> None:
    """ValueError saying why ``name`` cannot colour the points ('' is always fine)."""
    if name == "":
        return
    colorable_names = colorable(columns)
    if name not in colorable_names:
        kinds = {c.name: c.kind for c in columns}
        why = (
            f"column {name!r} holds free text (too many distinct values to colour)"
            if kinds.get(name) == "text"
            else f"there is no metadata column {name!r}"
        )
        raise ValueError(
            f"cannot colour by {name!r}: {why}; choose one of {colorable_names} or '' for none"
        )


def check_chart(name: str, columns: list[Column]) -> None:
    """ValueError saying why the chart cannot show ``name`` ('' hides it)."""
    chartable = colorable(columns)
    if name and name not in chartable:
        why = (
            "holds free text"
            if any(c.name == name for c in columns)
            else "is not a metadata column"
        )
        raise ValueError(
            f"cannot chart {name!r}: it {why}; the chart shows a category or number "
            f"column, one of {chartable}, or '' to hide it"
        )


def numeric(columns: list[Column]) -> list[str]:
    """Names of the numeric columns (those point sizes can follow)."""
    return [c.name for c in columns if c.kind == "number"]


def check_size_by(name: str, columns: list[Column]) -> None:
    """ValueError saying why ``name`` cannot size the points ('' is always fine)."""
    if not isinstance(name, str):
        raise TypeError(f"size_by must be a column name (a str, '' for none), got {name!r}")
    if name == "" or name in numeric(columns):
        return
    kind = {c.name: c.kind for c in columns}.get(name)
    why = (
        f"there is no metadata column {name!r}"
        if kind is None
        else f"column {name!r} holds {'categories' if kind == 'category' else 'free text'}, "
        "not numbers"
    )
    raise ValueError(
        f"cannot size points by {name!r}: {why}; choose one of the numeric columns "
        f"{numeric(columns)} or '' for one size"
    )


def check_label_by(name: str, columns: list[Column]) -> None:
    """ValueError unless ``name`` is a column (or '' for no labels)."""
    if name and name not in [c.name for c in columns]:
        raise ValueError(
            f"cannot label by {name!r}: there is no such column; choose one of "
            f"{[c.name for c in columns]} or '' for none"
        )


def naming_column(columns: Sequence[Column], label_by: str = "", skip: str = "") -> Column | None:
    """The column whose text names a row or a cluster: the ``label_by`` column when it holds
    text or categories, else the first text column, else the first categorical one (never
    ``skip``); None when there is none (rows are then numbered)."""
    usable = [c for c in columns if c.kind in ("text", "category") and c.name != skip]
    by_label = [c for c in usable if c.name == label_by]
    texts = [c for c in usable if c.kind == "text"]
    ranked = by_label or texts or usable
    return ranked[0] if ranked else None
