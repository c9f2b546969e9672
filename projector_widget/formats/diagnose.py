"""Find every reason TensorBoard's projector would show nothing, or the wrong thing, for a logdir.

TensorBoard's projector answers most of these with a blank page or a silent shift of labels;
:func:`diagnose` names the file, the counts and the fix. ``python -m projector_widget diagnose
LOGDIR`` prints the same report and exits with status 1 when something is wrong.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from projector_widget.formats import tensorboard as tb
from projector_widget.formats import tsv
from projector_widget.formats.png import MAX_SIDE, image_size
from projector_widget.formats.tf_bookmarks import read_bookmarks
from projector_widget.util.progress import ProgressArg, Reporter, reporting


@dataclass
class Finding:
    """One problem (or, with ``ok``, one check that passed) about one embedding or file."""

    code: str
    message: str
    embedding: str = ""
    ok: bool = False


Add = Callable[[Finding], None]


@dataclass
class Report:
    """The result of :func:`diagnose`: findings, and whether any is a problem."""

    logdir: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """Findings that are problems."""
        return [f for f in self.findings if not f.ok]

    @property
    def ok(self) -> bool:
        """True when nothing would stop TensorBoard's projector from showing the data."""
        return not self.problems

    def codes(self) -> list[str]:
        """Codes of the problems, e.g. ``['metadata-rows']``."""
        return [f.code for f in self.problems]

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else f"{len(self.problems)} problem(s): {self.codes()}"
        return f"<Report {self.logdir}: {verdict}>"

    def __str__(self) -> str:
        lines = [f"projector log directory: {self.logdir}"]
        for f in self.findings:
            mark = "ok     " if f.ok else "PROBLEM"
            where = f"[{f.embedding}] " if f.embedding else ""
            lines.append(f"  {mark} {where}{f.message}")
        lines.append("no problems found" if self.ok else f"{len(self.problems)} problem(s) found")
        return "\n".join(lines)


def diagnose(logdir: str | os.PathLike[str], *, progress: ProgressArg = None) -> Report:
    """Check a TensorBoard projector log directory; returns a :class:`Report`.

    ``progress`` receives what is being read (see :mod:`projector_widget.util.progress`; by default
    a tqdm bar on large files, when tqdm is installed).
    """
    with reporting(progress) as report:
        return _diagnose(Path(logdir), report)


def _diagnose(root: Path, progress: Reporter) -> Report:
    report = Report(logdir=root)
    add = report.findings.append
    if not root.is_dir():
        add(Finding("logdir-missing", f"{root} does not exist or is not a directory"))
        return report
    try:
        log = tb.parse_logdir(root)
    except ImportError as exc:
        add(Finding("missing-dependency", str(exc)))
        return report
    if log.config_path is None:
        if log.checkpoint is None:
            add(
                Finding(
                    "config-missing",
                    f"no {tb.CONFIG_NAME} and no checkpoint in {root}: TensorBoard's projector shows "
                    "'No checkpoint was found'. Write one with projector.visualize_embeddings(logdir, "
                    "config) or w.to_tensorboard(logdir)",
                )
            )
            return report
        add(
            Finding(
                "config-missing",
                f"no {tb.CONFIG_NAME}: only checkpoint variables are shown, "
                "without metadata or sprites",
                ok=True,
            )
        )
    else:
        add(Finding("config", f"config {log.config_path.name} parsed", ok=True))
    for problem in log.problems:
        code = (
            "tensor-name"
            if "tensor_name" in problem
            else ("checkpoint" if "checkpoint" in problem else "config-invalid")
        )
        add(Finding(code, problem))
    if not log.entries and not log.problems:
        add(
            Finding(
                "no-embeddings",
                "the config lists no embeddings and the checkpoint has no 2-D variables",
            )
        )
    cfg = log.config_path or (root / tb.CONFIG_NAME)
    for entry in log.entries:
        _check_entry(log, entry, cfg, add, progress)
    return report


def _check_entry(log: tb.LogDir, entry: tb.Entry, cfg: Path, add: Add, progress: Reporter) -> None:
    name = entry.name
    try:
        values = tb.load_tensor(log, entry, progress=progress)
    except (ValueError, OSError) as exc:
        code = "asset-outside" if "outside" in str(exc) else "tensor-unreadable"
        if isinstance(exc, FileNotFoundError):
            code = "tensor-missing"
        add(Finding(code, f"tensor cannot be read: {exc}", name))
        return
    if values.ndim != 2:
        add(
            Finding(
                "tensor-shape", f"tensor has shape {values.shape}; the projector needs 2-D", name
            )
        )
        return
    n, d = values.shape
    add(Finding("tensor", f"tensor {n} x {d}", name, ok=True))
    if entry.config_shape and tuple(entry.config_shape) != (n, d):
        add(
            Finding(
                "tensor-shape",
                f"tensor_shape in the config is {list(entry.config_shape)} "
                f"but the tensor is {[n, d]}",
                name,
            )
        )
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        add(
            Finding(
                "tensor-nonfinite",
                f"{rows.size} row(s) have NaN or Inf, first row {int(rows[0])}: "
                "the projector's PCA and t-SNE turn them (and often everything) into NaN",
                name,
            )
        )
    if entry.metadata_path:
        _check_metadata(entry, cfg, n, add, progress)
    if entry.sprite_path:
        _check_sprite(entry, cfg, n, add)
    if entry.bookmarks_path:
        try:  # the reader's own conversion: what it refuses is what this reports
            read_bookmarks(tb.resolve_asset(entry.bookmarks_path, cfg), n, min(n, d))
        except (OSError, ValueError) as exc:
            add(Finding("bookmarks", f"bookmarks file cannot be used: {exc}", name))


