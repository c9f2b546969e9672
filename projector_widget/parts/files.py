"""Other tools' files in and out of a widget: TensorBoard log directories, the TSV files of
projector.tensorflow.org, Keras embedding layers, and a standalone HTML page.

The readers and writers themselves are functions of :mod:`projector_widget.formats`; here they
meet the widget: a reader's result becomes the constructor's arguments (``widget_class`` is
``Projector``, never imported), a writer gets the rows, columns and images the widget keeps.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

from projector_widget.compute import projections
from projector_widget.parts.compose import Parts

W = TypeVar("W")
PathArg = str | os.PathLike[str]


def from_tensorboard(
    widget_class: Callable[..., W],
    sequence: Callable[..., W],
    logdir: PathArg,
    tensor_name: str | None,
    *,
    checkpoints: str,
    kwargs: dict[str, Any],
) -> W:
    """A widget of a TensorBoard projector log directory (``sequence`` builds one of every
    checkpoint when ``checkpoints="all"``); its bookmarks come along."""
    from projector_widget.formats import tensorboard as tb

    if checkpoints not in ("latest", "all"):
        raise ValueError(f"checkpoints must be 'latest' or 'all', got {checkpoints!r}")
    loaded = tb.read(logdir, tensor_name)
    kwargs.setdefault("images", loaded.images)
    kwargs["_bookmarks"] = loaded.bookmarks
    if checkpoints == "all":
        names, values = tb.read_checkpoints(logdir, loaded.name)
        return sequence(values, loaded.metadata, names, **kwargs)
    return widget_class(loaded.values, loaded.metadata, **kwargs)


def to_tensorboard(
    parts: Parts, logdir: PathArg, *, tensor_name: str, tensor_format: str
) -> pathlib.Path:
    """Write a projector log directory of the widget's rows, columns and images (see
    :meth:`Projector.to_tensorboard`)."""
    from projector_widget.formats import tensorboard as tb

    values = parts.session.backend.memory("to_tensorboard").values
    with parts.session.task() as report:
        return tb.write(
            logdir,
            values,
            parts.metadata.columns,
            parts.images,
            tensor_name=tensor_name,
            tensor_format=tensor_format,
            progress=report,
        )


def from_tsv(
    widget_class: Callable[..., W],
    tensors_tsv: PathArg,
    metadata_tsv: PathArg | None,
    kwargs: dict[str, Any],
) -> W:
    """A widget of the two TSV files projector.tensorflow.org loads."""
    from projector_widget.formats import tsv

    values, meta = tsv.read_tsv_pair(tensors_tsv, metadata_tsv)
    return widget_class(values, meta, **kwargs)


def to_tsv(parts: Parts, folder: PathArg) -> tuple[pathlib.Path, pathlib.Path | None]:
    """Write ``tensors.tsv`` and ``metadata.tsv`` (None when there is no metadata)."""
    from projector_widget.formats import tsv

    values = parts.session.backend.memory("to_tsv").values
    root = tsv.ensure_dir(folder)
    meta = root / "metadata.tsv"
    with parts.session.task() as report:
        tsv.write_tensor_tsv(root / "tensors.tsv", values, progress=report)
        wrote = tsv.write_metadata_tsv(
            meta, parts.metadata.columns, values.shape[0], progress=report
        )
    return root / "tensors.tsv", meta if wrote else None


def from_keras(
    widget_class: Callable[..., W],
    model_or_layer: Any,
    layer_name: str | None,
    vocabulary: Any,
    kwargs: dict[str, Any],
) -> W:
    """A widget of a Keras ``Embedding`` layer's weights; ``vocabulary`` becomes the metadata."""
    from projector_widget.formats.keras import embedding_weights

    values = embedding_weights(model_or_layer, layer_name)
    meta = kwargs.pop("metadata", None)
    if vocabulary is not None:
        vocab = list(vocabulary)
        if len(vocab) != values.shape[0]:
            raise ValueError(
                f"vocabulary has {len(vocab)} tokens but the embedding matrix has "
                f"{values.shape[0]} rows; pass one token per row"
            )
        meta = {"token": [str(t) for t in vocab]}
    return widget_class(values, meta, **kwargs)


def page_payload(parts: Parts, state: dict[str, Any]) -> dict[str, Any]:
    """What a saved page embeds of the view (``state``: the widget's synced state)."""
    from projector_widget.formats import html

    session = parts.session
    if parts.overview.active:
        raise ValueError(
            f"a saved page holds every point, and this projector shows {session.n:,} rows as a "
            "density overview; save a sample instead: Projector(x[rows], ...).save_html(...)"
        )
    # An iterative layout exists in its own dimensionality only; a linear one in both.
    dims = [2, 3]
    if projections.get(state["projection"]).iterative:
        dims = [int(state["projection_params"].get("dims", state["dimensions"]))]
    with session.lock:
        coords = session.coords
        by_dims = {d: parts.points.value(coords, d, 0) for d in dims}
    kept = {k: v for k, v in state.items() if k != "_points_rest"}
    return html.payload(kept, by_dims, parts.metadata.columns, state["dimensions"])


def html_page(parts: Parts, state: dict[str, Any], *, title: str) -> str:
    """One self-contained HTML page of the view (see :func:`page_payload`)."""
    from projector_widget.formats import html

    return html.page(page_payload(parts, state), title=title)
