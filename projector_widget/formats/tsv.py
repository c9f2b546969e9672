"""The TSV files of projector.tensorflow.org and TensorBoard's projector.

* tensors: one row per point, values separated by tabs, no header;
* metadata: one column -> one label per line, no header; several columns -> the first line is
  the header.

Rows are lines split at ``\n`` (a ``\r`` right before it is part of the line ending, a lone
``\r`` is part of a label), and the final newline ends the last row rather than starting an
empty one: :func:`parse_metadata` is the one implementation, used by the reader and by
``diagnose``, so they cannot disagree.

A TSV cell cannot hold a tab or a newline, tell a missing value from an empty string, or say
whether ``007`` is text or a number. Files this package writes therefore carry a sidecar,
``<metadata file>.json``, with each column's name and value type and the exact value of every
cell the TSV cannot show as it is; the TSV itself stays what TensorBoard reads (tabs and
newlines in labels become spaces there). The reader applies the sidecar only when it was
written for this very TSV (a hash of its bytes); without one, types are guessed strictly: a
column is numeric when every non-empty cell is a plain decimal number (``007``, ``nan`` or
``inf`` keep it text).

Readers and writers report their progress ("reading metadata.tsv 120 MB/400 MB") through their
``progress`` argument (:mod:`projector_widget.util.progress`: by default a tqdm bar, when tqdm is
installed, for a file that takes more than a moment).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column
from projector_widget.util import nesting
from projector_widget.util.progress import ProgressArg, Reporter, reporting

PathLike = str | os.PathLike[str]

#: The sidecar format's name and version (see the module docstring).
SIDECAR_FORMAT = "projector-widget metadata"
SIDECAR_VERSION = 1
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
#: Bytes read per step of a reported read (a progress step; a block of a tensor TSV parsed).
READ_CHUNK = 8 << 20
#: Rows written per step.
WRITE_ROWS = 4096
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|-?\.[0-9]+([eE][-+]?[0-9]+)?")


def clean_field(text: str) -> str:
    """A label safe for a TSV cell: tabs, newlines and carriage returns become spaces."""
    return text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def split_lines(text: str) -> list[str]:
    """The lines of a TSV text (see the module docstring for the rule)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class NotTextError(ValueError):
    """A file that should be text but is not UTF-8 (a binary tensor, a pickle)."""


