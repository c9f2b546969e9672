"""The anywidget class: traits and the Python API. Thin: the work happens in pure modules."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import numpy.typing as npt
import traitlets

from . import bookmarks as bm
from . import encoding
from .ann import ApproximateIndex
from .inputs import (
    Column,
    Matrix,
    as_columns,
    as_matrix,
    categorical_column,
    columns_as_table,
    make_column,
)
from .jobs import Job, Stopped
from .neighbors import Sketch, check_metric, inverse_norms, make_sketch, nearest
from .projections import custom as custom_proj
from .projections import tsne as tsne_proj
from .projections import umap as umap_proj
from .projections.pca import EXACT_MAX_ROWS, PCAResult, pca, sample_pca
from .search import search as search_columns
from .sprites import as_images, build_atlas

_STATIC = pathlib.Path(__file__).parent / "static"
_ESM = _STATIC / "widget.js"
_CSS = _STATIC / "widget.css"

#: Principal components computed up front (the UI may put any of them on an axis).
PCA_COMPONENTS = 10
#: Up to this many points, labels for every row are sent; above it, only for the rows that need
#: one (selected, focus, neighbours).
ALL_LABELS_MAX = 50_000
#: Cap on labelled rows above ALL_LABELS_MAX.
LABEL_ROWS_CAP = 5_000
#: Animation of a projection switch, in milliseconds.
TRANSITION_MS = 600
#: Longest wait of the background PCA for the browser's first complete frame.
REFINE_WAIT_S = 5.0
#: Minimum seconds between two streamed frames of a running layout.
FRAME_INTERVAL_S = 0.1
METHODS = ("pca", "tsne", "umap", "custom")


def _normalize_selection(value: Any, n: int) -> npt.NDArray[np.int64]:
    """Sorted unique int64 indices from ``value``; IndexError/ValueError when invalid."""
    if value is None:
        return np.zeros(0, dtype=np.int64)
    if isinstance(value, np.ndarray) and value.dtype == bool:
        if value.shape != (n,):
            raise ValueError(
                f"a boolean selection mask must have shape ({n},), one flag per point; "
                f"got shape {value.shape}"
            )
        return np.flatnonzero(value).astype(np.int64)
    arr = np.asarray(list(value) if isinstance(value, (set, frozenset)) else value)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(
                f"selected must be integer row indices; got values of dtype {arr.dtype}"
            )
    arr = arr.astype(np.int64, copy=False).reshape(-1)
    if arr.min() < 0 or arr.max() >= n:
        bad = arr[(arr < 0) | (arr >= n)]
        raise IndexError(
            f"selected index {int(bad[0])} is out of range: the projector has {n} points "
            f"(valid indices are 0 to {n - 1})"
        )
    if arr.size > 1 and bool(np.all(arr[1:] > arr[:-1])):
        return arr.copy()  # already sorted and unique (as the browser sends it); never alias
        # the caller's array, which validate() marks read-only
    return np.unique(arr)


class SelectionTrait(traitlets.TraitType):
    """A sorted unique int64 index array, validated against the widget's point count.

    Notifies only when the indices really change (NumPy arrays do not compare to a bool).
    """

    info_text = "row indices (a sequence of ints or a boolean mask)"
    default_value = np.zeros(0, dtype=np.int64)

    def validate(self, obj: Any, value: Any) -> npt.NDArray[np.int64]:
        """Check and normalise ``value``; raise IndexError/ValueError, leaving the old value."""
        out = _normalize_selection(value, obj._n)
        out.setflags(write=False)
        return out

    def set(self, obj: Any, value: Any) -> None:
        """Store the new indices and notify observers only when they differ from the old ones."""
        new_value = self._validate(obj, value)
        old_value = obj._trait_values.get(self.name, self.default_value)
        if isinstance(old_value, np.ndarray) and np.array_equal(old_value, new_value):
            return
        obj._trait_values[self.name] = new_value
        obj._notify_trait(self.name, old_value, new_value)


def _selection_to_json(value: npt.NDArray[np.int64], widget: Any) -> dict[str, Any]:
    return encoding.encode_selection(value)


def _selection_from_json(value: Any, widget: Any) -> npt.NDArray[np.int64]:
    return encoding.decode_selection(value)


class Projector(anywidget.AnyWidget):
    """An embedding projector in a notebook cell.

    Parameters
    ----------
    embeddings:
        (N, D) array-like of numbers: NumPy, nested lists, TensorFlow/PyTorch tensors, pandas.
    metadata:
        One label per row, a dict of equal-length columns, or a pandas DataFrame; optional.
    color_by:
        Column to colour by; by default the first categorical column.
    label_by:
        Column whose values label points in the plot ('' for none).
    dimensions:
        2 or 3: the initial view (the UI switches between them).
    height:
        Height of the widget in pixels; the width fills the cell.
    point_size:
        Point diameter in pixels; 0 chooses one from the number of points.
    selected:
        Initially selected row indices.
    images:
        Optional (N, H, W) or (N, H, W, C) thumbnails, uint8 or float, drawn as sprites.
    encoder:
        Optional ``fn(list[str]) -> array`` embedding text queries in the same space, for
        semantic search from the UI or :meth:`query`.

    Examples
    --------
    >>> w = Projector(embeddings, {"label": labels})  # doctest: +SKIP
    >>> w.selected = [3, 17, 42]                        # doctest: +SKIP
    >>> w.project("tsne", perplexity=20)                # doctest: +SKIP
    """

    _esm = _ESM if _ESM.exists() else "export default {};"
    _css = _CSS if _CSS.exists() else ""

    _points = traitlets.Dict().tag(sync=True)
    _columns = traitlets.List().tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    label_by = traitlets.Unicode("").tag(sync=True)
    selected = SelectionTrait().tag(
        sync=True, to_json=_selection_to_json, from_json=_selection_from_json
    )
    dimensions = traitlets.Int(3).tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)
    point_size = traitlets.Float(0.0).tag(sync=True)
    #: The current projection: 'pca', 'tsne', 'umap' or 'custom'.
    projection = traitlets.Unicode("pca").tag(sync=True)
    #: The parameters of the current projection (read-only; use :meth:`project` to change).
    projection_params = traitlets.Dict().tag(sync=True)
    spherize = traitlets.Bool(False).tag(sync=True)
    focus = traitlets.Int(-1).tag(sync=True)
    k_neighbors = traitlets.Int(10).tag(sync=True)
    metric = traitlets.Unicode("cosine").tag(sync=True)
    show_images = traitlets.Bool(False).tag(sync=True)
    camera = traitlets.Dict().tag(sync=True)
    bookmarks = traitlets.List().tag(sync=True)
    _pca_variance = traitlets.List().tag(sync=True)
    _progress = traitlets.Dict().tag(sync=True)
    _labels = traitlets.Dict().tag(sync=True)
    _neighbors = traitlets.Dict().tag(sync=True)
    _query_point = traitlets.Dict().tag(sync=True)
    _has_encoder = traitlets.Bool(False).tag(sync=True)
    _isolated = traitlets.Bool(False).tag(sync=True)
    _sprites = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        embeddings: Any,
        metadata: Any = None,
        *,
        color_by: str | None = None,
        label_by: str = "",
        dimensions: int = 3,
        height: int = 560,
        point_size: float = 0.0,
        selected: Any = None,
        images: Any = None,
        encoder: Callable[[list[str]], Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not _ESM.exists():
            raise RuntimeError(
                f"the frontend bundle {_ESM} is missing: install the package with "
                "`pip install .` (which builds it) or run `npm install && npm run build`"
            )
        matrix = as_matrix(embeddings)
        columns = as_columns(metadata, matrix.n)
        self._matrix = matrix
        self._n = matrix.n
        self._column_list: list[Column] = columns
        self._encoder = encoder
        if encoder is not None and not callable(encoder):
            raise TypeError("encoder must be a function list[str] -> array of embeddings")
        self._lock = threading.RLock()
        self._job: Job | None = None
        self._subset: npt.NDArray[np.int64] | None = None
        self._spherized: Matrix | None = None
        self._pca_cache: dict[tuple[bool, int], PCAResult] = {}
        self._layout_cache: dict[str, npt.NDArray[np.float32]] = {}
        self._coords = np.zeros((self._n, 3), np.float32)
        self._saved_view: dict[str, Any] | None = None
        self._bookmark_store: dict[str, dict[str, Any]] = {}
        self._last_frame = 0.0
        self._custom_axes: npt.NDArray[np.float64] | None = None
        self._init_neighbour_search()
        # The full value behind a ``_points`` sent in parts, and its version.
        self._points_full: dict[str, Any] | None = None
        self._points_version = 0
        self._applying = False  # True while Python itself sets projection/dimensions
        _check_dimensions(dimensions)
        if color_by is None:
            color_by = _default_color_column(columns)
        _check_color_by(color_by, columns)
        _check_label_by(label_by, columns)
        sprites: dict[str, Any] = {}
        self._images: npt.NDArray[np.uint8] | None = None
        if images is not None:
            self._images = as_images(images, self._n)
            sprites = build_atlas(self._images)
        first = self._quick_pca()
        params = {"components": [0, 1, 2]}
        self._coords = _pca_coords(first, params["components"], 3)
        super().__init__(
            _columns=[encoding.encode_column(c) for c in columns],
            _points=self._points_to_send(self._points_value(dimensions, 0), in_parts=True),
            _pca_variance=[float(v) for v in first.explained_variance_ratio],
            projection="pca",
            projection_params=params,
            color_by=color_by,
            label_by=label_by,
            dimensions=dimensions,
            height=height,
            point_size=point_size,
            _has_encoder=encoder is not None,
            _sprites=sprites,
            show_images=bool(sprites),
            _progress={
                "method": "pca",
                "state": "done",
                "iteration": 0,
                "total": 0,
                "eta_s": None,
                "message": "",
            },
            **kwargs,
        )
        if selected is not None:
            self.selected = selected
        self._refresh_labels()
        self.on_msg(self._on_custom_msg)
        #: Set once the initial PCA is final (at once for up to EXACT_MAX_ROWS rows).
        self.pca_refined = threading.Event()
        # Set when a view has drawn every point: the PCA of every row waits for it (at most
        # REFINE_WAIT_S), so its passes over the data do not take the CPU from the first frame.
        self._drawn = threading.Event()
        if self._n > EXACT_MAX_ROWS and first is self._pca_cache.get((False, 0)):
            threading.Thread(target=self._refine_pca, args=(first,), daemon=True).start()
        else:
            self.pca_refined.set()

    # ------------------------------------------------------------------ read-only views
    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._n

    @property
    def embeddings(self) -> npt.NDArray[np.float32]:
        """The validated (N, D) float32 embeddings kept in the kernel."""
        return self._matrix.values

    @property
    def metadata(self) -> Any:
        """The metadata columns: a pandas DataFrame when pandas is installed, else a dict of lists."""
        return columns_as_table(self._column_list)

    @property
    def columns(self) -> dict[str, str]:
        """Column names mapped to their kind: 'category', 'number' or 'text'."""
        return {c.name: c.kind for c in self._column_list}

    @property
    def coordinates(self) -> npt.NDArray[np.float32]:
        """The current projection's (N, dimensions) float32 coordinates (before quantisation).

        While a selection is isolated, rows outside it hold placeholder values.
        """
        with self._lock:
            return self._coords[:, : self.dimensions].copy()

    @property
    def explained_variance_ratio(self) -> npt.NDArray[np.float64]:
        """Fraction of the total variance along each principal component (of the current rows)."""
        return self._pca_result().explained_variance_ratio

    @property
    def isolated(self) -> npt.NDArray[np.int64] | None:
        """The rows shown while a selection is isolated, or None when every row is shown."""
        return None if self._subset is None else self._subset.copy()

    @property
    def job(self) -> Job | None:
        """The running (or last) background projection job, if any."""
        return self._job

    # ------------------------------------------------------------------ projections
    def _input(self) -> Matrix:
        """The matrix projections see: spherized (centred, unit rows) when asked."""
        if not self.spherize:
            return self._matrix
        if self._spherized is None:
            x = self._matrix.values
            centred = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)
            norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))
            norms[norms == 0] = 1.0
            centred /= norms[:, None]
            self._spherized = Matrix(values=centred, sq_norms=np.ones(self._n, np.float32))
        return self._spherized

    def _rows(self) -> npt.NDArray[np.float32]:
        x = self._input().values
        return x if self._subset is None else x[self._subset]

    def _pca_result(self) -> PCAResult:
        key = (bool(self.spherize), 0 if self._subset is None else hash(self._subset.tobytes()))
        if key not in self._pca_cache:
            m = self._input()
            rows = m.values if self._subset is None else m.values[self._subset]
            norms = m.sq_norms if self._subset is None else m.sq_norms[self._subset]
            self._pca_cache[key] = pca(rows, PCA_COMPONENTS, sq_norms=norms)
        return self._pca_cache[key]

    def _quick_pca(self) -> PCAResult:
        """The first PCA: on large inputs a sample's axes with every row projected (one thin
        pass), replaced in the background by the PCA of every row."""
        m = self._matrix
        if m.n <= EXACT_MAX_ROWS:
            return self._pca_result()
        quick = sample_pca(m.values, PCA_COMPONENTS)
        self._pca_cache[(False, 0)] = quick
        return quick

    def _refine_pca(self, quick: PCAResult) -> None:
        """Replace the sample's PCA by the PCA of every row (and keep its subspace for kNN)."""
        try:
            self._drawn.wait(REFINE_WAIT_S)
            m = self._matrix
            refined = pca(
                m.values, PCA_COMPONENTS, sq_norms=m.sq_norms, power_iterations=1, keep_subspace=True
            )
            if refined.subspace is not None and refined.subspace_scores is not None:
                self._sketch_parts = (refined.subspace, refined.subspace_scores)
            refined = dataclasses.replace(refined, subspace=None, subspace_scores=None)
            with self._lock:
                if self._pca_cache.get((False, 0)) is not quick:
                    return
                self._pca_cache[(False, 0)] = refined
                showing = self.projection == "pca" and not self.spherize and self._subset is None
                if showing and (self._job is None or not self._job.running):
                    comps = list(self.projection_params.get("components", [0, 1, 2]))
                    self._show(_pca_coords(refined, comps, 3), 0)
                    self._pca_variance = [float(v) for v in refined.explained_variance_ratio]
        finally:
            self.pca_refined.set()

    def _points_value(self, dims: int, transition_ms: int) -> dict[str, Any]:
        coords = self._coords[:, :dims]
        if coords.shape[1] < dims:
            coords = np.hstack([coords, np.zeros((self._n, dims - coords.shape[1]), np.float32)])
        value = encoding.encode_points(coords, visible_rows=self._subset)
        value["transition_ms"] = int(transition_ms)
        return value

    def _show(self, coords: npt.NDArray[np.float32], transition_ms: int) -> None:
        """Store full-size (N, k) coordinates and send the current dimensions to the browser."""
        with self._lock:
            self._coords = coords
            self._points = self._points_to_send(self._points_value(self.dimensions, transition_ms))

    def _points_to_send(self, value: dict[str, Any], *, in_parts: bool = False) -> dict[str, Any]:
        """The ``_points`` value to sync; with ``in_parts``, a large one carries its first part.

        Only the first value goes in parts (the rest on request): it is what the user waits
        for. Later values replace points already on screen, where a part would blink.
        """
        if not (in_parts and encoding.is_progressive(value)):
            self._points_full = None
            return value
        self._points_version += 1
        self._points_full = value
        return encoding.first_part(value, self._points_version)

    def _send_later_parts(self, version: Any, start: Any) -> None:
        """Answer the browser's request for the rest of a ``_points`` sent in parts."""
        with self._lock:
            full, current = self._points_full, self._points_version
        if full is None or version != current or not isinstance(start, int):
            return  # superseded: the browser has a newer value (or will get one)
        for content, buffer in encoding.later_parts(full, current, start):
            self.send(content, [buffer])

    def _embed_rows(self, sub: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Place coordinates of the current rows into an (N, k) array (hidden rows at the centre)."""
        if self._subset is None:
            return np.ascontiguousarray(sub, dtype=np.float32)
        full = np.empty((self._n, sub.shape[1]), np.float32)
        full[:] = sub.mean(axis=0) if len(sub) else 0.0
        full[self._subset] = sub
        return full

    def project(
        self, method: str | None = None, *, wait: bool = False, **params: Any
    ) -> Job | None:
        """Compute a projection and show it, animating from the current layout.

        ``method`` is 'pca' (``components=[i, j, k]``: which of the first 10 principal
        components go on X, Y, Z), 'tsne' (``perplexity``, ``learning_rate``, ``n_iter``,
        ``seed``), 'umap' (``n_neighbors``, ``min_dist``, ``metric``, ``seed``) or 'custom'
        (``x=(left, right)``, ``y=(left, right)``, ``column``, ``regex``). t-SNE and UMAP run in
        a background thread and stream progress (t-SNE also intermediate layouts); they return
        the :class:`~projector_widget.jobs.Job` (``wait=True`` blocks until done).
        Returns None for the synchronous methods.
        """
        method = method or self.projection
        if method not in METHODS:
            raise ValueError(f"projection must be one of {list(METHODS)}, got {method!r}")
        self.stop()
        if method == "pca":
            result = self._pca_result()
            k = max(result.coords.shape[1], 1)
            comps = list(params.pop("components", range(min(3, k))))
            if params:
                raise ValueError(f"unknown PCA parameter(s) {sorted(params)}; PCA takes components")
            valid = all(
                isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < k
                for c in comps
            )
            if not 1 <= len(comps) <= 3 or not valid:
                raise ValueError(
                    f"components must be up to 3 principal component indices in "
                    f"0..{k - 1} (X, Y, Z), got {comps!r}"
                )
            # Fill missing axes with the next unused components (zeros beyond the last one).
            comps = [int(c) for c in comps]
            comps += [c for c in range(10) if c not in comps][: 3 - len(comps)]
            self._set_projection("pca", {"components": comps[:3]})
            self._show(self._embed_rows(_pca_coords(result, comps, 3)), TRANSITION_MS)
            self._progress = _progress_value("pca", "done")
            return None
        if method == "custom":
            p = {
                "column": params.get("column"),
                "x": list(params.get("x") or []),
                "y": list(params["y"]) if params.get("y") else None,
                "regex": bool(params.get("regex", False)),
            }
            unknown = set(params) - {"column", "x", "y", "regex"}
            if unknown:
                raise ValueError(f"unknown custom-projection parameter(s) {sorted(unknown)}")
            coords, axes = custom_proj.custom_projection(
                self._input().values,
                self._column_list,
                p,
                dims=3,
                principal=self._pca_result().components,
                rows=self._subset,
            )
            if self._subset is not None:
                coords = self._embed_rows(coords[self._subset])
            self._custom_axes = axes
            self._set_projection("custom", p)
            self._show(coords, TRANSITION_MS)
            self._progress = _progress_value("custom", "done")
            return None
        dims = int(params.pop("dims", 2))
        if method == "tsne":
            p = tsne_proj.check_params({**params, "dims": dims})
        else:
            p = umap_proj.check_params({**params, "dims": dims})
        self._set_projection(method, p)
        job = self._start_layout_job(method, p)
        if wait:
            job.wait()
        return job

    def _set_projection(self, method: str, params: dict[str, Any]) -> None:
        self._applying = True
        try:
            with self.hold_sync():
                self.projection = method
                self.projection_params = params
                if method in ("tsne", "umap") and params.get("dims") in (2, 3):
                    self.dimensions = params["dims"]
        finally:
            self._applying = False

    def _start_layout_job(self, method: str, p: dict[str, Any]) -> Job:
        rows = np.ascontiguousarray(self._rows())
        key = _layout_key(method, p, self.spherize, self._subset)
        preview = _pca_coords(self._pca_result(), [0, 1, 2], p["dims"])

        def frame(job: Job, iteration: int, total: int, layout: np.ndarray) -> bool:
            stop = job.checkpoint(iteration, total, f"iteration {iteration} / {total}")
            now = time.monotonic()
            if job is self._job and (iteration == 0 or now - self._last_frame >= FRAME_INTERVAL_S):
                self._last_frame = now
                self._show(self._embed_rows(_pad3(layout)), TRANSITION_MS if iteration == 0 else 0)
            return stop

        def work(job: Job) -> np.ndarray:
            if key in self._layout_cache:
                return self._layout_cache[key]
            if method == "tsne":
                out = tsne_proj.tsne(
                    rows, p, on_frame=lambda i, t, e: frame(job, i, t, e), preview=preview
                )
            else:

                def progress(done: int, total: int, message: str) -> None:
                    if job.checkpoint(done, total, message):
                        raise Stopped

                out = umap_proj.umap(rows, p, on_progress=progress)
            if not job.stopped:
                self._layout_cache[key] = out
            return out

        def done(job: Job) -> None:
            if job is self._job and job.result is not None:
                transition = 0 if method == "tsne" else TRANSITION_MS
                self._show(self._embed_rows(_pad3(job.result)), transition)

        def report(job: Job, state: dict[str, Any]) -> None:
            if job is self._job:
                self._progress = state

        job = Job(method, work, report, on_done=done)
        self._job = job
        return job.start()

    def pause(self) -> None:
        """Pause the running t-SNE/UMAP job."""
        if self._job is not None:
            self._job.pause()

    def resume(self) -> None:
        """Resume a paused job."""
        if self._job is not None:
            self._job.resume()

    def stop(self) -> None:
        """Stop the running job, keeping the layout reached so far."""
        job = self._job
        if job is not None and job.running:
            job.stop()
            job.join(timeout=30)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running projection job finishes (re-raising its error)."""
        if self._job is not None:
            self._job.wait(timeout)

    @traitlets.observe("projection")
    def _on_projection(self, change: dict[str, Any]) -> None:
        if self._applying or not isinstance(change["old"], str) or change["new"] == change["old"]:
            return  # set by Python itself, or the initial value during __init__
        if change["new"] not in METHODS:
            self._applying = True
            self.projection = change["old"]
            self._applying = False
            raise ValueError(f"projection must be one of {list(METHODS)}, got {change['new']!r}")
        if change["new"] == "custom":
            raise ValueError(
                "a custom projection needs its axes: use w.project('custom', x=(left, right), ...)"
            )
        self.project(change["new"])

    @traitlets.observe("spherize")
    def _on_spherize(self, change: dict[str, Any]) -> None:
        if isinstance(change["old"], bool) and change["new"] != change["old"]:
            self._rerun()

    def _rerun(self) -> None:
        """Recompute the current projection with its parameters on the current rows."""
        params = dict(self.projection_params)
        if self.projection == "pca":
            self._pca_variance = [float(v) for v in self._pca_result().explained_variance_ratio]
        if self.projection in ("tsne", "umap"):
            params["dims"] = self.dimensions
        try:
            self.project(self.projection, **params)
        except ValueError:
            self.project("pca")

    # ------------------------------------------------------------------ isolation
    def isolate(self, rows: Any = None) -> None:
        """Show only ``rows`` (default: the selection); projections then run on that subset."""
        subset = _normalize_selection(self.selected if rows is None else rows, self._n)
        if subset.size == 0:
            raise ValueError("nothing to isolate: select some points first (or pass rows=...)")
        if self._subset is None:
            self._saved_view = {
                "projection": self.projection,
                "params": dict(self.projection_params),
                "coords": self._coords,
            }
        self.stop()
        self._subset = subset
        self._isolated = True
        self._show(self._coords, 0)
        self._pca_variance = [float(v) for v in self._pca_result().explained_variance_ratio]
        self._refresh_neighbors()

    def show_all(self) -> None:
        """Undo :meth:`isolate`: show every row again, in the layout they had before."""
        if self._subset is None:
            return
        self.stop()
        self._subset = None
        self._isolated = False
        saved = self._saved_view
        self._saved_view = None
        self._pca_variance = [float(v) for v in self._pca_result().explained_variance_ratio]
        if saved is not None:
            self._set_projection(saved["projection"], saved["params"])
            self._show(saved["coords"], 0)
        else:
            self._rerun()
        self._refresh_neighbors()

    # ------------------------------------------------------------------ search, neighbours
    def search(
        self,
        pattern: str,
        column: str | None = None,
        *,
        regex: bool = False,
        case: bool = False,
        select: bool = True,
    ) -> npt.NDArray[np.int64]:
        """Rows whose ``column`` (any column when None) matches ``pattern``; selects them.

        A substring match, case-insensitive unless ``case``; a regular expression when ``regex``.
        While a selection is isolated, only the isolated rows can match.
        """
        hits = search_columns(self._column_list, pattern, column=column, regex=regex, case=case)
        if self._subset is not None:
            hits = np.intersect1d(hits, self._subset)
        if select:
            self.selected = hits
        return hits

    def nearest(
        self, index: int, k: int = 10, metric: str = "cosine", *, exact: bool = False
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The ``k`` nearest neighbours of row ``index`` in the original space, closest first.

        Returns ``(indices, distances)`` (the point itself excluded); ``metric`` is 'cosine' or
        'euclidean'. Exact: one BLAS pass over the embeddings, or on large inputs over the rows
        that a bound from the PCA subspace cannot rule out. After :meth:`build_index` for this
        metric the index answers instead, unless ``exact`` is true.
        """
        return self._neighbours(int(index), k, metric, exact=exact)

    def build_index(self, metric: str | None = None, **options: Any) -> ApproximateIndex:
        """Build an approximate neighbour index for ``metric`` (default: the widget's ``metric``).

        For sets where an exact query is too slow (it reads every row: ~100 ms at 1M x 768).
        From then on :meth:`nearest`, :meth:`query` and the inspector use the index for that
        metric; the rows returned may miss a true neighbour, their distances are exact. Needs
        faiss (``pip install "projector-widget[ann]"``); ``options`` (``nlist``, ``nprobe``,
        ``rerank``, ``seed``) go to :class:`projector_widget.ann.ApproximateIndex`. At
        1M x 768 it takes about 12 s on two cores and keeps 0.8 GB (one byte per value).
        """
        m = check_metric(self.metric if metric is None else metric)
        index = ApproximateIndex(self._matrix.values, self._matrix.sq_norms, m, **options)
        self._indexes[m] = index
        if self.focus >= 0 and m == self.metric:
            self._refresh_neighbors()
        return index

    def _neighbours(
        self, query: int | npt.NDArray[np.float32], k: int, metric: str, *, exact: bool = False
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Neighbours of a row or vector among the shown rows: the index if built, else exact."""
        m = check_metric(metric)
        index = None if exact else self._indexes.get(m)
        if index is not None:
            return index.search(query, k, candidates=self._subset)
        mat = self._matrix
        return nearest(
            mat.values,
            mat.sq_norms,
            query,
            k=k,
            metric=m,
            candidates=self._subset,
            inv_norms=self._row_inverse_norms(),
            sketch=self._row_sketch(),
        )

    def _init_neighbour_search(self) -> None:
        """State of the neighbour search, filled on first use (or by the background PCA)."""
        self._inv_norms: npt.NDArray[np.float32] | None = None
        self._sketch: Sketch | None = None
        self._sketch_parts: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
        self._indexes: dict[str, ApproximateIndex] = {}  # build_index, by metric

    def _row_inverse_norms(self) -> npt.NDArray[np.float32]:
        """1/|x| per row, computed once (N floats) so cosine queries rank in one pass."""
        if self._inv_norms is None:
            self._inv_norms = inverse_norms(self._matrix.sq_norms)
        return self._inv_norms

    def _row_sketch(self) -> Sketch | None:
        """The neighbour search's sketch (large inputs, once the PCA of every row has run)."""
        if self._sketch is None and self._sketch_parts is not None:
            basis, scores = self._sketch_parts
            self._sketch = make_sketch(self._matrix.values, self._matrix.sq_norms, basis, scores)
            self._sketch_parts = None
        return self._sketch

    def query(
        self, text: str, k: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Embed ``text`` with the ``encoder`` and show its nearest neighbours (and position)."""
        if self._encoder is None:
            raise ValueError("no encoder: pass Projector(..., encoder=fn) to search by meaning")
        vec = np.asarray(self._encoder([text]), dtype=np.float32)
        if vec.ndim == 2 and vec.shape[0] == 1:
            vec = vec[0]
        if vec.ndim != 1 or vec.shape[0] != self._matrix.dims:
            raise ValueError(
                f"the encoder returned shape {np.shape(vec)}; expected one vector of "
                f"{self._matrix.dims} dimensions like the embeddings"
            )
        idx, dist = self._neighbours(vec, k or self.k_neighbors, self.metric)
        self.focus = -1
        self._neighbors = encoding.encode_neighbors(
            -1, idx, dist, self._labels_for(idx), query=text
        )
        self._query_point = {"text": text, "coords": self._locate(vec)}
        self._refresh_labels()
        return idx, dist

    def _locate(self, vec: npt.NDArray[np.float32]) -> list[float]:
        """Position of a new vector in the current linear projection ([] for t-SNE/UMAP)."""
        v = vec
        if self.spherize:
            v = v - self._matrix.values.mean(axis=0)
            v = v / max(float(np.linalg.norm(v)), 1e-12)
        if self.projection == "pca":
            r = self._pca_result()
            comps = self.projection_params.get("components", [0, 1, 2])
            scores = (v - r.mean) @ r.components.T
            return [float(scores[c]) if c < len(scores) else 0.0 for c in comps][: self.dimensions]
        if self.projection == "custom" and self._custom_axes is not None:
            return [float(c) for c in (self._custom_axes @ v)][: self.dimensions]
        return []

    def _label_column(self) -> Column | None:
        if self.label_by:
            return self._column(self.label_by)
        for kind in ("text", "category"):
            for c in self._column_list:
                if c.kind == kind:
                    return c
        return None

    def _labels_for(self, rows: npt.NDArray[np.int64]) -> list[str]:
        col = self._label_column()
        return [col.format(int(i)) if col else f"#{int(i)}" for i in rows]

    def _refresh_neighbors(self) -> None:
        if self.focus < 0:
            if self._neighbors.get("index", -1) >= 0:
                self._neighbors = {}
            return
        idx, dist = self.nearest(self.focus, self.k_neighbors, self.metric)
        self._query_point = {}
        self._neighbors = encoding.encode_neighbors(self.focus, idx, dist, self._labels_for(idx))
        self._refresh_labels()

    @traitlets.validate("focus")
    def _validate_focus(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not -1 <= value < self._n:
            raise IndexError(f"focus {value} is out of range for {self._n} points (-1 for none)")
        return value

    @traitlets.validate("k_neighbors")
    def _validate_k(self, proposal: dict[str, Any]) -> int:
        value = int(proposal["value"])
        if not 1 <= value <= 1000:
            raise ValueError(f"k_neighbors must be between 1 and 1000, got {value}")
        return value

    @traitlets.validate("metric")
    def _validate_metric(self, proposal: dict[str, Any]) -> str:
        return check_metric(proposal["value"])

    @traitlets.observe("focus", "k_neighbors", "metric")
    def _on_focus(self, change: dict[str, Any]) -> None:
        if change["name"] == "focus" or self.focus >= 0:
            self._refresh_neighbors()
        if change["name"] == "focus" and self.focus < 0:
            self._refresh_labels()

    # ------------------------------------------------------------------ labels and editing
    def _column(self, name: str) -> Column:
        for c in self._column_list:
            if c.name == name:
                return c
        raise ValueError(f"there is no metadata column {name!r}; columns are {list(self.columns)}")

    @traitlets.validate("label_by")
    def _validate_label_by(self, proposal: dict[str, Any]) -> str:
        _check_label_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.observe("label_by")
    def _on_label_by(self, _change: dict[str, Any]) -> None:
        self._refresh_labels()

    def _refresh_labels(self) -> None:
        """Send label texts for the rows that may show one."""
        if not self.label_by:
            if self._labels:
                self._labels = {}
            return
        col = self._column(self.label_by)
        if self._n <= ALL_LABELS_MAX:
            rows = np.arange(self._n) if self._subset is None else self._subset
        else:
            parts = [self.selected[:LABEL_ROWS_CAP]]
            if self.focus >= 0:
                parts.append(np.array([self.focus]))
            if self._neighbors:
                parts.append(np.frombuffer(self._neighbors["indices"], "<u4").astype(np.int64))
            rows = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        self._labels = encoding.encode_labels(col.name, rows, [col.format(int(i)) for i in rows])

    def label_selection(self, column: str, value: Any, rows: Any = None) -> int:
        """Set ``column`` to ``value`` for the selected rows (or ``rows``); returns the count.

        A new column name creates a column (empty elsewhere). ``w.metadata`` reflects the edit.
        """
        if not isinstance(column, str) or not column:
            raise ValueError("column must be a non-empty string")
        target = _normalize_selection(self.selected if rows is None else rows, self._n)
        if target.size == 0:
            raise ValueError("no rows to label: select some points first (or pass rows=...)")
        existing = [c for c in self._column_list if c.name == column]
        if existing:
            col = existing[0]
            values = col.values.astype(object) if col.kind != "number" else col.values.copy()
            if col.kind == "number":
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"column {column!r} is numeric; {value!r} is not a number"
                    ) from None
            values[target] = value
        else:
            values = np.full(self._n, None, dtype=object)
            values[target] = value
        new = make_column(column, values, self._n)
        if existing and existing[0].kind == "category" and new.kind == "text":
            new = categorical_column(column, np.asarray(values, dtype=object))
        self._column_list = [new if c.name == column else c for c in self._column_list]
        if not existing:
            self._column_list.append(new)
        with self.hold_sync():
            self._columns = [encoding.encode_column(c) for c in self._column_list]
            if self.color_by and self.color_by not in [
                c.name for c in self._column_list if c.kind in ("category", "number")
            ]:
                self.color_by = ""
        self._refresh_labels()
        return int(target.size)

    @traitlets.observe("selected")
    def _on_selected(self, _change: dict[str, Any]) -> None:
        if self._n > ALL_LABELS_MAX and self.label_by:
            self._refresh_labels()

    # ------------------------------------------------------------------ bookmarks
    def save_bookmark(self, name: str) -> dict[str, Any]:
        """Save the current view under ``name`` (replacing one of the same name); returns it."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a bookmark needs a non-empty name")
        mark = {
            "name": name.strip(),
            "projection": self.projection,
            "projection_params": dict(self.projection_params),
            "dimensions": self.dimensions,
            "spherize": bool(self.spherize),
            "camera": dict(self.camera),
            "color_by": self.color_by,
            "label_by": self.label_by,
            "selected": [int(i) for i in self.selected],
            "focus": int(self.focus),
            "isolated": None if self._subset is None else [int(i) for i in self._subset],
        }
        self._bookmark_store[mark["name"]] = mark
        self.bookmarks = [{"name": k} for k in self._bookmark_store]
        return dict(mark)

    def restore_bookmark(self, name: str) -> None:
        """Restore the view saved as ``name``."""
        if name not in self._bookmark_store:
            raise ValueError(
                f"no bookmark named {name!r}; bookmarks are {list(self._bookmark_store)}"
            )
        mark = self._bookmark_store[name]
        self.stop()
        if mark["isolated"]:
            self._subset = None
            self.isolate(mark["isolated"])
        else:
            self.show_all()
        self._applying = True
        self.spherize = bool(mark["spherize"])
        self._applying = False
        params = dict(mark["projection_params"])
        if mark["projection"] in ("tsne", "umap"):
            params["dims"] = mark["dimensions"]
        self.project(mark["projection"], **params)
        self.dimensions = int(mark["dimensions"])
        with self.hold_sync():
            self.color_by = mark["color_by"]
            self.label_by = mark["label_by"]
            self.selected = mark["selected"]
            self.focus = int(mark["focus"])
            self.camera = dict(mark["camera"])

    def delete_bookmark(self, name: str) -> None:
        """Forget the bookmark ``name``."""
        self._bookmark_store.pop(name, None)
        self.bookmarks = [{"name": k} for k in self._bookmark_store]

    def bookmarks_to_json(self) -> str:
        """All bookmarks as a JSON string (load them with :meth:`load_bookmarks`)."""
        return bm.to_json(list(self._bookmark_store.values()))

    def load_bookmarks(self, text: str) -> None:
        """Add the bookmarks in ``text`` (JSON from :meth:`bookmarks_to_json`)."""
        for mark in bm.from_json(text):
            bad = [i for i in mark["selected"] if not 0 <= i < self._n]
            if bad:
                raise IndexError(
                    f"bookmark {mark['name']!r} selects row {bad[0]}, beyond {self._n} points"
                )
            self._bookmark_store[mark["name"]] = mark
        self.bookmarks = [{"name": k} for k in self._bookmark_store]

    # ------------------------------------------------------------------ files
    @classmethod
    def from_tensorboard(
        cls, logdir: str | os.PathLike[str], tensor_name: str | None = None, **kwargs: Any
    ) -> Projector:
        """A projector of an embedding in a TensorBoard projector log directory.

        Reads ``projector_config.pbtxt`` as TensorBoard does: tensors from checkpoints or
        ``tensor_path`` files, metadata (header row only with several columns), the sprite sheet
        and bookmarks. With several embeddings, ``tensor_name`` picks one (the error lists them).
        """
        from .formats import tensorboard as tb

        loaded = tb.read(logdir, tensor_name)
        kwargs.setdefault("images", loaded.images)
        w = cls(loaded.values, loaded.metadata, **kwargs)
        for mark in loaded.bookmarks:
            if mark["color_by"] not in w.columns:
                mark["color_by"] = w.color_by
            if mark["label_by"] not in w.columns:
                mark["label_by"] = ""
            w._bookmark_store[mark["name"]] = mark
        w.bookmarks = [{"name": k} for k in w._bookmark_store]
        return w

    def to_tensorboard(
        self,
        logdir: str | os.PathLike[str],
        *,
        tensor_name: str = "embedding",
        tensor_format: str = "auto",
    ) -> pathlib.Path:
        """Write a projector log directory TensorBoard shows (tensor, metadata, sprite, config).

        Every path is relative and inside ``logdir``. ``tensor_format`` is 'checkpoint' (needs
        TensorFlow), 'tsv', or 'auto'. Returns the config file's path.
        """
        from .formats import tensorboard as tb

        return tb.write(
            logdir,
            self._matrix.values,
            self._column_list,
            self._images,
            tensor_name=tensor_name,
            tensor_format=tensor_format,
        )

    @classmethod
    def from_tsv(
        cls,
        tensors_tsv: str | os.PathLike[str],
        metadata_tsv: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> Projector:
        """A projector of the two TSV files projector.tensorflow.org loads."""
        from .formats import tsv

        values, meta = tsv.read_tsv_pair(tensors_tsv, metadata_tsv)
        return cls(values, meta, **kwargs)

    def to_tsv(self, folder: str | os.PathLike[str]) -> tuple[pathlib.Path, pathlib.Path | None]:
        """Write ``tensors.tsv`` and ``metadata.tsv`` (tabs/newlines in labels become spaces)."""
        from .formats import tsv

        root = tsv.ensure_dir(folder)
        tsv.write_tensor_tsv(root / "tensors.tsv", self._matrix.values)
        meta = root / "metadata.tsv"
        wrote = tsv.write_metadata_tsv(meta, self._column_list, self._n)
        return root / "tensors.tsv", meta if wrote else None

    @classmethod
    def from_keras(
        cls,
        model_or_layer: Any,
        layer_name: str | None = None,
        vocabulary: Any = None,
        **kwargs: Any,
    ) -> Projector:
        """A projector of a Keras ``Embedding`` layer's weights (or a model's, by layer name).

        ``vocabulary`` (one token per row, e.g. from ``TextVectorization.get_vocabulary()``)
        becomes the metadata.
        """
        from .formats.keras import embedding_weights

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
        return cls(values, meta, **kwargs)

    def to_html(self, *, title: str = "projector-widget") -> str:
        """One self-contained HTML page with this view (opens offline, no kernel needed)."""
        from .formats import html

        return html.page(self, title=title)

    def save_html(
        self, path: str | os.PathLike[str], *, title: str = "projector-widget"
    ) -> pathlib.Path:
        """Write :meth:`to_html` to ``path``; returns the path."""
        out = pathlib.Path(path)
        out.write_text(self.to_html(title=title), encoding="utf-8")
        return out

    # ------------------------------------------------------------------ traits
    @traitlets.validate("dimensions")
    def _validate_dimensions(self, proposal: dict[str, Any]) -> int:
        _check_dimensions(proposal["value"])
        return int(proposal["value"])

    @traitlets.validate("color_by")
    def _validate_color_by(self, proposal: dict[str, Any]) -> str:
        _check_color_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.observe("dimensions")
    def _on_dimensions(self, change: dict[str, Any]) -> None:
        if self._applying or not isinstance(change["old"], int):
            return  # set by Python itself, or the initial value during __init__
        if (
            self.projection in ("tsne", "umap")
            and self.projection_params.get("dims") != change["new"]
        ):
            params = {**self.projection_params, "dims": change["new"]}
            self.project(self.projection, **params)
            return
        with self._lock:
            self._points = self._points_to_send(self._points_value(change["new"], 0))

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the browser; a new selection is acknowledged before anything else.

        The browser holds back its redraw of a large selection until this receipt arrives (the
        message needs the page's main thread to leave it, and a redraw of a million points in
        software GL holds that thread for half a second). Observers run after the receipt.
        """
        if "selected" in sync_data:
            self.send({"type": "selected_ack"})
        super().set_state(sync_data)

    def _on_custom_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "row":
                index = content.get("index")
                if isinstance(index, int) and 0 <= index < self._n:
                    values = [[c.name, c.format(index)] for c in self._column_list]
                    self.send({"type": "row", "index": index, "values": values})
            elif kind == "drawn":
                self._drawn.set()
            elif kind == "points":
                self._send_later_parts(content.get("version"), content.get("start"))
            elif kind == "project":
                self.project(str(content.get("method")), **dict(content.get("params") or {}))
            elif kind == "control":
                action = content.get("action")
                {"pause": self.pause, "resume": self.resume, "stop": self.stop}[action]()
            elif kind == "search":
                hits = self.search(
                    str(content.get("query", "")),
                    content.get("column") or None,
                    regex=bool(content.get("regex")),
                )
                self.send(
                    {"type": "search", "query": content.get("query", ""), "count": int(hits.size)}
                )
            elif kind == "label":
                count = self.label_selection(
                    str(content.get("column", "")), content.get("value", "")
                )
                self.send({"type": "label", "column": content.get("column"), "count": count})
            elif kind == "isolate":
                self.isolate()
            elif kind == "show_all":
                self.show_all()
            elif kind == "bookmark":
                action, name = content.get("action"), str(content.get("name", ""))
                {
                    "save": self.save_bookmark,
                    "restore": self.restore_bookmark,
                    "delete": self.delete_bookmark,
                }[action](name)
            elif kind == "query":
                self.query(str(content.get("text", "")))
        except (ValueError, TypeError, IndexError, KeyError, ImportError) as exc:
            self.send({"type": "error", "message": str(exc)})


def _check_dimensions(value: Any) -> None:
    if value not in (2, 3) or isinstance(value, bool):
        raise ValueError(f"dimensions must be 2 or 3, got {value!r}")


def _default_color_column(columns: list[Column]) -> str:
    for kind in ("category", "number"):
        for c in columns:
            if c.kind == kind:
                return c.name
    return ""


def _check_color_by(name: str, columns: list[Column]) -> None:
    if name == "":
        return
    colorable = [c.name for c in columns if c.kind in ("category", "number")]
    if name not in colorable:
        kinds = {c.name: c.kind for c in columns}
        why = (
            f"column {name!r} holds free text (too many distinct values to colour)"
            if kinds.get(name) == "text"
            else f"there is no metadata column {name!r}"
        )
        raise ValueError(
            f"cannot colour by {name!r}: {why}; choose one of {colorable} or '' for none"
        )


def _pca_coords(result: PCAResult, comps: list[int], dims: int) -> npt.NDArray[np.float32]:
    """Columns ``comps`` of the PCA scores (zeros where fewer components exist)."""
    n, k = result.coords.shape
    out = np.zeros((n, dims), np.float32)
    for j, c in enumerate(comps[:dims]):
        if c < k:
            out[:, j] = result.coords[:, c]
    return out


def _pad3(layout: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    layout = np.asarray(layout, np.float32)
    if layout.shape[1] >= 3:
        return layout
    return np.hstack([layout, np.zeros((layout.shape[0], 3 - layout.shape[1]), np.float32)])


def _layout_key(method: str, params: dict[str, Any], spherize: bool, subset: Any) -> str:
    sub = "all" if subset is None else str(hash(subset.tobytes()))
    return f"{method}|{sorted(params.items())}|{spherize}|{sub}"


def _progress_value(method: str, state: str, message: str = "") -> dict[str, Any]:
    return {
        "method": method,
        "state": state,
        "iteration": 0,
        "total": 0,
        "eta_s": None,
        "message": message,
    }


def _check_label_by(name: str, columns: list[Column]) -> None:
    if name and name not in [c.name for c in columns]:
        raise ValueError(
            f"cannot label by {name!r}: there is no such column; choose one of "
            f"{[c.name for c in columns]} or '' for none"
        )
