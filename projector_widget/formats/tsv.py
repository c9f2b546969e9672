"""The TSV files of projector.tensorflow.org and TensorBoard's projector.

* tensors: one row per point, values separated by tabs, no header;
* metadata: one column -> one label per line, no header; several columns -> the first line is
  the header. The projector splits on tabs and newlines with no quoting, so a label containing a
  tab or a newline would shift every following row; :func:`clean_field` replaces them with spaces
  so that a written file always loads with the right row count.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..inputs import Column

PathLike = str | os.PathLike[str]


def clean_field(text: str) -> str:
    """A label safe for a TSV cell: tabs, newlines and carriage returns become spaces."""
    return text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def read_tensor_tsv(path: PathLike) -> npt.NDArray[np.float32]:
    """Read a tensor TSV (rows of tab-separated numbers); ValueError names a bad line."""
    rows: list[list[float]] = []
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
            rows.append(values)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return np.asarray(rows, dtype=np.float32)


def read_metadata_tsv(path: PathLike) -> dict[str, list[str]]:
    """Read projector metadata with TensorBoard's header rule; returns columns of strings."""
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\r\n") for line in f]
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return {}
    if "\t" not in lines[0]:
        return {"label": lines}
    header = lines[0].split("\t")
    cols: dict[str, list[str]] = {name: [] for name in header}
    for lineno, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(header):
            raise ValueError(
                f"{path}: line {lineno} has {len(fields)} fields but the header has {len(header)}"
            )
        for name, value in zip(header, fields, strict=True):
            cols[name].append(value)
    return cols


def write_tensor_tsv(path: PathLike, x: npt.NDArray[np.floating]) -> None:
    """Write a tensor TSV (float32 values, shortest round-trip repr)."""
    x = np.asarray(x, dtype=np.float32)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for start in range(0, x.shape[0], 4096):
            block = x[start : start + 4096]
            f.write(
                "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in block.tolist())
            )


def write_metadata_tsv(path: PathLike, columns: list[Column], n: int) -> bool:
    """Write metadata (header only with several columns); returns False when there is none."""
    if not columns:
        return False
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if len(columns) > 1:
            f.write("\t".join(clean_field(c.name) for c in columns) + "\n")
        for i in range(n):
            f.write("\t".join(clean_field(c.format(i)) for c in columns) + "\n")
    return True


def coerce_column(values: list[str]) -> list[Any]:
    """Strings from a TSV as numbers when every non-empty value parses as one."""
    out: list[Any] = []
    for v in values:
        if v == "":
            out.append(None)
            continue
        try:
            out.append(int(v) if v.lstrip("-").isdigit() else float(v))
        except ValueError:
            return [v if v != "" else None for v in values]
    return out


def read_tsv_pair(
    tensors_tsv: PathLike, metadata_tsv: PathLike | None = None
) -> tuple[npt.NDArray[np.float32], dict[str, list[Any]] | None]:
    """Tensor and (typed) metadata columns from the projector's two TSV files."""
    x = read_tensor_tsv(tensors_tsv)
    meta = None
    if metadata_tsv is not None:
        raw = read_metadata_tsv(metadata_tsv)
        meta = {name: coerce_column(vals) for name, vals in raw.items()}
    return x, meta


def ensure_dir(folder: PathLike) -> Path:
    """Create ``folder`` if needed and return it as a Path."""
    p = Path(folder)
    p.mkdir(parents=True, exist_ok=True)
    return p