class MetadataError(ValueError):
    """A metadata file that cannot be read as a table; ``line`` is 1-based (0: the file)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class MetadataTable:
    """A metadata file as TensorBoard reads it: the header (None for one column) and rows."""

    header: list[str] | None
    rows: list[list[str]]


def parse_metadata(text: str) -> MetadataTable:
    """The table in a metadata text (TensorBoard's header rule); MetadataError when a row has
    a different number of fields than the header."""
    lines = split_lines(text)
    if not lines:
        return MetadataTable(None, [])
    if "\t" not in lines[0]:
        return MetadataTable(None, [[line] for line in lines])
    header = lines[0].split("\t")
    rows = []
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise MetadataError(
                f"line {lineno} has {len(fields)} tab-separated fields but the header has "
                f"{len(header)} (a tab inside a label?)",
                lineno,
            )
        rows.append(fields)
    return MetadataTable(header, rows)


def read_bytes(path: PathLike, report: Reporter) -> bytes:
    """A file's bytes, read in chunks that ``report`` counts ("reading NAME 1 MB/4 MB")."""
    if not report.active:
        return Path(path).read_bytes()
    parts = []
    with open(path, "rb") as f:
        report.phase(f"reading {Path(path).name}", os.fstat(f.fileno()).st_size, unit="B")
        while chunk := f.read(READ_CHUNK):
            parts.append(chunk)
            report.advance(len(chunk))
    return b"".join(parts)


def _decode(data: bytes, path: PathLike, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetadataError(
            f"{Path(path).name} is not UTF-8 text (a binary or pickled file?); {what} is one "
            "label per line, tab-separated columns"
        ) from None


def read_text(path: PathLike, what: str = "metadata", *, progress: ProgressArg = None) -> str:
    """A file's UTF-8 text; MetadataError when it is not text."""
    with reporting(progress) as report:
        return _decode(read_bytes(path, report), path, what)


def _text_blocks(path: PathLike, report: Reporter) -> Iterator[str]:
    """The text of a file in blocks of whole lines (about ``READ_CHUNK`` bytes each), ``report``
    counting the bytes read. UnicodeDecodeError when it is not UTF-8."""
    with open(path, "rb") as f:
        report.phase(f"reading {Path(path).name}", os.fstat(f.fileno()).st_size, unit="B")
        rest = b""
        while block := f.read(READ_CHUNK):
            report.advance(len(block))
            block = rest + block
            cut = block.rfind(b"\n") + 1  # a newline byte is never inside a UTF-8 character
            rest = block[cut:]
            if cut:
                yield block[:cut].decode("utf-8")
        if rest:
            yield rest.decode("utf-8")


def _parse_tensor(source: Any) -> npt.NDArray[np.float32]:
    """NumPy's parse of tensor rows from a path or from lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
        return np.loadtxt(
            source, dtype=np.float32, delimiter="\t", comments=None, ndmin=2, encoding="utf-8"
        )


#: Files up to this size are parsed by pandas in one call (progress: one step; 2x faster).
WHOLE_READ = 256 << 20


def _pandas_rows(source: Any) -> npt.NDArray[np.float32] | None:
    """Tensor rows parsed by pandas' C parser (a path or a text buffer; NumPy's float parsing
    took 2.3 s for 200,000 x 64, pandas' 0.3 s), or None: without pandas, or for what pandas
    refuses or reads with a missing value (a short row, an empty field, a "nan"), which NumPy
    then parses, so what is accepted, the values and the errors are NumPy's on every install."""
    try:
        import pandas as pd
    except ImportError:
        return None
    try:
        frame = pd.read_csv(
            source, sep="\t", header=None, dtype=np.float32, engine="c", encoding="utf-8",
            quoting=csv.QUOTE_NONE, na_filter=False, skip_blank_lines=True,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):  # UnicodeDecodeError is a ValueError
        return None
    x = frame.to_numpy(np.float32)
    return np.ascontiguousarray(x) if x.ndim == 2 and x.size and not np.isnan(x).any() else None


def _parse_block(text: str) -> npt.NDArray[np.float32]:
    """One block of tensor rows: pandas' parse where it reads it as NumPy would, else NumPy's."""
    x = _pandas_rows(io.StringIO(text))
    return _parse_tensor(text.split("\n")) if x is None else x


def _parse_blocks(path: PathLike, report: Reporter) -> npt.NDArray[np.float32]:
    """The rows of a tensor TSV: by pandas in one call up to ``WHOLE_READ`` bytes, else a block
    at a time (:func:`_text_blocks`, each by :func:`_parse_block`), progress per block, lines in
    universal-newline mode as NumPy reads a path. ValueError when blocks differ in width."""
    size = os.stat(path).st_size
    if size <= WHOLE_READ and (x := _pandas_rows(os.fspath(path))) is not None:
        report.phase(f"reading {Path(path).name}", size, unit="B")
        report.advance(size)
        return x
    parts: list[npt.NDArray[np.float32]] = []
    for block in _text_blocks(path, report):
        text = block.replace("\r\n", "\n").replace("\r", "\n") if "\r" in block else block
        part = _parse_block(text)  # universal newlines: \r\n and \r end lines
        if part.size == 0:
            continue  # blank lines only
        if parts and part.shape[1] != parts[0].shape[1]:
            raise ValueError(f"rows of {parts[0].shape[1]} and of {part.shape[1]} values")
        parts.append(part)
    if not parts:
        return np.empty((0, 0), np.float32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def read_tensor_tsv(path: PathLike, *, progress: ProgressArg = None) -> npt.NDArray[np.float32]:
    """Read a tensor TSV (rows of tab-separated numbers); ValueError names a bad line.

    pandas' C parser reads it where it reads the rows as NumPy would, else NumPy's (the same
    syntax on every install: what ``float()`` accepts, ``nan`` and ``inf`` included); only
    when that fails does a second, Python pass look for the line to name.
    """
    with reporting(progress) as report:
        try:
            x = _parse_blocks(path, report)
        except UnicodeDecodeError:
            raise _not_text(path) from None
        except ValueError as exc:
            _locate_tensor_error(path)
            raise ValueError(f"{path}: not tab-separated numbers ({exc})") from None
    if x.size == 0:
        raise ValueError(f"{path}: no rows")
    return x


def _not_text(path: PathLike) -> NotTextError:
    return NotTextError(
        f"{path} is not UTF-8 text (a binary file?); a tensor TSV holds rows of tab-separated "
        "numbers"
    )


def _locate_tensor_error(path: PathLike) -> None:
    """Raise the ValueError that names the first malformed line of a tensor TSV, if any."""
    try:
        _locate_bad_line(path)
    except UnicodeDecodeError:
        raise _not_text(path) from None


def _locate_bad_line(path: PathLike) -> None:
    width = -1
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, start=1):
            line = raw.rstrip("\r\n")
            if not line:
                continue
            try:
                values = [float(v) for v in line.split("\t")]
            except ValueError:
                raise ValueError(
                    f"{path}: line {lineno} is not tab-separated numbers: {line[:80]!r}"
                ) from None
            if width < 0:
                width = len(values)
            elif len(values) != width:
                raise ValueError(
                    f"{path}: line {lineno} has {len(values)} values but the first row has {width}"
                )


def _table(path: PathLike, data: bytes, report: Reporter) -> MetadataTable:
    try:
        text = _decode(data, path, "metadata")
        report.phase(f"parsing {Path(path).name}")
        return parse_metadata(text)
    except MetadataError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _columns(table: MetadataTable, path: PathLike) -> dict[str, list[str]]:
    names = table.header if table.header is not None else ["label"]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{path}: the header names column(s) {twice} twice; names must be unique")
    return {name: [row[j] for row in table.rows] for j, name in enumerate(names)}


def read_metadata_tsv(path: PathLike, *, progress: ProgressArg = None) -> dict[str, list[str]]:
    """Read projector metadata with TensorBoard's header rule; returns columns of strings."""
    with reporting(progress) as report:
        return _columns(_table(path, read_bytes(path, report), report), path)


def write_tensor_tsv(
    path: PathLike, x: npt.NDArray[np.floating], *, progress: ProgressArg = None
) -> None:
    """Write a tensor TSV: float32 values in the shortest text that reads back bit-identical."""
    x = np.asarray(x, dtype=np.float32)
    with reporting(progress) as report, open(path, "w", encoding="utf-8", newline="\n") as f:
        report.phase(f"writing {Path(path).name}", x.shape[0], unit="rows")
        for start in range(0, x.shape[0], WRITE_ROWS):
            block = x[start : start + WRITE_ROWS]
            spec = (_float32_digits(block).astype(np.intp) - 1) * 2
            spec[:, -1] += 1  # the last value of a row ends with a newline, not a tab
            f.write("".join(_SPECS[spec].ravel().tolist()) % tuple(block.ravel().tolist()))
            report.update(start + block.shape[0])


#: printf formats by significant digits (1..9) and separator: ``_SPECS[(digits - 1) * 2 + last]``.
_SPECS = np.array([f"%.{p}g{end}" for p in range(1, 10) for end in "\t\n"], dtype=object)
#: Exact powers of ten (correctly rounded doubles) for the exponents float32 digits need.
_POW10 = np.array([float(f"1e{k}") for k in range(-64, 64)])
_TINY = float(np.finfo(np.float32).smallest_normal)


def _float32_digits(x: npt.NDArray[np.float32]) -> npt.NDArray[np.int8]:
    """The fewest significant digits (1..9) that print each value (``%.{p}g``) so that it reads
    back as the same float32; 6 for zeros, NaN and infinities, which print short anyway.

    The candidate ``round(v, p digits)`` is computed in float64. It is accepted when it lies
    inside the value's float32 rounding interval, rejected when outside, by a relative margin
    (1e-6 of the interval) far above float64's error; the rare candidates within the margin (an
    exact tie with the interval's end, say) are printed and read back to decide. Normal floats
    print shortest with 6 digits or more (``%.6g`` of 0.5 is ``0.5``), so fewer are tried only
    for subnormals.
    """
    v = x.ravel()
    with np.errstate(invalid="ignore", over="ignore"):  # NaN payloads; next after the largest
        up = np.nextafter(v, np.float32(np.inf)).astype(np.float64)
        down = np.nextafter(v, np.float32(-np.inf)).astype(np.float64)
        v64 = v.astype(np.float64)
        up = np.where(np.isinf(up), 2 * v64 - down, up)  # above the largest float32
    digits = np.full(v.shape, 6, np.int8)
    todo = np.flatnonzero(np.isfinite(v64) & (v64 != 0))
    vt, a = v64[todo], np.abs(v64[todo])
    hi, lo = (up[todo] - vt) / 2, (vt - down[todo]) / 2
    exp10 = np.floor(np.log10(a)).astype(np.intp)
    exp10 += a >= _POW10[exp10 + 65]  # log10's rounding near powers of ten
    exp10 -= a < _POW10[exp10 + 64]
    subnormal = a < _TINY
    for p in range(1, 9):
        keep = np.ones(todo.size, bool) if p >= 6 else subnormal
        if not keep.any():
            continue
        scale = _POW10[p - 1 - exp10[keep] + 64]
        above = np.rint(vt[keep] * scale) / scale - vt[keep]  # candidate minus value
        limit = np.where(above >= 0, hi[keep], lo[keep])
        fits = np.zeros(todo.size, bool)
        fits[keep] = np.abs(above) < limit * (1 - 1e-6)
        unsure = np.flatnonzero(keep)[np.abs(above) <= limit * (1 + 1e-6)]
        for i in unsure[~fits[unsure]]:
            fits[i] = np.float32(float(f"{vt[i]:.{p}g}")) == np.float32(vt[i])
        digits[todo[fits]] = p
        rest = ~fits
        todo, vt, hi, lo, exp10, subnormal = (
            todo[rest],
            vt[rest],
            hi[rest],
            lo[rest],
            exp10[rest],
            subnormal[rest],
        )
        if todo.size == 0:
            break
    digits[todo] = 9
    return digits.reshape(x.shape)


def write_metadata_tsv(
    path: PathLike, columns: list[Column], n: int, *, progress: ProgressArg = None
) -> bool:
    """Write metadata (header only with several columns) and its exact sidecar; returns False
    when there is none."""
    if not columns:
        return False
    with reporting(progress) as report:
        return _write_metadata(path, columns, n, report)


def _write_metadata(path: PathLike, columns: list[Column], n: int, report: Reporter) -> bool:
    lines = []
    if len(columns) > 1:
        lines.append("\t".join(clean_field(c.name) for c in columns))
    report.phase(f"writing {Path(path).name}", len(columns), unit="columns")
    texts = []
    for c in columns:
        texts.append([c.text(i) for i in range(n)])
        report.advance()
    for i in range(n):
        lines.append("\t".join(clean_field(t[i] or "") for t in texts))
    data = "".join(line + "\n" for line in lines).encode("utf-8")
    Path(path).write_bytes(data)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "version": SIDECAR_VERSION,
        "sha256": hashlib.sha256(data).hexdigest(),
        "columns": [_describe_column(c, t) for c, t in zip(columns, texts, strict=True)],
    }
    sidecar_path(path).write_text(_json_text(sidecar), encoding="utf-8")
    return True


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_text(value: Any) -> str:
    """JSON of ``value`` that is valid UTF-8 text: a lone surrogate in a value (a file name from
    os.listdir) is written as its JSON escape, which ``json.loads`` reads back as it was (a pair of
    them as the character the pair encodes)."""
    text = json.dumps(value, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def sidecar_path(path: PathLike) -> Path:
    """Where the exact sidecar of the metadata file ``path`` is."""
    return Path(str(path) + ".json")


def _value_type(values: np.ndarray) -> str:
    """'int', 'float' (or 'float32', 'float16': a NumPy column of that precision), 'bool',
    'str', or 'text' (mixed or other values, kept as their text)."""
    if values.dtype in (np.float32, np.float16):
        return str(values.dtype)
    kinds = set()
    for v in values:
        if v is None or (isinstance(v, (float, np.floating)) and np.isnan(v)):
            continue
        if isinstance(v, (bool, np.bool_)):
            kinds.add("bool")
        elif isinstance(v, (int, np.integer)):
            kinds.add("int")
        elif isinstance(v, (float, np.floating)):
            kinds.add("float")
        elif isinstance(v, str):
            kinds.add("str")
        else:
            kinds.add("text")
    if kinds <= {"int", "float"}:
        return "float" if "float" in kinds else "int"
    return kinds.pop() if len(kinds) == 1 else "text"


def _describe_column(column: Column, texts: list[str | None]) -> dict[str, Any]:
    """A column's sidecar entry: name, value type, missing rows and the cells the TSV cannot
    show exactly (tabs or newlines, empty strings, an integer among floats, text that is not
    valid Unicode, shown with U+FFFD in the TSV)."""
    kind = _value_type(column.values)
    exact: dict[str, Any] = {}
    missing = []
    for i, t in enumerate(texts):
        value = column.values[i]
        if t is None:
            missing.append(i)
        elif clean_field(t) != t or t == "" or (isinstance(value, str) and value != t):
            exact[str(i)] = value if isinstance(value, str) else t
        elif kind == "float" and isinstance(value, (int, np.integer)):
            exact[str(i)] = int(value)
    return {"name": column.name, "type": kind, "missing": missing, "exact": exact}


def _parse_cell(text: str, kind: str) -> Any:
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text == "True"
    if kind in ("float32", "float16"):
        return np.dtype(kind).type(text)
    return text


def _apply_sidecar(
    path: PathLike, data: bytes, table: MetadataTable
) -> dict[str, list[Any]] | None:
    """The exact columns described by ``path``'s sidecar, or None when there is none, or when it
    does not fit the file (then a warning says the types are guessed)."""
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        meta = nesting.loads(side.read_text(encoding="utf-8"))
        if meta.get("format") != SIDECAR_FORMAT or meta.get("version") != SIDECAR_VERSION:
            raise ValueError("it is not a sidecar this version reads")
        if meta.get("sha256") != hashlib.sha256(data).hexdigest():
            raise ValueError(f"it was written for another version of {Path(path).name}")
        cols = meta["columns"]
        width = len(table.header) if table.header is not None else 1
        if len(cols) != width:
            raise ValueError(f"it describes {len(cols)} columns, the file has {width}")
        out: dict[str, list[Any]] = {}
        for j, desc in enumerate(cols):
            name, values = _sidecar_column(desc, [row[j] for row in table.rows])
            out[name] = values
        return out
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        warnings.warn(f"{side.name} is not used: {exc}; column types are guessed", stacklevel=3)
        return None


#: The value types a sidecar names (:func:`_value_type`).
_KINDS = ("int", "float", "float32", "float16", "bool", "str", "text")


def _sidecar_row(value: object, n: int) -> int:
    """A row named by a sidecar (an int, or its decimal text) of a file of ``n`` rows."""
    if isinstance(value, str) and _INT.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < n:
        raise ValueError(f"it names row {value!r}, not one of the file's {n} rows")
    return value


def _sidecar_column(desc: object, cells: list[str]) -> tuple[str, list[Any]]:
    """A column's name and exact values from its sidecar entry ``desc`` and its TSV ``cells``;
    ValueError when the entry is not one :func:`_describe_column` writes."""
    if not isinstance(desc, dict) or not isinstance(desc.get("name"), str):
        raise ValueError("a column's entry is not an object with a 'name'")
    kind, missing, exact = desc.get("type"), desc.get("missing"), desc.get("exact")
    if kind not in _KINDS or not isinstance(missing, list) or not isinstance(exact, dict):
        raise ValueError(f"column {desc['name']!r} has no type in {list(_KINDS)}, missing or exact")
    values: list[Any] = [_parse_cell(t, kind) if t != "" else "" for t in cells]
    gone = {_sidecar_row(i, len(cells)) for i in missing}
    for i, v in exact.items():
        if not isinstance(v, (str, int, float)):  # bool is an int
            raise ValueError(f"row {i} holds {type(v).__name__}, not a metadata value")
        row = _sidecar_row(i, len(cells))
        if row in gone:  # never written so: a sidecar that contradicts itself is not trusted
            raise ValueError(f"it names row {row} of {desc['name']!r} both missing and exact")
        values[row] = v
    for row in gone:
        values[row] = None
    return desc["name"], values


def read_metadata(path: PathLike, *, progress: ProgressArg = None) -> dict[str, list[Any]]:
    """Typed metadata columns of a projector metadata file: exact through its sidecar when it
    has one written for it (see the module docstring), else guessed by :func:`coerce_column`."""
    with reporting(progress) as report:
        data = read_bytes(path, report)
        table = _table(path, data, report)
        exact = _apply_sidecar(path, data, table)
        if exact is not None:
            return exact
        columns = _columns(table, path)
        report.phase(f"typing {Path(path).name}", len(columns), unit="columns")
        out = {}
        for name, values in columns.items():
            out[name] = coerce_column(values)
            report.advance()
        return out


def coerce_column(values: list[str]) -> list[Any]:
    """Strings from a TSV as numbers when every non-empty value is a plain decimal number.

    ``007`` (a leading zero), ``1_000``, ``nan``, ``inf`` or `` 1`` are not, so the column stays
    text. Empty cells are missing (None) in a numeric column and stay '' in a text column.
    """
    out: list[Any] = []
    for v in values:
        if v == "":
            out.append(None)
        elif _INT.fullmatch(v):
            out.append(int(v))
        elif _FLOAT.fullmatch(v):
            out.append(float(v))
        else:
            return list(values)
    if all(v is None for v in out):
        return list(values)
    return out


def read_tsv_pair(
    tensors_tsv: PathLike, metadata_tsv: PathLike | None = None, *, progress: ProgressArg = None
) -> tuple[npt.NDArray[np.float32], dict[str, list[Any]] | None]:
    """Tensor and (typed) metadata columns from the projector's two TSV files."""
    with reporting(progress) as report:
        x = read_tensor_tsv(tensors_tsv, progress=report)
        meta = None
        if metadata_tsv is not None:
            meta = read_metadata(metadata_tsv, progress=report)
    return x, meta


def ensure_dir(folder: PathLike) -> Path:
    """Create ``folder`` if needed and return it as a Path."""
    p = Path(folder)
    p.mkdir(parents=True, exist_ok=True)
    return p
