"""TensorBoard projector log directories: read what TensorBoard shows, write what it can read.

The layout follows TensorBoard's projector plugin: ``projector_config.pbtxt`` (a text
``ProjectorConfig`` protobuf) in the log directory, assets referenced by paths relative to it and
inside it (TensorBoard refuses assets outside the config's folder), tensors either in a TF
checkpoint or in ``tensor_path`` files (TSV, or raw float32 with ``tensor_shape``). A config
entry without a tensor name is a template applied to every 2-D checkpoint variable, and optimizer
slots are not embeddings.

:func:`read` and :func:`write` report what they read and write (``progress``: see
:mod:`projector_widget.util.progress`; by default a tqdm bar, when tqdm is installed).
"""

from __future__ import annotations

import math
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.formats import tsv
from projector_widget.formats.png import encode_png, read_image
from projector_widget.formats.tf_bookmarks import read_bookmarks
from projector_widget.util.extras import imported
from projector_widget.util.progress import ProgressArg, Reporter, reporting

CONFIG_NAME = "projector_config.pbtxt"
CHECKPOINT_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"


@dataclass
class Entry:
    """One embedding TensorBoard would offer: where its tensor and assets live."""

    name: str
    source: str  # "checkpoint" or "file"
    shape: tuple[int, ...] = ()
    tensor_path: str = ""
    metadata_path: str = ""
    bookmarks_path: str = ""
    sprite_path: str = ""
    #: The config's ``single_image_dim`` as given ([width, height] when it is usable).
    sprite_dim: tuple[int, ...] = (0, 0)
    config_shape: tuple[int, ...] = ()


@dataclass
class LogDir:
    """A parsed projector log directory."""

    root: Path
    config_path: Path | None
    config: Any
    checkpoint: str | None
    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Problems of the config file itself (it does not parse): nothing is read from it then.
    config_problems: list[str] = field(default_factory=list)


def _projector_pb2(doing: str = "reading") -> Any:
    """TensorBoard's projector config protobuf module, or MissingExtra: ``doing`` ("reading",
    "writing") TensorBoard projector files needs tensorboard."""
    return imported(
        "tensorboard.plugins.projector.projector_config_pb2",
        f"{doing} TensorBoard projector files needs tensorboard",
        "tensorboard",
    )


def _tf() -> Any:
    return imported("tensorflow", "TensorFlow checkpoints need TensorFlow", "tensorflow")