def _existing_asset(asset: str, cfg: Path, kind: str, name: str, add: Add) -> Path | None:
    """The asset's path if it is inside the log directory and exists, else None (reported)."""
    try:
        path = tb.resolve_asset(asset, cfg)
    except ValueError as exc:
        add(Finding("asset-outside", str(exc), name))
        return None
    if not path.is_file():
        add(Finding(f"{kind}-missing", f"{kind} file {path} does not exist", name))
        return None
    return path


def _first_line(lines: list[str]) -> str:
    """What the first line of a metadata file with several columns reads as: "header", "data"
    or "unsure".

    Data when, in some column, its field is a number below numbers or a value the column has
    again below; a header when, in some column, it is text above numbers; unsure otherwise (or
    when the columns say both).
    """
    first = lines[0].split("\t")
    below = [line.split("\t") for line in lines[1:]]
    header = data = False
    for j, cell in enumerate(first):
        values = {row[j] for row in below if j < len(row) and row[j] != ""}
        if not values or cell == "":
            continue
        if isinstance(tsv.coerce_column(sorted(values))[0], (int, float)):  # a numeric column
            if isinstance(tsv.coerce_column([cell])[0], (int, float)):
                data = True
            else:
                header = True
        elif cell in values:
            data = True
    if header != data:
        return "header" if header else "data"
    return "unsure"


def _missing_row_hint(lines: list[str]) -> str:
    """Why a metadata file with several columns has one data row fewer than the tensor, from
    what its first line looks like (:func:`_first_line`)."""
    shown = lines[0] if len(lines[0]) <= 60 else lines[0][:57] + "..."
    no_header = (
        "TensorBoard takes the first line of a file with several columns as the header, so "
        "the first row became it: add a header line"
    )
    kind = _first_line(lines)
    if kind == "data":
        return f" — no header line? The first line, {shown!r}, looks like data; {no_header}"
    if kind == "header":
        return (
            f" — the first line, {shown!r}, is a header, so one data row is missing: "
            "TensorBoard needs one line per tensor row after the header"
        )
    return (
        f" — either a data row is missing after the header {shown!r}, or that first line is "
        f"data and {no_header}"
    )


def _check_metadata(entry: tb.Entry, cfg: Path, n: int, add: Add, progress: Reporter) -> None:
    name = entry.name
    path = _existing_asset(entry.metadata_path, cfg, "metadata", name, add)
    if path is None:
        return
    # The reader's own parser: what it refuses or reads differently is what this reports.
    try:
        text = tsv.read_text(path, progress=progress)
    except tsv.MetadataError as exc:
        add(Finding("metadata-not-text", str(exc), name))
        return
    lines = tsv.split_lines(text)
    header = bool(lines) and "\t" in lines[0]
    rows = len(lines) - (1 if header else 0)
    if rows == n:
        add(
            Finding(
                "metadata",
                f"metadata has {rows} rows" + (" after its header" if header else ""),
                name,
                ok=True,
            )
        )
    else:
        hint = ""
        if not header and rows == n + 1:
            hint = (
                " — one column with a header line? With a single column TensorBoard reads no "
                "header, so the header became a label and every label is off by one: drop it"
            )
        elif header and rows == n - 1:
            hint = _missing_row_hint(lines)
        add(
            Finding(
                "metadata-rows",
                f"metadata has {rows} data rows but the tensor has {n} rows{hint}",
                name,
            )
        )
    if header:
        width = len(lines[0].split("\t"))
        ragged = [i + 1 for i, line in enumerate(lines) if len(line.split("\t")) != width]
        try:
            tsv.parse_metadata(text)
        except tsv.MetadataError as exc:
            add(
                Finding(
                    "metadata-ragged",
                    f"{len(ragged)} metadata line(s) have a different number of tab-separated "
                    f"fields than the header; first: {exc}",
                    name,
                )
            )
            return
    # Whatever else the reader refuses or warns about (a header naming a column twice, a
    # sidecar written for another version of the file) is reported as it says it.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tsv.read_metadata(path, progress=progress)
        except ValueError as exc:
            add(Finding("metadata-unreadable", str(exc), name))
    for w in caught:
        add(Finding("metadata-sidecar", str(w.message), name))


def _check_sprite(entry: tb.Entry, cfg: Path, n: int, add: Add) -> None:
    name = entry.name
    path = _existing_asset(entry.sprite_path, cfg, "sprite", name, add)
    if path is None:
        return
    dim = entry.sprite_dim
    if len(dim) != 2 or not (dim[0] > 0 and dim[1] > 0):
        given = f" (the config gives {list(dim)})" if any(dim) else ""
        add(Finding("sprite-dim", f"sprite has no single_image_dim [width, height]{given}", name))
        return
    w, h = dim
    try:
        width, height = image_size(path.read_bytes())  # what the reader accepts, JPEG too
    except ValueError as exc:
        add(Finding("sprite-format", f"{path.name} is {exc}", name))
        return
    per_row = width // w
    capacity = per_row * (height // h)
    if capacity < n:
        add(
            Finding(
                "sprite-size",
                f"sprite is {width}x{height} px: room for {capacity} images of "
                f"{w}x{h} px, but there are {n} points (make it at least "
                f"{math.ceil(math.sqrt(n)) * w}x{math.ceil(n / math.ceil(math.sqrt(n))) * h} px)",
                name,
            )
        )
    else:
        add(
            Finding(
                "sprite", f"sprite {width}x{height} px holds {n} images of {w}x{h}", name, ok=True
            )
        )
    if width > MAX_SIDE or height > MAX_SIDE:
        add(
            Finding(
                "sprite-too-large",
                f"sprite is {width}x{height} px; the projector's WebGL texture limit is "
                f"{MAX_SIDE}x{MAX_SIDE}",
                name,
            )
        )
