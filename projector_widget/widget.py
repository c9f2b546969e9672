"""The anywidget class: synced traits and the public Python API.

Each public method delegates in a few lines to a collaborator that never imports the widget:
``session.ProjectionSession`` (rows, caches, PCA refinement, jobs), ``neighbors.NeighbourSearch``
(kNN with its norms, sketch and indexes), ``labels`` (which rows get label texts),
``bookmarks.BookmarkStore``, ``parts.PointsOutbox`` (points sent in parts) and ``protocol``
(every custom message, answered through one handler table). The widget itself keeps the
traits consistent: a change made by the kernel for several traits at once is one transaction
(:meth:`Projector._kernel_change`), during which the traits' observers do not recompute.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pathlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import numpy.typing as npt
import traitlets

from projector_widget import backends
from projector_widget.compute import overview, projections
from projector_widget.compute.ann import ApproximateIndex
from projector_widget.compute.backend import LAYOUT_SAMPLE_ROWS, Backend
from projector_widget.compute.neighbours import K_MAX, check_metric
from projector_widget.compute.overview.index import (
    LazySelection,
    OverviewIndex,
    RowBits,
    category_codes,
    selected_flags,
)
from projector_widget.compute.projections import Layout, PCAResult
from projector_widget.compute.search import search as search_columns
from projector_widget.data.columns import (
    Column,
    check_chart,
    check_color_by,
    check_label_by,
    check_size_by,
    colorable,
    columns_as_table,
    default_color_column,
    make_column,
    numeric,
    set_values,
)
from projector_widget.data.images import as_images, build_atlas
from projector_widget.data.inputs import check_dimensions
from projector_widget.parts import labels
from projector_widget.parts.bookmarks import BookmarkStore
from projector_widget.parts.bookmarks import from_json as bookmarks_from_json
from projector_widget.parts.projection import ProjectionSession, progress_value
from projector_widget.parts.timeline import Timeline, build_timeline
from projector_widget.sync import appearance, bundle, protocol
from projector_widget.sync import wire as encoding
from projector_widget.sync.outbox import PointsOutbox
from projector_widget.sync.traits import check_camera, check_number, normalize_selection, selection
from projector_widget.util.jobs import Job, OneAtATime, Work

if TYPE_CHECKING:
    from projector_widget.compute.explain.quality import QualityReport
    from projector_widget.dask.ann import ChunkedIndex
    from projector_widget.parts.explain import NamedClusters
    from projector_widget.util.progress import Reporter


class Projector(anywidget.AnyWidget):
    """An embedding projector in a notebook cell.

    Parameters
    ----------
    embeddings:
        (N, D) array-like of numbers: NumPy, nested lists, TensorFlow/PyTorch tensors, pandas;
        or a Dask or Zarr array larger than memory, computed on the active ``distributed``
        cluster (README, "Larger than memory").
    metadata:
        One label per row, a dict of equal-length columns, or a pandas DataFrame; optional.
    color_by:
        Column to colour by; by default the first categorical column.
    label_by:
        Column whose values label points in the plot ('' for none).
    dimensions:
        2 or 3: the initial view (the UI switches between them); by default 3, and 2 (the only
        choice) in overview mode.
    height:
        Height of the widget in pixels; the width fills the cell.
    point_size:
        Point diameter in pixels; 0 chooses one from the number of points.
    color_map:
        Colour map of numeric columns, by its d3-scale-chromatic / matplotlib name in any case:
        'viridis' (default), 'magma', 'inferno', 'plasma', 'cividis', 'turbo', 'blues',
        'rdbu', 'spectral', ... (``appearance.COLOR_MAPS``); '_r' appended reverses it.
    palette:
        Colours of categorical columns: 'projector20' (default: 20 distinct colours),
        'tableau10', 'category10' (matplotlib's tab10), 'set1', 'set2', 'set3', 'paired',
        'dark2', 'accent', 'pastel1', 'pastel2', ... (``appearance.PALETTES``). Categories
        beyond its colours are grouped as "other".
    opacity:
        Opacity of the points, above 0 and at most 1 (opaque, the default). Selected,
        focused and hovered points stay opaque.
    size_by:
        Numeric column the point sizes follow ('' for one size): from ``size_range[0]`` times
        the point size at the column's minimum to ``size_range[1]`` times at its maximum,
        linearly; missing values get the point size itself.
    size_range:
        (at the minimum, at the maximum) as multiples of the point size; (0.5, 2.5) by default.
    selected:
        Initially selected row indices.
    images:
        Optional (N, H, W) or (N, H, W, C) thumbnails, uint8 or float, drawn as sprites.
    encoder:
        Optional ``fn(list[str]) -> array`` embedding text queries in the same space, for
        semantic search from the UI or :meth:`query`.
    layout_sample:
        For embeddings that stay on a cluster (a Dask or Zarr array): the rows t-SNE and UMAP
        are fitted on; the model places the others, chunk by chunk on the workers.
    overview_above:
        Above this many rows the first view is a density overview (``_overview``): counts per
        category on a grid, then the points of the visible region as tiles of a quadtree while
        zooming in, so what the browser holds stays bounded; the view is 2-D, a lasso selects
        rows here, and ``selected`` above ``overview.SELECTED_MAX`` rows is a
        :class:`~projector_widget.compute.overview.LazySelection`. Its index takes 21 bytes a row, in
        the kernel (beside the layout's 12) or, for a Dask or Zarr array, on the workers.
    copy:
        Whether to keep a copy of ``embeddings``. By default a float32 C-contiguous NumPy array
        is used in place (no second copy of a large matrix) and marked read-only, so changing
        it later raises instead of making answers stale; ``copy=True`` keeps your array
        writable at the cost of a copy (see :func:`projector_widget.data.inputs.as_matrix`).

    Examples
    --------
    >>> w = Projector(embeddings, {"label": labels})  # doctest: +SKIP
    >>> w.selected = [3, 17, 42]                        # doctest: +SKIP
    >>> w.color_map, w.opacity = "magma_r", 0.5         # doctest: +SKIP
    >>> w.project("tsne", perplexity=20)                # doctest: +SKIP
    """

    _esm = bundle.ESM if bundle.ESM.exists() else "export default {};"
    _css = bundle.CSS if bundle.CSS.exists() else ""

    _spec = traitlets.Dict().tag(sync=True)
    _points = traitlets.Dict().tag(sync=True)
    #: The rows a ``_points`` sent in parts does not carry, once the browser asked (encoding.py).
    _points_rest = traitlets.Dict().tag(sync=True)
    _columns: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    color_by = traitlets.Unicode("").tag(sync=True)
    label_by = traitlets.Unicode("").tag(sync=True)
    selected = selection()
    dimensions = traitlets.Int(3).tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)
    point_size = traitlets.Float(0.0).tag(sync=True)
    #: Colour map of numeric columns (see the class docstring; checked by appearance.py).
    color_map = appearance.Setting(appearance.DEFAULT_COLOR_MAP).tag(sync=True)
    #: Colours of categorical columns.
    palette = appearance.Setting(appearance.DEFAULT_PALETTE).tag(sync=True)
    #: Opacity of the points, in (0, 1].
    opacity = appearance.Setting(appearance.DEFAULT_OPACITY).tag(sync=True)
    #: Numeric column the point sizes follow ('' for one size).
    size_by = appearance.Setting("").tag(sync=True)
    #: Sizes at the ``size_by`` column's minimum and maximum, as multiples of the point size.
    size_range = appearance.Setting(appearance.DEFAULT_SIZE_RANGE).tag(sync=True)
    #: The current projection: one of ``projections.METHODS`` ('pca', 'tsne', 'umap', 'custom').
    projection = traitlets.Unicode("pca").tag(sync=True)
    #: The parameters of the current projection (read-only; use :meth:`project` to change).
    projection_params = traitlets.Dict().tag(sync=True)
    spherize = traitlets.Bool(False).tag(sync=True)
    focus = traitlets.Int(-1).tag(sync=True)
    k_neighbors = traitlets.Int(10).tag(sync=True)
    metric = traitlets.Unicode("cosine").tag(sync=True)
    show_images = traitlets.Bool(False).tag(sync=True)
    camera = traitlets.Dict().tag(sync=True)
    bookmarks: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    _pca_variance: traitlets.List[float] = traitlets.List().tag(sync=True)
    _progress = traitlets.Dict().tag(sync=True)
    _labels = traitlets.Dict().tag(sync=True)
    _neighbors = traitlets.Dict().tag(sync=True)
    _query_point = traitlets.Dict().tag(sync=True)
    _has_encoder = traitlets.Bool(False).tag(sync=True)
    _isolated = traitlets.Bool(False).tag(sync=True)
    _sprites = traitlets.Dict().tag(sync=True)
    #: The category or number column the cross-filter chart shows ('' hides it).
    chart = traitlets.Unicode("").tag(sync=True)
    #: The step of a sequence shown (:meth:`sequence`), 0..steps-1; 0 otherwise.
    step = traitlets.Int(0).tag(sync=True)
    #: A sequence's aligned layouts (``encoding.encode_timeline``); {} otherwise.
    _timeline = traitlets.Dict().tag(sync=True)
    #: Whether the view shows the sequence's own layouts (the browser then steps through
    #: _timeline itself); the kernel decides, the browser only reads it.
    _timeline_active = traitlets.Bool(False).tag(sync=True)
    #: Draw the names of the clusters :meth:`cluster` found (by zoom level) on the map.
    show_clusters = traitlets.Bool(False).tag(sync=True)
    #: Draw density contours under the points (2-D views; computed in the browser).
    show_density = traitlets.Bool(False).tag(sync=True)
    #: The cluster levels for the labels (explain.find_named_clusters); {} before any.
    _clusters = traitlets.Dict().tag(sync=True)
    #: The scores of the last :meth:`layout_quality` (explain.quality_payload); {} before any.
    _quality = traitlets.Dict().tag(sync=True)
    #: The density overview (encoding.encode_overview) in overview mode; {} otherwise.
    _overview = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        embeddings: Any,
        metadata: Any = None,
        *,
        color_by: str | None = None,
        label_by: str = "",
        dimensions: int | None = None,
        height: int = 560,
        point_size: float = 0.0,
        color_map: str = appearance.DEFAULT_COLOR_MAP,
        palette: str = appearance.DEFAULT_PALETTE,
        opacity: float = appearance.DEFAULT_OPACITY,
        size_by: str = "",
        size_range: tuple[float, float] = appearance.DEFAULT_SIZE_RANGE,
        selected: Any = None,
        images: Any = None,
        encoder: Callable[[list[str]], Any] | None = None,
        copy: bool | None = None,
        layout_sample: int = LAYOUT_SAMPLE_ROWS,
        overview_above: int = overview.OVERVIEW_ABOVE,
        _sequence: Timeline | None = None,
        **kwargs: Any,
    ) -> None:
        bundle.require_bundle()
        # _sequence: the steps :meth:`sequence` validated and laid out (its first step's
        # matrix and PCA are used as they are, and the first points sent are its layout).
        backend: Backend
        if _sequence is not None:
            backend = _sequence.backend(0)
        else:
            backend = backends.open_embeddings(embeddings, copy=copy, layout_sample=layout_sample)
        matrix = backend
        columns = backends.open_metadata(metadata, backend.n)
        if encoder is not None and not callable(encoder):
            raise TypeError("encoder must be a function list[str] -> array of embeddings")
        dimensions = self._choose_mode(matrix.n, overview_above, dimensions)
        if color_by is None:
            color_by = default_color_column(columns)
        check_color_by(color_by, columns)
        check_label_by(label_by, columns)
        check_size_by(size_by, columns)
        looks = {
            "color_map": appearance.check_color_map(color_map),
            "palette": appearance.check_palette(palette),
            "opacity": appearance.check_opacity(opacity),
            "size_range": appearance.check_size_range(size_range),
        }
        self._n = matrix.n
        self._backend = backend
        self._column_list: list[Column] = columns
        #: Columns the widget made (cluster(), layout_quality()): the only ones it replaces.
        self._made_columns: set[str] = set()
        self._encoder = encoder
        self._images: npt.NDArray[np.uint8] | None = None
        sprites: dict[str, Any] = {}
        if images is not None:
            self._images = as_images(images, self._n)
            sprites = build_atlas(self._images)
        self._applying = 0  # > 0 while the kernel changes several traits as one transaction
        self._steps: Timeline | None = _sequence  # the steps of a sequence (see sequence())
        self._bookmark_store = BookmarkStore()
        self._outbox = PointsOutbox()
        self._points_lock = threading.Lock()  # _points and its _points_rest change together
        self._neighbour_search = backend.searcher()
        self._session = ProjectionSession(
            backend,
            lambda: self._column_list,
            on_coords=self._on_coords,
            on_progress=self._set_progress,
            on_refined=self._on_pca_refined,
        )
        self._handlers = self._message_handlers()
        self._clustered: npt.NDArray[np.float32] | None = None  # the layout _clusters is of
        self._measured: npt.NDArray[np.float32] | None = None  # the layout _quality is of
        #: Clustering and layout quality: one at a time, in a thread when the panel asks.
        self._explaining = OneAtATime(
            self._session.task,
            lambda exc: self.send(protocol.error_reply(protocol.error_text(exc))),
        )
        first = self._session.start(None if _sequence is None else _sequence.pcas[0])
        overview_value = self._build_overview(first, color_by) if self._overview_mode else {}
        self._applying = 1  # the initial values are set by the kernel: no observer recomputes
        super().__init__(
            _spec=protocol.spec(),
            _columns=self._encode_columns(columns),
            _overview=overview_value,
            _points=self._outbox.prepare(self._points_value(first, dimensions, 0), in_parts=True),
            _pca_variance=self._session.variance(),
            projection=self._session.method,
            projection_params=dict(self._session.params),
            color_by=color_by,
            label_by=label_by,
            dimensions=dimensions,
            height=height,
            point_size=point_size,
            size_by=size_by,
            **looks,
            _has_encoder=encoder is not None,
            _sprites=sprites,
            show_images=bool(sprites),
            _progress=progress_value("pca", "done"),
            _timeline={}
            if _sequence is None
            else encoding.encode_timeline(_sequence.layouts, _sequence.names),
            _timeline_active=_sequence is not None,
            **kwargs,
        )
        self._applying = 0
        if selected is not None:
            self.selected = selected
        self._refresh_labels()
        self.on_msg(self._on_msg)
        #: Set once the initial PCA is final (at once for up to 60,000 rows; on larger inputs
        #: when the PCA of every row has replaced the first one, computed from a sample).
        self.pca_refined: threading.Event = self._session.refined

    def __repr__(self) -> str:
        """What a terminal or a frontend without widgets shows: size, projection, selection."""
        params = ", ".join(f"{k}={v!r}" for k, v in self.projection_params.items())
        subset = self._session.subset
        shown = "" if subset is None else f", {subset.size:,} isolated"
        return (
            f"<Projector: {self._n:,} points x {self._backend.dims} dims, "
            f"{self.projection}({params}) in {self.dimensions}-D, "
            f"{len(self.selected):,} selected{shown}, columns {list(self.columns)}>"
        )

    # ------------------------------------------------------------------ read-only views
    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._n

    @property
    def embeddings(self) -> Any:
        """The validated (N, D) float32 embeddings kept in the kernel (the Dask array itself
        when they stay on a cluster: never a copy in the kernel)."""
        return self._backend.source

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
        with self._session.lock:
            return self._shown_coords(self._session.coords)[:, : self.dimensions].copy()

    @property
    def explained_variance_ratio(self) -> npt.NDArray[np.float64]:
        """Fraction of the total variance along each principal component (of the current rows)."""
        return self._session.pca_result().explained_variance_ratio

    @property
    def isolated(self) -> npt.NDArray[np.int64] | None:
        """The rows shown while a selection is isolated, or None when every row is shown."""
        subset = self._session.subset
        return None if subset is None else subset.copy()

    @property
    def job(self) -> Job | None:
        """The running (or last) background projection job, if any."""
        return self._session.job

    # ------------------------------------------------------------------ projections
    def project(
        self, method: str | None = None, *, wait: bool = False, **params: Any
    ) -> Job | None:
        """Compute a projection and show it, animating from the current layout.

        ``method`` is 'pca' (``components=[i, j, k]``: which of the first 10 principal
        components go on X, Y, Z), 'tsne' (``perplexity``, ``learning_rate``, ``n_iter``,
        ``seed``, ``dims``, ``n_jobs``), 'umap' (``n_neighbors``, ``min_dist``, ``metric``,
        ``seed`` (None: every core), ``dims``) or 'custom' (``x=(left, right)``,
        ``y=(left, right)``, ``column``, ``regex``). t-SNE and UMAP run in a background thread
        and report their phases (t-SNE also streams intermediate layouts) to the widget's
        status, or to a tqdm bar while no view is displayed; they return the
        :class:`~projector_widget.util.jobs.Job`
        (``wait=True`` blocks until done). Returns None for the instant methods. Invalid
        parameters raise ValueError and change nothing.
        """
        plan = self._session.prepare(method or self.projection, params)
        if plan.method.iterative:
            self._check_overview_dims(int(plan.params["dims"]))
        with self._kernel_change():
            self.projection = plan.method.name
            self.projection_params = plan.params
            if plan.method.iterative:
                self.dimensions = plan.params["dims"]
            job = self._session.show(plan)
            if plan.method.name == "pca":
                self._pca_variance = self._session.variance()
        if job is not None and wait:
            job.wait()
        return job

    def pca(self, components: tuple[int, ...] | list[int] = (0, 1, 2)) -> None:
        """Show the PCA: ``components`` are the principal components on X, Y (and Z), 0-9."""
        self.project("pca", components=list(components))

    def tsne(
        self,
        *,
        perplexity: float = 30.0,
        learning_rate: float | str = "auto",
        n_iter: int = 500,
        seed: int = 0,
        dims: int = 2,
        n_jobs: int = -1,
        wait: bool = False,
        **aliases: Any,
    ) -> Job | None:
        """Run t-SNE (openTSNE) in the background, streaming its layout; returns the job.

        ``perplexity`` from 1, ``learning_rate`` positive or 'auto', ``n_iter`` optimisation
        steps after the early exaggeration phase, ``dims`` 2 or 3, ``n_jobs`` threads (-1:
        every core) for the neighbour search and the gradients; the layout is the same for a
        seed whatever ``n_jobs``. Its phases (affinities: k-NN index, k-NN search,
        perplexities; then the optimisation) show in the widget's status. scikit-learn's names
        work too: ``random_state`` (seed), ``n_components`` (dims), ``max_iter`` (n_iter).
        """
        params = {"perplexity": perplexity, "learning_rate": learning_rate, "n_iter": n_iter}
        params.update(seed=seed, dims=dims, n_jobs=n_jobs)
        return self.project("tsne", wait=wait, **_overridden(params, aliases, "tsne"))

    def umap(
        self,
        *,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        metric: str = "euclidean",
        seed: int | None = 0,
        dims: int = 2,
        wait: bool = False,
        **aliases: Any,
    ) -> Job | None:
        """Run UMAP (umap-learn) in the background, reporting its phases; returns the job.

        ``metric`` is 'euclidean', 'cosine', 'manhattan' or 'correlation'. A seed (the
        default, 0) makes the layout reproducible but runs it on **one core** (umap-learn's
        rule); ``seed=None`` runs on every core, with a layout that differs from run to run.
        The phases (neighbour graph, initial layout, epochs) show in the widget's status.
        umap-learn's names work too: ``random_state`` (seed), ``n_components`` (dims).
        """
        params = {"n_neighbors": n_neighbors, "min_dist": min_dist, "metric": metric}
        params.update(seed=seed, dims=dims)
        return self.project("umap", wait=wait, **_overridden(params, aliases, "umap"))

    def custom(
        self,
        x: tuple[str, str],
        y: tuple[str, str] | None = None,
        *,
        column: str | None = None,
        regex: bool = False,
    ) -> None:
        """Show a custom linear projection: X from the rows matching ``x[0]`` to those matching
        ``x[1]`` (Y likewise, else the leading principal direction); see :meth:`project`."""
        self.project("custom", x=x, y=y, column=column, regex=regex)

    def pause(self) -> None:
        """Pause the running t-SNE/UMAP job."""
        if self._session.job is not None:
            self._session.job.pause()

    def resume(self) -> None:
        """Resume a paused job."""
        if self._session.job is not None:
            self._session.job.resume()

    def stop(self) -> None:
        """Stop the running job, keeping the layout reached so far."""
        self._session.stop()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running projection job finishes (re-raising its error)."""
        if self._session.job is not None:
            self._session.job.wait(timeout)

    def _rerun(self) -> None:
        """Recompute the current projection with its parameters on the current rows."""
        params = dict(self.projection_params)
        if projections.get(self.projection).iterative:
            params["dims"] = self.dimensions
        try:
            self.project(self.projection, **params)
        except ValueError:  # e.g. a custom axis whose rows are no longer shown
            self.project("pca")

    # ------------------------------------------------------------------ explaining the map
    def cluster(
        self, column: str | None = None, min_size: int | None = None, *, into: str = "cluster"
    ) -> Any:
        """Find clusters in the current layout and name them; returns a pandas DataFrame.

        HDBSCAN (scikit-learn) on :attr:`coordinates` (2-D or 3-D; the isolated rows only while
        a selection is isolated), at three nested levels of detail for the labels
        ``show_clusters`` draws; the table and the ``cluster`` metadata column (noise missing)
        are the finest level, clusters of at least ``min_size`` points (default about
        sqrt(N) / 2). Each is named from ``column``: a text column by class-based TF-IDF
        keywords, a categorical one by its most common value; by default the ``label_by``
        column, else the first text column, else the first categorical one, else "cluster k".
        Columns: ``cluster``, ``label``, ``size``, ``terms``, ``weights``, ``position`` (the
        medoid's coordinates) and ``row`` (the medoid's row). When the layout changes
        afterwards the labels keep following their rows but are marked stale: call this again.
        The labels go into the categorical metadata column ``into`` (default ``cluster``); a
        column of that name the widget made is replaced, one of yours raises ValueError (pass
        another ``into``). Runs in the calling thread, after the panel's Find clusters or Check
        layout if one is running; its phases show in the widget's status. Needs the explain
        extra (``pip install "projector-widget[explain]"``).
        """
        found = self._explaining.run(
            "finding clusters", lambda: self._clusters_work(column, min_size, into)
        )
        return found.table

    def _clusters_work(
        self, column: str | None, min_size: int | None, into: str, *, show: bool = False
    ) -> Work[NamedClusters]:
        """:meth:`cluster` of the layout as it is now, checked before any work; with ``show``
        the names are switched on when they land."""
        from projector_widget.parts.explain import find_named_clusters, naming_column

        self._check_made_name(into, "cluster")
        naming_column(self._column_list, column, self.label_by, skip=into)  # a bad column: now
        layout, columns, label_by = self.coordinates, self._column_list, self.label_by
        rows, version = self._session.subset, int(self._clusters.get("version", 0)) + 1

        def compute(progress: Reporter) -> NamedClusters:
            return find_named_clusters(
                layout,
                columns,
                column=column,
                label_by=label_by,
                min_size=min_size,
                rows=rows,
                version=version,
                output=into,
                progress=progress,
            )

        def land(found: NamedClusters) -> None:
            self._put_made_column(found.column, "cluster")
            with self._session.lock:  # no new layout between the result and its stale check
                self._clustered = layout
                self._clusters = found.payload
                self._mark_stale(self._session.coords)
            if show:
                self.show_clusters = True

        return Work(compute, land)

    def layout_quality(
        self, k: int = 10, metric: str = "euclidean", *, into: str = "neighbours kept"
    ) -> Any:
        """How far the current layout can be trusted: a :class:`~projector_widget.compute.explain.quality.QualityReport`.

        Trustworthiness and continuity of :attr:`coordinates` against the embeddings
        (``metric`` in the original space; the same values as
        ``sklearn.manifold.trustworthiness(embeddings, coordinates, n_neighbors=k)``), and per
        row the fraction of its ``k`` nearest neighbours that the layout keeps among its own
        ``k`` nearest, set as the numeric column ``neighbours kept`` to colour by (missing for
        rows not shown; ``into`` names another column: one of yours of that name is never
        replaced, it raises ValueError). Exact up to 200,000 rows (100,000 x 64 takes about 30 s on
        two cores), a sampled estimate above. The scores also show in the panel's
        Map section. Runs in the calling thread, after the panel's Find clusters or Check layout
        if one is running; its phases show in the widget's status (a tqdm bar while no view is
        displayed).
        """
        report, _kept = self._explaining.run(
            "checking the layout", lambda: self._quality_work(k, metric, into)
        )
        return report

    def _quality_work(
        self, k: int, metric: str, into: str, *, show: bool = False
    ) -> Work[tuple[QualityReport, npt.NDArray[np.float32]]]:
        """:meth:`layout_quality` of the layout as it is now; with ``show`` the map is coloured
        by the neighbours kept when they land."""
        from projector_widget.parts.explain import kept_color_map, quality_on_rows, quality_payload

        self._check_made_name(into, "layout_quality")
        high = self._backend.memory("layout_quality (Check layout)").values
        layout, rows = self.coordinates, self._session.subset
        version = int(self._quality.get("version", 0)) + 1

        def compute(progress: Reporter) -> tuple[QualityReport, npt.NDArray[np.float32]]:
            return quality_on_rows(high, layout, k, metric, rows, progress=progress)

        def land(result: tuple[QualityReport, npt.NDArray[np.float32]]) -> None:
            report, kept = result
            values = [None if np.isnan(v) else float(v) for v in kept]
            self._put_made_column(make_column(into, values, self._n), "layout_quality")
            with self._session.lock:  # no new layout between the result and its stale check
                self._measured = layout
                self._quality = quality_payload(report, into, version)
                self._mark_stale(self._session.coords)
            if show:
                with self.hold_sync():
                    self.color_by = into
                    self.color_map = kept_color_map(self.color_map)

        return Work(compute, land)

    def _mark_stale(self, coords: npt.NDArray[np.float32]) -> None:
        """The layout changed since :meth:`cluster` or :meth:`layout_quality`: say so (once)
        in ``_clusters`` and ``_quality``."""
        now: npt.NDArray[np.float32] | None = None
        for name, done in (("_clusters", self._clustered), ("_quality", self._measured)):
            value = getattr(self, name)
            if done is None or value.get("stale", True):
                continue
            if now is None:
                now = self._shown_coords(coords)[:, : self.dimensions]
            if now.shape != done.shape or not np.array_equal(now, done):
                setattr(self, name, {**value, "stale": True})

    # ------------------------------------------------------------------ isolation
    def isolate(self, rows: Any = None) -> None:
        """Show only ``rows`` (default: the selection); projections then run on that subset."""
        chosen = self._selected_indices() if rows is None else rows
        subset = normalize_selection(chosen, self._n)
        if subset.size == 0:
            raise ValueError("nothing to isolate: select some points first (or pass rows=...)")
        self._session.isolate(subset)
        self._isolated = True
        self._pca_variance = self._session.variance()
        self._refresh_neighbors()
        self._refresh_labels()  # only shown rows are labelled

    def show_all(self) -> None:
        """Undo :meth:`isolate`: show every row again, in the layout they had before."""
        if self._session.subset is None:
            return
        saved = self._session.show_all()
        self._isolated = False
        self._pca_variance = self._session.variance()
        if saved is not None:
            with self._kernel_change():
                self.spherize = saved.spherize
                self.projection = saved.method
                self.projection_params = saved.params
        else:
            self._rerun()
        self._refresh_neighbors()
        self._refresh_labels()

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
        if self._session.subset is not None:
            hits = np.intersect1d(hits, self._session.subset)
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
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be a row index (an int), got {index!r}")
        return self._neighbour_search.query(
            int(index), k, metric, candidates=self._session.subset, exact=exact
        )

    def build_index(
        self, metric: str | None = None, **options: Any
    ) -> ApproximateIndex | ChunkedIndex:
        """Build an approximate neighbour index for ``metric`` (default: the widget's ``metric``).

        For sets where an exact query is too slow (it reads every row: ~100 ms at 1M x 768).
        From then on :meth:`nearest`, :meth:`query` and the inspector use the index for that
        metric; the rows returned may miss a true neighbour, their distances are exact. Needs
        faiss (``pip install "projector-widget[ann]"``); ``options`` (``nlist``, ``nprobe``,
        ``rerank``, ``seed``) go to :class:`projector_widget.compute.ann.ApproximateIndex`. At
        1M x 768 it takes about 12 s on two cores and keeps 0.8 GB (one byte per value); its
        phases (training, then chunks of rows) show in the widget's status, or in a tqdm bar
        while no view is displayed. For a Dask array the index is built from its chunks and
        kept on the cluster (:class:`projector_widget.dask.ann.ChunkedIndex`, which also
        takes ``shards``; needs ``pip install "projector-widget[dask,ann]"``).
        """
        m = check_metric(self.metric if metric is None else metric)
        with self._session.task() as report:
            index = self._neighbour_search.build_index(m, progress=report, **options)
        if self.focus >= 0 and m == self.metric:
            self._refresh_neighbors()
        return index

    def query(
        self, text: str, k: int | None = None
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Embed ``text`` with the ``encoder`` and show its nearest neighbours (and position)."""
        if self._encoder is None:
            raise ValueError("no encoder: pass Projector(..., encoder=fn) to search by meaning")
        vec = np.asarray(self._encoder([text]), dtype=np.float32)
        if vec.ndim == 2 and vec.shape[0] == 1:
            vec = vec[0]
        if vec.ndim != 1 or vec.shape[0] != self._backend.dims:
            raise ValueError(
                f"the encoder returned shape {np.shape(vec)}; expected one vector of "
                f"{self._backend.dims} dimensions like the embeddings"
            )
        if not np.all(np.isfinite(vec)):
            raise ValueError(f"the encoder returned NaN or infinite values for {text!r}")
        idx, dist = self._neighbour_search.query(
            vec, k or self.k_neighbors, self.metric, candidates=self._session.subset
        )
        self.focus = -1
        self._neighbors = encoding.encode_neighbors(-1, idx, dist, self._row_names(idx), query=text)
        if self._steps is not None and self._sequence_view():  # where the step shows it
            where = self._steps.locate(self.step, vec)[: self.dimensions].tolist()
        else:
            where = self._session.locate(vec, self.dimensions)
        self._query_point = {"text": text, "coords": where}
        self._refresh_labels()
        return idx, dist

    def _row_names(self, rows: npt.NDArray[np.int64]) -> list[str]:
        column = labels.naming_column(self._column_list, self.label_by)
        return labels.row_names(column, rows)

    def _refresh_neighbors(self) -> None:
        if self.focus < 0:
            if self._neighbors.get("index", -1) >= 0:
                self._neighbors = {}
            return
        idx, dist = self.nearest(self.focus, self.k_neighbors, self.metric)
        self._query_point = {}
        self._neighbors = encoding.encode_neighbors(self.focus, idx, dist, self._row_names(idx))
        self._refresh_labels()

    # ------------------------------------------------------------------ labels and editing
    def _refresh_labels(self) -> None:
        """Send label texts for the rows that may show one."""
        if not self.label_by:
            if self._labels:
                self._labels = {}
            return
        col = self._column(self.label_by)
        neighbours = (
            np.frombuffer(self._neighbors["indices"], "<u4").astype(np.int64)
            if self._neighbors
            else np.zeros(0, np.int64)
        )
        rows = labels.label_rows(
            self._n,
            shown=self._session.subset,
            selected=self._selected_indices(compute=False),
            focus=self.focus,
            neighbours=neighbours,
        )
        self._labels = encoding.encode_labels(col.name, rows, [col.format(int(i)) for i in rows])

    def _column(self, name: str) -> Column:
        for c in self._column_list:
            if c.name == name:
                return c
        raise ValueError(f"there is no metadata column {name!r}; columns are {list(self.columns)}")

    def label_selection(self, column: str, value: Any, rows: Any = None) -> int:
        """Set ``column`` to ``value`` for the selected rows (or ``rows``); returns the count.

        A new column name creates a column (empty elsewhere). ``w.metadata`` reflects the edit.
        """
        if not isinstance(column, str) or not column:
            raise ValueError("column must be a non-empty string")
        target = normalize_selection(self._selected_indices() if rows is None else rows, self._n)
        if target.size == 0:
            raise ValueError("no rows to label: select some points first (or pass rows=...)")
        self._replace_columns(set_values(self._column_list, column, value, target, self._n))
        return int(target.size)

    def set_column(self, name: str, values: Any) -> None:
        """Add metadata column ``name`` (one value per row), or replace the column of that name.

        The values are typed as the constructor types metadata (category, number or text);
        ``None``/NaN are missing. ``w.metadata`` and the view's colour and search follow.
        """
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        new = make_column(name, values, self._n)
        self._made_columns.discard(name)  # yours now: cluster() and the like leave it alone
        self._put_column(new)

    def _check_made_name(self, name: object, method: str) -> None:
        """Raise unless ``name`` may receive ``method``'s output: a free name, or a column the
        widget itself made (a metadata column of the user's is never overwritten)."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"into must be a non-empty column name, got {name!r}")
        if name in self._made_columns or all(c.name != name for c in self._column_list):
            return
        raise ValueError(
            f"the metadata already has a column {name!r} of yours, which {method}() would "
            f"overwrite; pass into='another name' to {method}() to keep both, or remove or "
            "rename your column first"
        )

    def _put_made_column(self, column: Column, method: str) -> None:
        """Add or replace ``column``, one the widget computed (see :meth:`_check_made_name`)."""
        self._check_made_name(column.name, method)
        self._made_columns.add(column.name)
        self._put_column(column)

    def _put_column(self, new: Column) -> None:
        out = [new if c.name == new.name else c for c in self._column_list]
        if not any(c.name == new.name for c in self._column_list):
            out.append(new)
        self._replace_columns(out)

    def _replace_columns(self, columns: list[Column]) -> None:
        """Show ``columns`` as the metadata; a colour or size column that no longer fits is reset."""
        self._column_list = columns
        with self.hold_sync():
            self._columns = self._encode_columns(self._column_list)
            if self.color_by and self.color_by not in colorable(self._column_list):
                self.color_by = ""
            if self.size_by and self.size_by not in numeric(self._column_list):
                self.size_by = ""
            if self.chart and self.chart not in colorable(self._column_list):
                self.chart = ""
        self._recolor_overview()
        self._refresh_labels()

    # ------------------------------------------------------------------ bookmarks
    def save_bookmark(self, name: str) -> dict[str, Any]:
        """Save the current view under ``name`` (replacing one of the same name); returns it."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a bookmark needs a non-empty name")
        subset = self._session.subset
        mark = {
            "name": name.strip(),
            "projection": self.projection,
            "projection_params": dict(self.projection_params),
            "dimensions": self.dimensions,
            "spherize": bool(self.spherize),
            "camera": dict(self.camera),
            "color_by": self.color_by,
            "label_by": self.label_by,
            # A lazy selection (overview mode) is not saved: its rows would not fit a bookmark.
            "selected": [int(i) for i in self._selected_indices(compute=False)],
            "focus": int(self.focus),
            "isolated": None if subset is None else [int(i) for i in subset],
        }
        self._bookmark_store.put(mark)
        self._sync_bookmarks()
        return dict(mark)

    def restore_bookmark(self, name: str) -> None:
        """Restore the view saved as ``name``: one transaction that runs one projection.

        Everything is checked first (columns, camera, rows, the projection computed on the
        bookmark's rows); when anything fails, nothing changes.
        """
        mark = self._bookmark_store.get(name)
        session = self._session
        view = self._checked_mark(mark)
        rows = (view["spherize"], view["subset"])
        params = dict(mark["projection_params"])
        if projections.get(mark["projection"]).iterative:
            params["dims"] = view["dimensions"]
        plan = session.prepare(mark["projection"], params, rows)
        session.set_rows(spherize=rows[0], subset=rows[1])
        with self._kernel_change(), self.hold_sync():
            self.spherize = view["spherize"]
            self._isolated = view["subset"] is not None
            self.projection = plan.method.name
            self.projection_params = plan.params
            self.dimensions = view["dimensions"]
            session.show(plan)
            self._pca_variance = session.variance()
            self.color_by = mark["color_by"]
            self.label_by = mark["label_by"]
            self.selected = view["selected"]
            self.focus = view["focus"]
            self.camera = view["camera"]
        self._refresh_neighbors()
        self._refresh_labels()

    def _checked_mark(self, mark: dict[str, Any]) -> dict[str, Any]:
        """A bookmark's view, validated against this widget (ValueError/IndexError naming the
        bookmark and the field) before anything is applied."""
        try:
            projections.get(mark["projection"])
            check_color_by(mark["color_by"], self._column_list)
            check_label_by(mark["label_by"], self._column_list)
            check_dimensions(mark["dimensions"])
            focus = mark["focus"]
            if isinstance(focus, bool) or not isinstance(focus, int) or not -1 <= focus < self._n:
                raise IndexError(f"focus {focus!r} is not a row of {self._n} points (or -1)")
            isolated = mark["isolated"]
            return {
                "spherize": bool(mark["spherize"]),
                "subset": normalize_selection(isolated, self._n) if isolated else None,
                "selected": normalize_selection(mark["selected"], self._n),
                "focus": int(focus),
                "dimensions": int(mark["dimensions"]),
                "camera": check_camera(mark["camera"]),
            }
        except (ValueError, IndexError, TypeError) as exc:
            raise type(exc)(f"bookmark {mark['name']!r}: {exc}") from None

    def delete_bookmark(self, name: str) -> None:
        """Forget the bookmark ``name``."""
        self._bookmark_store.delete(name)
        self._sync_bookmarks()

    def bookmarks_to_json(self) -> str:
        """All bookmarks as a JSON string (load them with :meth:`load_bookmarks`)."""
        return self._bookmark_store.to_json()

    def load_bookmarks(self, text: str) -> None:
        """Add the bookmarks in ``text`` (JSON from :meth:`bookmarks_to_json`)."""
        marks = bookmarks_from_json(text)
        for mark in marks:  # all or nothing: a bookmark that cannot be restored is not added
            self._checked_mark(mark)
        for mark in marks:
            self._bookmark_store.put(mark)
        self._sync_bookmarks()

    def _sync_bookmarks(self) -> None:
        self.bookmarks = [{"name": k} for k in self._bookmark_store.names()]

    # ------------------------------------------------------------------ sequences
    @classmethod
    def sequence(
        cls,
        embeddings_list: Any,
        metadata: Any = None,
        names: Any = None,
        **kwargs: Any,
    ) -> Projector:
        """A projector of several embeddings of the same rows (checkpoints, two models).

        Each step is validated like ``embeddings`` (errors name the step; dimensions may differ
        between steps), laid out by its own PCA and aligned onto the step before by orthogonal
        Procrustes (see :mod:`projector_widget.parts.timeline` for why not one shared basis), so only
        real movement shows. A slider and a play button step or animate through them;
        :attr:`step` reads and sets the step shown; neighbours, :meth:`query` and
        :attr:`embeddings` use the current step's embeddings; :meth:`drift` measures how rows
        moved. Other projections (t-SNE, UMAP, custom) lay out the current step, and run
        again when the step changes.
        """
        steps = build_timeline(embeddings_list, names, copy=kwargs.get("copy"))
        return cls(steps.matrices[0].values, metadata, _sequence=steps, **kwargs)

    @property
    def steps(self) -> int:
        """Number of steps of a sequence (1 for a single embedding)."""
        return 1 if self._steps is None else self._steps.steps

    @property
    def step_names(self) -> list[str]:
        """The names of the steps of a sequence (``names=`` or 'step 0', 'step 1', ...)."""
        return ["step 0"] if self._steps is None else list(self._steps.names)

    def drift(self, k: int = 10, metric: str | None = None) -> Any:
        """How each row moved between the first step and the current one: a pandas DataFrame.

        ``displacement`` is the distance between the row's places in the two aligned layouts;
        ``neighbours shared`` the Jaccard overlap of its ``k`` nearest neighbours in the two
        original spaces (``metric``, the widget's by default; 1: same neighbours, 0: none in
        common). Both become metadata columns (colour by them; a column of the same name that
        you made is never overwritten: drift raises instead). Select the rows that moved most
        with :meth:`select_drifted` or ``w.selected = df.nlargest(20, "displacement").index``.
        """
        if self._steps is None:
            raise ValueError("drift compares the steps of a sequence: use Projector.sequence(...)")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                'drift needs pandas: pip install "projector-widget[explain]"'
            ) from None
        names = ("displacement", "neighbours shared")
        for name in names:  # before the work: a column of the user's is never overwritten
            self._check_made_name(name, "drift")
        moved, shared = self._steps.drift(self.step, k, check_metric(metric or self.metric))
        for name, values in zip(names, (moved, shared), strict=True):
            self._put_made_column(make_column(name, values, self._n), "drift")
        return pd.DataFrame({"displacement": moved, "neighbours shared": shared})

    def select_drifted(self, top: int = 20) -> npt.NDArray[np.int64]:
        """Select the ``top`` rows that moved most since the first step (the ``displacement``
        of :meth:`drift`, without its neighbour comparison)."""
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
            raise ValueError(f"top must be a positive number of rows, got {top!r}")
        if self._steps is None:
            raise ValueError(
                "select_drifted compares the steps of a sequence: use Projector.sequence(...)"
            )
        moved = self._steps.displacement(self.step)
        rows = np.argsort(-moved, kind="stable")[: int(top)].astype(np.int64)
        self.selected = rows
        return np.sort(rows)

    def _shown_coords(self, coords: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """What shows for the session's ``coords``: a sequence's aligned layout of the current
        step in place of its PCA of every row (other projections and subsets as they are)."""
        return (
            coords
            if self._steps is None or not self._sequence_view()
            else self._steps.layouts[self.step]
        )

    def _sequence_view(self) -> bool:
        """Whether the sequence's own layouts show (the first three principal components of
        every row, not spherized)."""
        session = self._session
        return (
            session.method == "pca"
            and list(session.params.get("components", [])) == [0, 1, 2]
            and not session.spherize
            and session.subset is None
        )

    @traitlets.validate("step")
    def _validate_step(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"step must be a step index (an int), got {value!r}")
        if not 0 <= int(value) < self.steps:
            if self._steps is None:
                raise ValueError("step applies to sequences: use Projector.sequence([...])")
            raise IndexError(
                f"step {value} is out of range: this sequence has {self.steps} steps "
                f"(0..{self.steps - 1})"
            )
        return int(value)

    @traitlets.observe("step")
    def _on_step(self, _change: dict[str, Any]) -> None:
        # The sequence's own view: the browser moves the points itself from _timeline
        # (animated on the GPU), so no _points is sent; what the kernel sends later shows this
        # step (_shown_coords). Other views (t-SNE, UMAP, custom, a subset) are recomputed.
        if self._steps is None:
            return
        step = self.step
        self._backend = self._steps.backend(step)
        self._neighbour_search = self._backend.searcher()
        self._session.set_backend(self._backend, self._steps.pcas[step])
        self._pca_variance = self._session.variance()
        if self._sequence_view():
            # What the browser shows is the session's layout from now on (isolating keeps it).
            self._session.take_layout(Layout(self._steps.layouts[step]))
            with self._session.lock:
                self._mark_stale(self._session.coords)
        else:
            self._rerun()
        self._refresh_neighbors()

    # ------------------------------------------------------------------ files
    @classmethod
    def from_tensorboard(
        cls,
        logdir: str | os.PathLike[str],
        tensor_name: str | None = None,
        *,
        checkpoints: str = "latest",
        **kwargs: Any,
    ) -> Projector:
        """A projector of an embedding in a TensorBoard projector log directory.

        Reads ``projector_config.pbtxt`` as TensorBoard does: tensors from checkpoints or
        ``tensor_path`` files, metadata (header row only with several columns), the sprite sheet
        and bookmarks. With several embeddings, ``tensor_name`` picks one (the error lists them).
        ``checkpoints="latest"`` reads the latest checkpoint, as TensorBoard does;
        ``checkpoints="all"`` reads the tensor from every checkpoint of the directory, oldest
        first, into a :meth:`sequence` whose steps are named after the checkpoints.
        """
        from projector_widget.formats import tensorboard as tb

        if checkpoints not in ("latest", "all"):
            raise ValueError(f"checkpoints must be 'latest' or 'all', got {checkpoints!r}")
        loaded = tb.read(logdir, tensor_name)
        kwargs.setdefault("images", loaded.images)
        if checkpoints == "all":
            names, values = tb.read_checkpoints(logdir, loaded.name)
            w = cls.sequence(values, loaded.metadata, names, **kwargs)
        else:
            w = cls(loaded.values, loaded.metadata, **kwargs)
        for mark in loaded.bookmarks:
            if mark["color_by"] not in colorable(w._column_list):  # absent or free text
                mark["color_by"] = w.color_by
            if mark["label_by"] not in w.columns:
                mark["label_by"] = ""
            w._checked_mark(mark)
            w._bookmark_store.put(mark)
        w._sync_bookmarks()
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
        TensorFlow), 'tsv', or 'auto'. Returns the config file's path. What is being written
        shows in the widget's status (a tqdm bar while no view is displayed).
        """
        from projector_widget.formats import tensorboard as tb

        values = self._backend.memory("to_tensorboard").values
        with self._session.task() as report:
            return tb.write(
                logdir,
                values,
                self._column_list,
                self._images,
                tensor_name=tensor_name,
                tensor_format=tensor_format,
                progress=report,
            )

    @classmethod
    def from_tsv(
        cls,
        tensors_tsv: str | os.PathLike[str],
        metadata_tsv: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> Projector:
        """A projector of the two TSV files projector.tensorflow.org loads."""
        from projector_widget.formats import tsv

        values, meta = tsv.read_tsv_pair(tensors_tsv, metadata_tsv)
        return cls(values, meta, **kwargs)

    def to_tsv(self, folder: str | os.PathLike[str]) -> tuple[pathlib.Path, pathlib.Path | None]:
        """Write ``tensors.tsv`` and ``metadata.tsv`` (tabs/newlines in labels become spaces)."""
        from projector_widget.formats import tsv

        values = self._backend.memory("to_tsv").values
        root = tsv.ensure_dir(folder)
        meta = root / "metadata.tsv"
        with self._session.task() as report:
            tsv.write_tensor_tsv(root / "tensors.tsv", values, progress=report)
            wrote = tsv.write_metadata_tsv(meta, self._column_list, self._n, progress=report)
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
        return cls(values, meta, **kwargs)

    def to_html(self, *, title: str = "projector-widget") -> str:
        """One self-contained HTML page with this view (opens offline, no kernel needed)."""
        from projector_widget.formats import html

        return html.page(self._page_payload(), title=title)

    def save_html(
        self, path: str | os.PathLike[str], *, title: str = "projector-widget"
    ) -> pathlib.Path:
        """Write :meth:`to_html` to ``path``; returns the path."""
        out = pathlib.Path(path)
        out.write_text(self.to_html(title=title), encoding="utf-8")
        return out

    def _page_payload(self) -> dict[str, Any]:
        """What a saved page embeds (see ``formats.html.payload``)."""
        from projector_widget.formats import html

        if self._overview_mode:
            raise ValueError(
                f"a saved page holds every point, and this projector shows {self._n:,} rows as a "
                "density overview; save a sample instead: Projector(x[rows], ...).save_html(...)"
            )
        # An iterative layout exists in its own dimensionality only; a linear one in both.
        dims = [2, 3]
        if projections.get(self.projection).iterative:
            dims = [int(self.projection_params.get("dims", self.dimensions))]
        with self._session.lock:
            coords = self._session.coords
            by_dims = {d: self._points_value(coords, d, 0) for d in dims}
        state = {k: v for k, v in self.get_state().items() if k != "_points_rest"}
        return html.payload(state, by_dims, self._column_list, self.dimensions)

    # ------------------------------------------------------------------ points
    def _points_value(self, coords: npt.NDArray[np.float32], dims: int, transition_ms: int) -> Any:
        """The ``_points`` value of (N, >= dims) ``coords`` shown in ``dims`` dimensions."""
        if self._overview_mode:  # no rows travel as points: the overview sends grids and tiles
            value = encoding.encode_points(np.zeros((0, dims), np.float32))
            value["transition_ms"] = int(transition_ms)
            return value
        coords = self._shown_coords(coords)
        value = encoding.encode_points(coords[:, :dims], visible_rows=self._session.subset)
        value["transition_ms"] = int(transition_ms)
        return value

    def _on_coords(self, coords: npt.NDArray[np.float32], transition_ms: int) -> None:
        """The session has new coordinates: sync them (whole: they replace points on screen)."""
        value = self._points_value(coords, self.dimensions, transition_ms)
        self._timeline_active = self._steps is not None and self._sequence_view()
        with self._points_lock:
            self._points = self._outbox.prepare(value)
            self._points_rest = {}
        if self._overview_mode:
            with self._overview_build:  # the colour column is read with the index it builds
                self._overview = self._build_overview(coords, self.color_by)
        self._mark_stale(coords)

    def _set_progress(self, state: dict[str, Any]) -> None:
        self._progress = state

    def _on_pca_refined(self, result: PCAResult) -> None:
        self._pca_variance = [float(v) for v in result.explained_variance_ratio]

    # ------------------------------------------------------------------ traits
    @contextlib.contextmanager
    def _kernel_change(self) -> Iterator[None]:
        """Traits set inside are one change made by the kernel: their observers do not
        recompute (``projection``, ``dimensions``, ``spherize``)."""
        self._applying += 1
        try:
            yield
        finally:
            self._applying -= 1

    @traitlets.validate("dimensions")
    def _validate_dimensions(self, proposal: dict[str, Any]) -> int:
        check_dimensions(proposal["value"])
        self._check_overview_dims(int(proposal["value"]))
        return int(proposal["value"])

    @traitlets.validate("color_by")
    def _validate_color_by(self, proposal: dict[str, Any]) -> str:
        check_color_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.validate("chart")
    def _validate_chart(self, proposal: dict[str, Any]) -> str:
        check_chart(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.validate("label_by")
    def _validate_label_by(self, proposal: dict[str, Any]) -> str:
        check_label_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.validate("focus")
    def _validate_focus(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"focus must be a row index (an int, -1 for none), got {value!r}")
        if not -1 <= int(value) < self._n:
            raise IndexError(f"focus {value} is out of range for {self._n} points (-1 for none)")
        return int(value)

    @traitlets.validate("k_neighbors")
    def _validate_k(self, proposal: dict[str, Any]) -> int:
        return int(check_number("k_neighbors", proposal["value"], low=1, high=K_MAX, integer=True))

    @traitlets.validate("height")
    def _validate_height(self, proposal: dict[str, Any]) -> int:
        return int(
            check_number("height (pixels)", proposal["value"], low=120, high=10_000, integer=True)
        )

    @traitlets.validate("point_size")
    def _validate_point_size(self, proposal: dict[str, Any]) -> float:
        return float(
            check_number(
                "point_size (pixels, 0 for automatic)",
                proposal["value"],
                low=0,
                high=appearance.POINT_SIZE_MAX,
            )
        )

    @traitlets.validate("color_map")
    def _validate_color_map(self, proposal: dict[str, Any]) -> str:
        return appearance.check_color_map(proposal["value"])

    @traitlets.validate("palette")
    def _validate_palette(self, proposal: dict[str, Any]) -> str:
        return appearance.check_palette(proposal["value"])

    @traitlets.validate("opacity")
    def _validate_opacity(self, proposal: dict[str, Any]) -> float:
        return appearance.check_opacity(proposal["value"])

    @traitlets.validate("size_by")
    def _validate_size_by(self, proposal: dict[str, Any]) -> str:
        check_size_by(proposal["value"], self._column_list)
        return str(proposal["value"])

    @traitlets.validate("size_range")
    def _validate_size_range(self, proposal: dict[str, Any]) -> tuple[float, float]:
        return appearance.check_size_range(proposal["value"])

    @traitlets.validate("camera")
    def _validate_camera(self, proposal: dict[str, Any]) -> dict[str, Any]:
        return check_camera(proposal["value"])

    @traitlets.validate("metric")
    def _validate_metric(self, proposal: dict[str, Any]) -> str:
        return check_metric(proposal["value"])

    @traitlets.validate("projection")
    def _validate_projection(self, proposal: dict[str, Any]) -> str:
        method = projections.get(proposal["value"])
        if method.name == "custom" and not self._applying:
            raise ValueError(
                "a custom projection needs its axes: use w.project('custom', x=(left, right), ...)"
            )
        return method.name

    @traitlets.validate("projection_params")
    def _validate_projection_params(self, proposal: dict[str, Any]) -> dict[str, Any]:
        if not self._applying and isinstance(self._trait_values.get("projection_params"), dict):
            raise ValueError(
                "projection_params is read-only: use w.project(method, **params) to change them"
            )
        return dict(proposal["value"])

    @traitlets.observe("projection")
    def _on_projection(self, change: dict[str, Any]) -> None:
        if self._applying or not isinstance(change["old"], str) or change["new"] == change["old"]:
            return  # set by the kernel itself, or the initial value during __init__
        self.project(change["new"])

    @traitlets.observe("dimensions")
    def _on_dimensions(self, change: dict[str, Any]) -> None:
        if self._applying or not isinstance(change["old"], int):
            return  # set by the kernel itself, or the initial value during __init__
        method = projections.get(self.projection)
        if method.iterative and self.projection_params.get("dims") != change["new"]:
            self.project(self.projection, **{**self.projection_params, "dims": change["new"]})
            return
        with self._session.lock:
            self._on_coords(self._session.coords, 0)

    def _needs_rows(self, feature: str) -> None:
        """NeedsMemoryError naming ``feature`` when the embeddings stay on a cluster."""
        self._backend.memory(feature)

    @traitlets.validate("spherize")
    def _validate_spherize(self, proposal: dict[str, Any]) -> bool:
        if proposal["value"]:
            self._needs_rows("spherize")
        return bool(proposal["value"])

    @traitlets.observe("spherize")
    def _on_spherize(self, change: dict[str, Any]) -> None:
        if self._applying or not isinstance(change["old"], bool) or change["new"] == change["old"]:
            return
        self._session.spherize = bool(change["new"])
        self._rerun()

    @traitlets.observe("focus", "k_neighbors", "metric")
    def _on_focus(self, change: dict[str, Any]) -> None:
        if change["name"] == "focus" or self.focus >= 0:
            self._refresh_neighbors()
        if change["name"] == "focus" and self.focus < 0:
            self._refresh_labels()

    @traitlets.observe("label_by")
    def _on_label_by(self, _change: dict[str, Any]) -> None:
        self._refresh_labels()

    @traitlets.observe("selected")
    def _on_selected(self, _change: dict[str, Any]) -> None:
        self._selection_changes += 1
        if self._n > protocol.ALL_LABELS_MAX and self.label_by:
            self._refresh_labels()

    # ------------------------------------------------------------------ messages
    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the browser; a new selection is acknowledged before anything else.

        The browser holds back its redraw of a large selection until this receipt arrives (the
        message needs the page's main thread to leave it, and a redraw of a million points in
        software GL holds that thread for half a second). Observers run after the receipt.
        """
        if "selected" in sync_data:
            self.send(protocol.selected_ack())
        super().set_state(sync_data)

    def _message_handlers(self) -> dict[type, Callable[[Any], None]]:
        """One handler per request type of ``protocol``."""
        p = protocol
        handlers: dict[type, Callable[[Any], None]] = {
            p.Tiles: self._reply_tiles,
            p.GridRequest: self._reply_grid,
            p.Lasso: self._reply_lasso,
        }
        return handlers | {
            p.RowRequest: self._reply_row,
            p.Drawn: lambda _r: self._session.drawn.set(),
            p.PointsRequest: self._reply_points,
            p.Project: lambda r: self.project(r.method, **r.params),
            p.Control: lambda r: {"pause": self.pause, "resume": self.resume, "stop": self.stop}[
                r.action
            ](),
            p.Search: self._reply_search,
            p.Label: lambda r: self.send(
                p.label_reply(r.column, self.label_selection(r.column, r.value))
            ),
            p.Isolate: lambda _r: self.isolate(),
            p.ShowAll: lambda _r: self.show_all(),
            p.Bookmark: lambda r: {
                "save": self.save_bookmark,
                "restore": self.restore_bookmark,
                "delete": self.delete_bookmark,
            }[r.action](r.name),
            p.Query: lambda r: self.query(r.text),
            p.FindClusters: lambda r: self._explaining.start(
                "finding clusters",
                lambda: self._clusters_work(r.column or None, None, "cluster", show=True),
            ),
            p.CheckLayout: lambda r: self._explaining.start(
                "checking the layout",
                lambda: self._quality_work(r.k, "euclidean", "neighbours kept", show=True),
            ),
        }

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        protocol.dispatch(content, self._handlers, self.send)

    def _reply_row(self, request: protocol.RowRequest) -> None:
        if 0 <= request.index < self._n:
            values = [[c.name, c.text(request.index)] for c in self._column_list]
            self.send(protocol.row_reply(request.index, values))

    def _reply_points(self, request: protocol.PointsRequest) -> None:
        with self._points_lock:
            rest = self._outbox.rest(request.version, request.start)
            if rest is not None:
                self._points_rest = rest

    def _get_embed_state(self, drop_defaults: bool = False) -> dict[str, Any]:
        """What ``ipywidgets.embed`` saves of this widget: with every row, also while ``_points``
        holds a first part whose rest no browser has asked for (nothing displayed it yet)."""
        state: dict[str, Any] = super()._get_embed_state(drop_defaults=drop_defaults)
        with self._points_lock:
            pending = self._outbox.pending()
            if pending is None or self._points_rest.get("version") == pending["version"]:
                return state
        from ipywidgets.widgets.widget import _remove_buffers

        rest, paths, buffers = _remove_buffers({"_points_rest": pending})
        state["state"]["_points_rest"] = rest["_points_rest"]
        kept = [b for b in state.get("buffers", []) if b["path"][0] != "_points_rest"]
        state["buffers"] = kept + [
            {"encoding": "base64", "path": p, "data": base64.standard_b64encode(d).decode("ascii")}
            for p, d in zip(paths, buffers, strict=True)
        ]
        return state

    # ------------------------------------------------------------------ the overview
    def _choose_mode(self, n: int, overview_above: Any, dimensions: int | None) -> int:
        """Set overview mode when ``n > overview_above`` (and the overview's state); the
        checked initial dimensions."""
        self._overview_lock = threading.Lock()  # the index and its version change together
        #: Held while an index is built and published (layout and colour changes in turn).
        self._overview_build = threading.RLock()
        self._overview_index: OverviewIndex | None = None
        self._overview_source: Column | None = None  # the column of the index's codes
        self._overview_version = 0
        #: Changes of ``selected`` so far (tiles replies say which their flags show).
        self._selection_changes = 0
        #: A large selection array and its bits (the tiles' flags), made on the first tiles.
        self._selected_bits: tuple[npt.NDArray[np.int64], RowBits] | None = None
        if isinstance(overview_above, bool) or not isinstance(overview_above, (int, np.integer)):
            raise TypeError(f"overview_above must be a number of rows, got {overview_above!r}")
        #: Whether the first view is the density overview (README, "Larger than memory").
        self._overview_mode = n > int(overview_above)
        self._n = n
        if dimensions is None:
            dimensions = 2 if self._overview_mode else 3
        check_dimensions(dimensions)
        self._check_overview_dims(dimensions)
        return int(dimensions)

    def _check_overview_dims(self, dims: int) -> None:
        if dims == 3 and getattr(self, "_overview_mode", False):
            raise ValueError(
                f"this projector shows {self._n:,} rows as a 2-D density overview (more than "
                "overview_above rows), so it has no 3-D view; pass a larger overview_above "
                "(every point is then sent to the browser) or a subset of the rows for 3-D"
            )

    def _encode_columns(self, columns: list[Column]) -> list[dict[str, Any]]:
        """``_columns``: descriptors only in overview mode (tiles carry the codes they need)."""
        return [encoding.encode_column(c, per_row=not self._overview_mode) for c in columns]

    def _selected_indices(self, *, compute: bool = True) -> npt.NDArray[np.int64]:
        """``selected`` as indices: a lazy selection computed (``compute``) or left out."""
        value = self.selected
        if isinstance(value, LazySelection):
            return value.compute() if compute else np.zeros(0, np.int64)
        return value

    def _overview_codes(self, color_by: str) -> tuple[Column | None, Any]:
        """The categorical column the overview colours by (None when ``color_by`` is not one)
        and its uint8 codes."""
        for c in self._column_list:
            if c.name == color_by and c.kind == "category":
                return c, category_codes(c.codes, c.missing_code)
        return None, None

    def _build_overview(self, coords: npt.NDArray[np.float32], color_by: str) -> dict[str, Any]:
        """Index the layout's x and y (on the cluster when the embeddings are there), make the
        first grid, and return the new ``_overview`` value (its version bumped)."""
        xy = self._shown_coords(coords)[:, :2]
        column, codes = self._overview_codes(color_by)
        subset = self._session.subset
        executor, starts = self._backend.overview_executor()
        if subset is not None:
            xy = xy[subset]
            codes = None if codes is None else codes[subset]
        index = OverviewIndex.build(
            xy, codes, rows=subset, starts=starts, executor=executor, n_points=self._n
        )
        return self._show_overview(index, column)

    def _show_overview(self, index: OverviewIndex, column: Column | None) -> dict[str, Any]:
        grid = index.grid()
        # The index replaced is dropped, not released: a lazy selection made on it keeps it (on
        # a cluster its chunks leave the workers when the last reference goes).
        with self._overview_lock:
            self._overview_index = index
            self._overview_source = column
            self._overview_version += 1
            version = self._overview_version
        return encoding.encode_overview(
            version,
            n=index.n,
            domain=index.domain,
            grid=grid,
            column="" if column is None else column.name,
            categories=[] if column is None else list(column.categories[: overview.NO_CODE]),
            budget=overview.BROWSER_BUDGET,
            tile_budget=overview.TILE_BUDGET,
        )

    @traitlets.observe("color_by")
    def _on_color_by(self, _change: dict[str, Any]) -> None:
        self._recolor_overview()

    def _recolor_overview(self) -> None:
        """New category codes in the overview when the colour column (or its values) changed."""
        if not self._overview_mode:
            return
        # One build at a time: a new layout indexed in the background (the PCA's refinement)
        # and a new colour column would otherwise each publish an index the other made stale.
        with self._overview_build:
            if self._overview_index is None:
                return
            column, codes = self._overview_codes(self.color_by)
            if column is self._overview_source:
                return  # the overview has these categories already (or none before and after)
            self._overview = self._show_overview(self._overview_index.recolor(codes), column)

    def _current_overview(self, version: int) -> OverviewIndex | None:
        """The index when ``version`` is current (None: a stale request, dropped)."""
        with self._overview_lock:
            index, current = self._overview_index, self._overview_version
        if index is None:
            raise ValueError(
                f"this projector shows its {self._n:,} points directly (at most overview_above "
                "rows): tiles, grids and lasso requests are for the density overview"
            )
        return index if version == current else None

    def _reply_tiles(self, request: protocol.Tiles) -> None:
        index = self._current_overview(request.version)
        if index is None:
            return
        samples = index.tiles(list(request.tiles), overview.TILE_BUDGET)
        selection, changes = self.selected, self._selection_changes
        bits = None
        if isinstance(selection, np.ndarray) and selection.size > overview.TILE_BUDGET:
            cached = self._selected_bits
            if cached is None or cached[0] is not selection:
                cached = self._selected_bits = (selection, RowBits(selection, self._n))
            bits = cached[1]
        buffers: list[memoryview] = []
        for sample in samples:
            flags = selected_flags(selection, sample, index, bits)
            buffers += encoding.tile_buffers(sample, flags)
        shapes = [(t, s.order.size, s.total) for t, s in zip(request.tiles, samples, strict=True)]
        self.send(protocol.tiles_reply(request.version, changes, shapes), buffers)

    def _reply_grid(self, request: protocol.GridRequest) -> None:
        index = self._current_overview(request.version)
        if index is None:
            return
        w, h = self._overview["size"]
        grid = index.grid(request.bounds, (int(w), int(h)))
        reply = protocol.grid_reply(request.version, grid.bounds, grid.size, grid.max)
        self.send(reply, encoding.grid_buffers(grid))

    def _reply_lasso(self, request: protocol.Lasso) -> None:
        index = self._current_overview(request.version)
        if index is None:
            return
        current = self.selected if request.mode == "add" else None
        chosen = index.lasso(np.asarray(request.polygon, np.float64), current)
        self.selected = chosen
        self.send(protocol.lasso_reply(request.version, len(chosen)))

    def _reply_search(self, request: protocol.Search) -> None:
        hits = self.search(request.query, request.column, regex=request.regex)
        self.send(protocol.search_reply(request.query, int(hits.size)))


def _overridden(params: dict[str, Any], aliases: dict[str, Any], method: str) -> dict[str, Any]:
    """``params`` with the ecosystem names in ``aliases`` taking the place of ours."""
    spec = projections.get(method)
    unknown = sorted(set(aliases) - set(spec.aliases))
    if unknown:
        raise TypeError(
            f"{method}() got unexpected parameter(s) {unknown}; it takes {sorted(params)} "
            f"(or {sorted(spec.aliases)})"
        )
    out = dict(params)
    for alias in aliases:
        out.pop(spec.aliases[alias], None)
    return {**out, **aliases}