def find_config(logdir: Path) -> Path | None:
    """The projector config in ``logdir`` (or its ``plugins/projector`` assets folder)."""
    for candidate in (logdir / CONFIG_NAME, logdir / "plugins" / "projector" / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def resolve_asset(path: str, config_path: Path) -> Path:
    """Absolute path of an asset; ValueError when it resolves outside the config's folder."""
    base = config_path.parent.resolve()
    candidate = Path(os.path.expanduser(path))
    if not candidate.is_absolute():
        candidate = base / candidate
    candidate = candidate.resolve()
    if os.path.commonpath([base, candidate]) != str(base):
        raise ValueError(
            f"asset path {path!r} resolves outside the log directory {base}; TensorBoard refuses it. "
            "Move the file into the log directory and use a relative path"
        )
    return candidate


def _latest_checkpoint(logdir: Path, config: Any) -> str | None:
    if config is not None and config.model_checkpoint_path:
        return str(config.model_checkpoint_path)
    ckpt_file = logdir / "checkpoint"
    if ckpt_file.is_file():
        for line in ckpt_file.read_text().splitlines():
            if line.startswith("model_checkpoint_path:"):
                value = line.split(":", 1)[1].strip().strip('"')
                return str(logdir / value) if not os.path.isabs(value) else value
    indexes = sorted(logdir.glob("*.index"), key=lambda p: p.stat().st_mtime)
    return str(indexes[-1])[: -len(".index")] if indexes else None


def _is_optimizer_state(var: str) -> bool:
    """Optimizer slots have the embeddings' shape but are not embeddings.

    TensorBoard skips TF 1 / Keras 2 slots (``.OPTIMIZER_SLOT``); Keras 3 optimizers keep their
    moments (and references to the trained variables) under ``optimizer/``, skipped here too.
    """
    return ".OPTIMIZER_SLOT" in var or var.startswith("optimizer/")


def _config_entries(config: Any) -> tuple[Entry | None, list[Entry]]:
    """The config's template entry (no tensor name) and its named entries."""
    template = None
    named = []
    for emb in config.embeddings:
        name = emb.tensor_name[:-2] if emb.tensor_name.endswith(":0") else emb.tensor_name
        dim = tuple(emb.sprite.single_image_dim) if emb.sprite.single_image_dim else (0, 0)
        entry = Entry(
            name=name,
            source="file" if emb.tensor_path else "checkpoint",
            tensor_path=emb.tensor_path,
            metadata_path=emb.metadata_path,
            bookmarks_path=emb.bookmarks_path,
            sprite_path=emb.sprite.image_path,
            sprite_dim=dim,
            config_shape=tuple(int(v) for v in emb.tensor_shape),
        )
        if entry.tensor_path and not entry.name:
            entry.name = os.path.basename(entry.tensor_path)
        if not entry.name and not entry.tensor_path:
            template = entry
            continue
        named.append(entry)
    return template, named


def parse_logdir(logdir: str | os.PathLike[str]) -> LogDir:
    """Parse a projector log directory the way TensorBoard does, collecting problems as text."""
    root = Path(logdir)
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory")
    pb2 = _projector_pb2()
    from google.protobuf import text_format

    config_path = find_config(root)
    config = pb2.ProjectorConfig()
    problems: list[str] = []
    config_problems: list[str] = []
    if config_path is not None:
        try:
            text_format.Parse(config_path.read_text(encoding="utf-8"), config)
        except (text_format.ParseError, UnicodeDecodeError) as exc:
            problems.append(f"{config_path.name} is not a valid ProjectorConfig: {exc}")
            config_problems = list(problems)
    checkpoint = _latest_checkpoint(root, config)
    out = LogDir(
        root=root,
        config_path=config_path,
        config=config,
        checkpoint=checkpoint,
        problems=problems,
        config_problems=config_problems,
    )
    template, named = _config_entries(config)
    out.entries = [e for e in named if e.source == "file"]
    if checkpoint is not None:
        try:
            reader = _tf().train.load_checkpoint(checkpoint)
            shapes = reader.get_variable_to_shape_map()
        except ImportError:
            raise
        except Exception as exc:  # corrupt or missing checkpoint files
            out.problems.append(f"checkpoint {checkpoint} cannot be read: {exc}")
            shapes = {}
        by_name = {e.name: e for e in named if e.source == "checkpoint"}
        for var, shape in sorted(shapes.items()):
            if len(shape) != 2 or _is_optimizer_state(var):
                continue
            entry = by_name.pop(var, None)
            if entry is None:
                entry = Entry(name=var, source="checkpoint")
                if template is not None:
                    entry.metadata_path = template.metadata_path
                    entry.bookmarks_path = template.bookmarks_path
                    entry.sprite_path = template.sprite_path
                    entry.sprite_dim = template.sprite_dim
            entry.shape = tuple(int(v) for v in shape)
            out.entries.append(entry)
        for name in by_name:
            names = sorted(
                v for v, s in shapes.items() if len(s) == 2 and ".OPTIMIZER_SLOT" not in v
            )
            out.problems.append(
                f"tensor_name {name!r} is not a 2-D variable of the checkpoint; it has {names}"
            )
    else:
        for e in named:
            if e.source == "checkpoint":
                out.problems.append(
                    f"embedding {e.name!r} has no tensor_path and no checkpoint was found in {root}"
                )
    return out


def load_tensor(
    log: LogDir, entry: Entry, *, progress: ProgressArg = None
) -> npt.NDArray[np.float32]:
    """The (N, D) float32 values of ``entry``."""
    with reporting(progress) as report:
        if entry.source == "checkpoint":
            assert log.checkpoint is not None
            report.phase(f"reading {entry.name} from the checkpoint")
            reader = _tf().train.load_checkpoint(log.checkpoint)
            return np.asarray(reader.get_tensor(entry.name), dtype=np.float32)
        return _load_tensor_file(log, entry, progress=report)


def _load_tensor_file(log: LogDir, entry: Entry, progress: ProgressArg) -> npt.NDArray[np.float32]:
    assert log.config_path is not None
    path = resolve_asset(entry.tensor_path, log.config_path)
    try:
        return tsv.read_tensor_tsv(path, progress=progress)
    except ValueError as exc:
        # Not TSV: TensorBoard then reads raw float32 values of shape tensor_shape.
        shape = entry.config_shape
        if len(shape) != 2:
            if not isinstance(exc, tsv.NotTextError):
                raise
            raise ValueError(
                f"{path} is binary, not TSV text, so the config must give its tensor_shape "
                "[N, D] (TensorBoard reads raw float32 values in that shape)"
            ) from None
        raw = np.fromfile(path, dtype="<f4")
        if raw.size != shape[0] * shape[1]:
            raise ValueError(
                f"{path} holds {raw.size} float32 values but tensor_shape {list(shape)} needs "
                f"{shape[0] * shape[1]}"
            ) from None
        return raw.reshape(shape)


def pick(log: LogDir, tensor_name: str | None) -> Entry:
    """The entry named ``tensor_name`` (or the only one); ValueError listing the names."""
    names = [e.name for e in log.entries]
    if not names:
        detail = "; ".join(log.problems) if log.problems else "no config entries and no checkpoint"
        raise ValueError(f"no embeddings found in {log.root}: {detail}")
    if tensor_name is None:
        if len(names) == 1:
            return log.entries[0]
        raise ValueError(
            f"{log.root} holds {len(names)} embeddings; pick one with tensor_name=, one of {names}"
        )
    for e in log.entries:
        if tensor_name in (e.name, e.name.removesuffix(CHECKPOINT_SUFFIX)):
            return e
    raise ValueError(f"no embedding named {tensor_name!r} in {log.root}; names are {names}")


def split_sprite(
    sheet: npt.NDArray[np.uint8], dim: tuple[int, ...], n: int
) -> npt.NDArray[np.uint8]:
    """Cut a sprite sheet into ``n`` (h, w, 4) thumbnails, row-major, as TensorBoard does;
    ``dim`` is the config's ``single_image_dim``, [width, height]."""
    if len(dim) != 2:
        raise ValueError(f"sprite single_image_dim must be [width, height], got {list(dim)}")
    w, h = int(dim[0]), int(dim[1])
    per_row = sheet.shape[1] // w if w else 0
    if w <= 0 or h <= 0 or per_row == 0:
        raise ValueError(f"sprite single_image_dim {list(dim)} does not fit the sprite image")
    rows = math.ceil(n / per_row)
    if rows * h > sheet.shape[0]:
        raise ValueError(
            f"the sprite image ({sheet.shape[1]}x{sheet.shape[0]} px) holds at most "
            f"{per_row * (sheet.shape[0] // h)} images of {w}x{h} px but there are {n} points"
        )
    out = np.empty((n, h, w, 4), np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        out[i] = sheet[r * h : (r + 1) * h, c * w : (c + 1) * w]
    return out


@dataclass
class Loaded:
    """What a projector log directory holds for one embedding."""

    name: str
    values: npt.NDArray[np.float32]
    metadata: dict[str, list[Any]] | None
    images: npt.NDArray[np.uint8] | None
    bookmarks: list[dict[str, Any]]


def read(
    logdir: str | os.PathLike[str], tensor_name: str | None = None, *, progress: ProgressArg = None
) -> Loaded:
    """Read one embedding (tensor, metadata, sprite, bookmarks) from a projector log directory."""
    log = parse_logdir(logdir)
    if log.config_problems:  # a config that does not parse is never read in part
        raise ValueError("; ".join(log.config_problems))
    entry = pick(log, tensor_name)
    with reporting(progress) as report:
        values = load_tensor(log, entry, progress=report)
        n = values.shape[0]
        metadata = None
        images = None
        marks: list[dict[str, Any]] = []
        cfg = log.config_path or (log.root / CONFIG_NAME)
        if entry.metadata_path:
            metadata = tsv.read_metadata(resolve_asset(entry.metadata_path, cfg), progress=report)
        if entry.sprite_path:
            report.phase("reading the sprite sheet")
            sheet = read_image(str(resolve_asset(entry.sprite_path, cfg)))
            images = split_sprite(sheet, entry.sprite_dim, n)
    if entry.bookmarks_path:
        marks = read_bookmarks(resolve_asset(entry.bookmarks_path, cfg), n, min(values.shape))
    return Loaded(name=entry.name, values=values, metadata=metadata, images=images, bookmarks=marks)


def checkpoint_paths(logdir: str | os.PathLike[str]) -> list[str]:
    """Every checkpoint (path prefix) in the folder of the log directory's latest checkpoint,
    oldest first: ordered by the numbers in their names (``ckpt-2`` before ``ckpt-10``). Any
    ``.index`` file counts: :func:`read_checkpoints` skips those that are not checkpoints of its
    tensor."""
    return _checkpoint_paths(parse_logdir(logdir))


def _checkpoint_paths(log: LogDir) -> list[str]:
    folder = Path(log.checkpoint).parent if log.checkpoint else log.root
    prefixes = [str(p)[: -len(".index")] for p in folder.glob("*.index")]
    return sorted(prefixes, key=_natural_key)


def _natural_key(path: str) -> list[tuple[int, int | str]]:
    parts = re.split(r"(\d+)", os.path.basename(path))
    return [(0, int(p)) if p.isdigit() else (1, p) for p in parts if p]


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(str(v) for v in shape)


def read_checkpoints(
    logdir: str | os.PathLike[str], tensor_name: str, *, progress: ProgressArg = None
) -> tuple[list[str], list[npt.NDArray[np.float32]]]:
    """The tensor ``tensor_name`` in every checkpoint of ``logdir``, oldest first, with the
    checkpoints' names: the steps of ``Projector.from_tensorboard(..., checkpoints="all")``.

    The checkpoints are those TensorBoard would read the tensor from: TensorFlow checkpoints
    beside the latest one that hold ``tensor_name`` in the shape the latest holds it. Other
    files there (a vocabulary called ``words.index``, another model's checkpoints) are skipped
    with a warning naming each and why; ValueError when no checkpoint holds the tensor.
    """
    log = parse_logdir(logdir)
    paths = _checkpoint_paths(log)
    if not paths:
        raise ValueError(
            f"no checkpoints in {logdir}: checkpoints='all' reads a tensor saved in checkpoints "
            "(tensor_path files have no history)"
        )
    tf = _tf()
    skipped: list[str] = []
    held: list[tuple[str, Any, tuple[int, ...]]] = []
    for path in paths:
        name = os.path.basename(path)
        try:
            reader = tf.train.load_checkpoint(path)
            shapes = reader.get_variable_to_shape_map()
        except Exception as exc:  # not a checkpoint's index: any file named *.index
            skipped.append(f"{name}.index: not a TensorFlow checkpoint ({_first_line(exc)})")
            continue
        if tensor_name not in shapes:
            skipped.append(f"{name}: has no {tensor_name!r}")
            continue
        held.append((path, reader, tuple(int(v) for v in shapes[tensor_name])))
    folder = Path(paths[0]).parent
    if not held:
        raise ValueError(f"no checkpoint in {folder} holds {tensor_name!r}: {'; '.join(skipped)}")
    latest = os.path.realpath(log.checkpoint) if log.checkpoint else None
    shape = next((s for p, _, s in held if os.path.realpath(p) == latest), held[-1][2])
    names: list[str] = []
    values: list[npt.NDArray[np.float32]] = []
    with reporting(progress) as report:
        for path, reader, held_shape in held:
            name = os.path.basename(path)
            if held_shape != shape:
                skipped.append(
                    f"{name}: its {tensor_name!r} is {_shape_text(held_shape)}, "
                    f"not {_shape_text(shape)}"
                )
                continue
            report.phase(f"reading {tensor_name} from checkpoint {name}")
            try:
                values.append(np.asarray(reader.get_tensor(tensor_name), dtype=np.float32))
            except Exception as exc:  # its data files are missing or corrupt
                skipped.append(f"{name}: cannot be read ({_first_line(exc)})")
                continue
            names.append(name)
    if not values:
        raise ValueError(f"no checkpoint in {folder} holds {tensor_name!r}: {'; '.join(skipped)}")
    if skipped:
        warnings.warn(
            f"checkpoints='all' skipped {len(skipped)} file(s) in {folder} that are not "
            f"checkpoints of {tensor_name!r}: {'; '.join(skipped)}",
            UserWarning,
            stacklevel=2,
        )
    return names, values


def sprite_sheet(images: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], tuple[int, int]]:
    """A square-ish sprite sheet of (n, h, w, 4) thumbnails and the single image size (w, h)."""
    n, h, w, _ = images.shape
    per_row = math.ceil(math.sqrt(n))
    rows = math.ceil(n / per_row)
    sheet = np.zeros((rows * h, per_row * w, 4), np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = images[i]
    return sheet, (w, h)


def write(
    logdir: str | os.PathLike[str],
    values: npt.NDArray[np.float32],
    columns: list[Any],
    images: npt.NDArray[np.uint8] | None,
    *,
    tensor_name: str = "embedding",
    tensor_format: str = "auto",
    progress: ProgressArg = None,
) -> Path:
    """Write a projector log directory that TensorBoard loads; returns the config path.

    ``tensor_format``: 'checkpoint' (a TF checkpoint, as TensorFlow's tutorial writes; needs
    TensorFlow), 'tsv', or 'auto' (checkpoint when TensorFlow is installed, else TSV).
    ``progress`` receives the phases: "writing tensors", the metadata columns, the sprite.
    """
    with reporting(progress) as report:
        return _write(
            logdir,
            values,
            columns,
            images,
            tensor_name=tensor_name,
            tensor_format=tensor_format,
            report=report,
        )


def _write(
    logdir: str | os.PathLike[str],
    values: npt.NDArray[np.float32],
    columns: list[Any],
    images: npt.NDArray[np.uint8] | None,
    *,
    tensor_name: str,
    tensor_format: str,
    report: Reporter,
) -> Path:
    pb2 = _projector_pb2("writing")  # before anything is written
    root = tsv.ensure_dir(logdir)
    from google.protobuf import text_format

    if tensor_format not in ("auto", "checkpoint", "tsv"):
        raise ValueError(
            f"tensor_format must be 'auto', 'checkpoint' or 'tsv', got {tensor_format!r}"
        )
    if tensor_format == "auto":
        try:
            _tf()
            tensor_format = "checkpoint"
        except ImportError:
            tensor_format = "tsv"
    config = pb2.ProjectorConfig()
    emb = config.embeddings.add()
    if tensor_format == "checkpoint":
        tf = _tf()
        report.phase("writing tensors", detail="TensorFlow checkpoint")
        ckpt = tf.train.Checkpoint(**{tensor_name: tf.Variable(values)})
        ckpt.save(str(root / "embedding.ckpt"))
        emb.tensor_name = f"{tensor_name}{CHECKPOINT_SUFFIX}"
    else:
        tsv.write_tensor_tsv(root / "tensors.tsv", values, progress=report)
        emb.tensor_name = tensor_name
        emb.tensor_path = "tensors.tsv"
    if tsv.write_metadata_tsv(root / "metadata.tsv", columns, values.shape[0], progress=report):
        emb.metadata_path = "metadata.tsv"
    if images is not None:
        report.phase("writing the sprite sheet")
        sheet, (w, h) = sprite_sheet(images)
        (root / "sprite.png").write_bytes(encode_png(sheet))
        emb.sprite.image_path = "sprite.png"
        emb.sprite.single_image_dim.extend([w, h])
    path = root / CONFIG_NAME
    path.write_text(text_format.MessageToString(config), encoding="utf-8")
    return path
