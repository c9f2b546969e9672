"""The anywidget class: synced traits and the public Python API.

``Projector`` declares its traits (each with the trait type that validates it,
:mod:`projector_widget.sync.traits`) and its public methods, and composes the parts that do the
work (:mod:`projector_widget.parts`: one per capability, made by ``parts.compose``). Each method
delegates in a line or two; the docstrings are the API reference.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import traitlets

from projector_widget import backends
from projector_widget.compute import overview, projections
from projector_widget.compute.backend import LAYOUT_SAMPLE_ROWS, Backend
from projector_widget.compute.neighbours import K_MAX, check_metric
from projector_widget.data import choices as cols
from projector_widget.data.images import as_images, build_atlas
from projector_widget.parts import files
from projector_widget.parts.compose import check_init_traits, compose
from projector_widget.parts.overview import overview_mode
from projector_widget.parts.timeline import Timeline, build_timeline
from projector_widget.sync import appearance, bundle, protocol
from projector_widget.sync import traits as tr
from projector_widget.sync.state import PageState
from projector_widget.util.jobs import Job

#: Rows; a neighbour query's rows and distances, closest first; a path; a custom axis (its ends).
Rows = npt.NDArray[np.int64]
Found = tuple[Rows, npt.NDArray[np.float32]]
Path = str | os.PathLike[str]
Axis = tuple[str, str]


class Projector(PageState):
    """An embedding projector in a notebook cell.

    Parameters
    ----------
    embeddings:
        (N, D) array-like of numbers: NumPy, nested lists, TensorFlow/PyTorch tensors, pandas;
        or a Dask or Zarr array larger than memory, computed on the active ``distributed``
        cluster (README, "Larger than memory").
    metadata:
        One label per row, a dict of equal-length columns, or a pandas DataFrame (or a Dask
        DataFrame, or an Arrow table); optional.
    color_by:
        Column to colour by; by default the first categorical column.
    label_by:
        Column whose values label points in the plot ('' for none).
    dimensions:
        2 (default) or 3: the view's, which t-SNE and UMAP follow (the 2D/3D buttons switch).
    height:
        Height of the widget in pixels; the width fills the cell.
    point_size:
        Point diameter in pixels; 0 chooses one from the number of points.
    color_map:
        Colour map of numeric columns by its d3 / matplotlib name, any case: 'viridis'
        (default), 'magma', 'turbo', 'rdbu', ... (``appearance.COLOR_MAPS``); '_r' reverses it.
    palette:
        Colours of categories: 'projector20' (default), 'tableau10', 'category10' (tab10),
        'set1', 'paired', ... (``appearance.PALETTES``); further categories are "other".
    opacity:
        Opacity of the points in (0, 1] (1, opaque, by default); selected, focused and hovered
        points stay opaque.
    size_by:
        Numeric column the point sizes follow ('' for one size), linearly from
        ``size_range[0]`` to ``size_range[1]`` times the point size (missing values: 1 time).
    size_range:
        (at the column's minimum, at its maximum) in point sizes; (0.5, 2.5) by default.
    selected:
        Initially selected row indices.
    images:
        Optional (N, H, W) or (N, H, W, C) thumbnails, uint8 or float, drawn as sprites.
    encoder:
        Optional ``fn(list[str]) -> array`` embedding text queries in the same space (search
        by meaning: the UI or :meth:`query`; the terms that name clusters, :meth:`cluster`).
    layout_sample:
        For embeddings that stay on a cluster (a Dask or Zarr array): the rows t-SNE and UMAP
        are fitted on; the model places the others, chunk by chunk on the workers.
    overview_above:
        Above this many rows the view is a 2-D density overview: per-category counts on a
        grid, then the visible points as quadtree tiles while zooming in, so the browser holds
        a bounded amount; a lasso selects rows in the kernel, and ``selected`` above
        ``overview.SELECTED_MAX`` rows is a
        :class:`~projector_widget.compute.overview.index.LazySelection`. The index takes 21
        bytes a row, in the kernel or, for a Dask or Zarr array, on the workers.
    copy:
        By default a float32 C-contiguous NumPy array is used in place and marked read-only
        (changing it later raises instead of making answers stale); ``copy=True`` keeps a copy
        and your array writable (:func:`projector_widget.data.inputs.as_matrix`).
    **traits:
        ``height``, ``point_size``, ``color_map``, ``palette``, ``opacity``, ``size_by`` and
        ``size_range`` as above, and the first values of ``focus``, ``k_neighbors``,
        ``metric``, ``camera``, ``chart``, ``show_clusters``, ``show_density``,
        ``show_images``; any other keyword is a TypeError listing the valid ones.

    Examples
    --------
    >>> w = Projector(embeddings, {"label": labels})  # doctest: +SKIP
    >>> w.selected = [3, 17, 42]                        # doctest: +SKIP
    >>> w.color_map, w.opacity = "magma_r", 0.5         # doctest: +SKIP
    >>> w.project("tsne", perplexity=20)                # doctest: +SKIP
    """

    # What the user sets (each trait type checks the values, sync/traits.py).
    color_by = tr.ColumnChoice(cols.check_color_by)
    label_by = tr.ColumnChoice(cols.check_label_by)
    #: The category or number column the cross-filter chart shows ('' hides it).
    chart = tr.ColumnChoice(cols.check_chart)
    #: Numeric column the point sizes follow ('' for one size).
    size_by = tr.ColumnChoice(cols.check_size_by)
    selected = tr.selection()
    dimensions = tr.PartChecked(2, "projection", "check_dims")
    height = tr.Checked(560, tr.bounded("height (pixels)", low=120, high=10_000, integer=True))
    point_size = tr.Checked(
        0.0,
        tr.bounded("point_size (pixels, 0 for automatic)", low=0, high=appearance.POINT_SIZE_MAX),
    )
    color_map = tr.Checked(appearance.DEFAULT_COLOR_MAP, appearance.check_color_map)
    palette = tr.Checked(appearance.DEFAULT_PALETTE, appearance.check_palette)
    #: Opacity of the points, in (0, 1].
    opacity = tr.Checked(appearance.DEFAULT_OPACITY, appearance.check_opacity)
    #: Sizes at the ``size_by`` column's minimum and maximum, as multiples of the point size.
    size_range = tr.Checked(appearance.DEFAULT_SIZE_RANGE, appearance.check_size_range)
    #: The current projection: one of ``projections.METHODS`` ('pca', 'tsne', 'umap', 'custom').
    projection = tr.PartChecked("pca", "projection", "check_method")
    #: The parameters of the current projection (read-only; use :meth:`project` to change).
    projection_params = tr.PartChecked({}, "projection", "check_params")
    spherize = tr.PartChecked(False, "projection", "check_spherize")
    focus = tr.RowIndex("focus")
    k_neighbors = tr.Checked(10, tr.bounded("k_neighbors", low=1, high=K_MAX, integer=True))
    metric = tr.Checked("cosine", check_metric)
    show_images = traitlets.Bool(False).tag(sync=True)
    camera = tr.Checked({}, tr.check_camera)
    bookmarks: traitlets.List[dict[str, str]] = traitlets.List().tag(sync=True)
    #: The step of a sequence shown (:meth:`sequence`), 0..steps-1; 0 otherwise.
    step = tr.PartChecked(0, "timeline", "check_step")
    #: Draw the names of the clusters :meth:`cluster` found (by zoom level) on the map.
    show_clusters = traitlets.Bool(False).tag(sync=True)
    #: Draw density contours under the points (2-D views; computed in the browser).
    show_density = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        embeddings: Any,
        metadata: Any = None,
        *,
        color_by: str | None = None,
        label_by: str = "",
        dimensions: int | None = None,
        selected: Any = None,
        images: Any = None,
        encoder: Callable[[list[str]], Any] | None = None,
        copy: bool | None = None,
        layout_sample: int = LAYOUT_SAMPLE_ROWS,
        overview_above: int = overview.OVERVIEW_ABOVE,
        _sequence: Timeline | None = None,
        _bookmarks: list[dict[str, Any]] | None = None,
        **traits: Any,
    ) -> None:
        bundle.require_bundle()
        check_init_traits(traits)
        backend: Backend = (
            backends.open_embeddings(embeddings, copy=copy, layout_sample=layout_sample)
            if _sequence is None
            else _sequence.backend(0)
        )
        columns = backends.open_metadata(metadata, backend.n)
        pictures = None if images is None else as_images(images, backend.n)
        active = overview_mode(backend.n, overview_above)
        #: Every capability of this widget (parts/compose.py).
        self._parts = parts = compose(
            self, backend, columns, overview=active, steps=_sequence, encoder=encoder
        )
        parts.images = pictures
        dims = parts.overview.check_dims(2 if dimensions is None else dimensions)
        color_by = cols.default_color_column(columns) if color_by is None else color_by
        tr.check_first_values(self, {"color_by": color_by, "label_by": label_by, **traits})
        first = parts.session.start(None if _sequence is None else _sequence.pcas[0])
        sprites = {} if pictures is None else build_atlas(pictures)
        traits = {"show_images": bool(sprites), **traits}
        with parts.projection.kernel_change():  # the first values: no observer recomputes
            super().__init__(
                **parts.first_state(first, dims, color_by),
                **{"color_by": color_by, "label_by": label_by, "dimensions": dims, **traits},
                **{"_has_encoder": encoder is not None, "_sprites": sprites},
            )
        parts.open(selected, _bookmarks)
        #: Set once the first PCA is final (at once up to 60,000 rows, else once refined).
        self.pca_refined = parts.session.refined

    def __repr__(self) -> str:
        """What a terminal or a frontend without widgets shows: size, projection, selection."""
        return self._parts.describe(self)

    @property
    def n_points(self) -> int:
        """Number of points."""
        return self._parts.session.n

    @property
    def embeddings(self) -> Any:
        """The validated (N, D) float32 embeddings (a Dask array stays itself: never a copy)."""
        return self._parts.session.backend.source

    @property
    def metadata(self) -> Any:
        """The metadata columns: a pandas DataFrame when pandas is installed, else a dict of lists."""
        return self._parts.metadata.table()

    @property
    def columns(self) -> dict[str, str]:
        """Column names mapped to their kind: 'category', 'number' or 'text'."""
        return self._parts.metadata.kinds

    @property
    def coordinates(self) -> npt.NDArray[np.float32]:
        """The current projection's (N, dimensions) float32 coordinates (before quantisation);
        while a selection is isolated, rows outside it hold placeholder values."""
        return self._parts.timeline.coordinates()

    @property
    def explained_variance_ratio(self) -> npt.NDArray[np.float64]:
        """Fraction of the total variance along each principal component (of the current rows)."""
        return self._parts.session.pca_result().explained_variance_ratio

    @property
    def isolated(self) -> Rows | None:
        """The rows shown while a selection is isolated, or None when every row is shown."""
        subset = self._parts.session.subset
        return None if subset is None else subset.copy()

    @property
    def job(self) -> Job | None:
        """The running (or last) background projection job, if any."""
        return self._parts.session.job

    def project(
        self, method: str | None = None, *, wait: bool = False, **params: Any
    ) -> Job | None:
        """Compute a projection and show it, animating from the current layout.

        ``method`` is 'pca' (``components=[i, j, k]`` of the first 10 on X, Y, Z), 'tsne'
        (:meth:`tsne`'s parameters), 'umap' (:meth:`umap`'s) or 'custom' (:meth:`custom`'s).
        t-SNE and UMAP run in a background thread, report their phases to the widget's status
        (a tqdm bar while no view is displayed) and return the
        :class:`~projector_widget.util.jobs.Job` (``wait=True`` blocks until done); the instant
        methods return None. Invalid parameters raise ValueError and change nothing.
        """
        return self._parts.projection.project(method, params, wait=wait)

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
        dims: int | None = None,
        n_jobs: int = -1,
        wait: bool = False,
        **aliases: Any,
    ) -> Job | None:
        """Run t-SNE (openTSNE) in the background, streaming its layout; returns the job.

        ``perplexity`` from 1, ``learning_rate`` positive or 'auto', ``n_iter`` steps after
        the early exaggeration, ``dims`` 2 or 3 (None: the view's), ``n_jobs`` threads (-1:
        every core; a seed's layout does not depend on it). Its phases show in the widget's
        status. scikit-learn's ``random_state``, ``n_components`` and ``max_iter`` work too.
        """
        params: dict[str, Any] = {"perplexity": perplexity, "learning_rate": learning_rate}
        params.update(n_iter=n_iter, seed=seed, dims=dims, n_jobs=n_jobs)
        return self.project("tsne", wait=wait, **projections.with_aliases("tsne", params, aliases))

    def umap(
        self,
        *,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        metric: str = "euclidean",
        seed: int | None = 0,
        dims: int | None = None,
        wait: bool = False,
        **aliases: Any,
    ) -> Job | None:
        """Run UMAP (umap-learn) in the background, reporting its phases; returns the job.

        ``metric`` is 'euclidean', 'cosine', 'manhattan' or 'correlation'. A seed (0 by
        default) makes the layout reproducible but runs on **one core** (umap-learn's rule);
        ``seed=None`` runs on every core, a layout that differs from run to run. ``dims``: 2,
        3 or None (the view's). Its phases show in the widget's status; ``random_state`` and
        ``n_components`` work too.
        """
        params = {"n_neighbors": n_neighbors, "min_dist": min_dist, "metric": metric}
        params.update(seed=seed, dims=dims)
        return self.project("umap", wait=wait, **projections.with_aliases("umap", params, aliases))

    def custom(
        self, x: Axis, y: Axis | None = None, *, column: str | None = None, regex: bool = False
    ) -> None:
        """Show a custom linear projection: X from the rows matching ``x[0]`` to those matching
        ``x[1]`` (Y likewise, else the leading principal direction); see :meth:`project`."""
        self.project("custom", x=x, y=y, column=column, regex=regex)

    def pause(self) -> None:
        """Pause the running t-SNE/UMAP job."""
        self._parts.projection.control("pause")

    def resume(self) -> None:
        """Resume a paused job."""
        self._parts.projection.control("resume")

    def stop(self) -> None:
        """Stop the running job, keeping the layout reached so far."""
        self._parts.projection.control("stop")

    def wait(self, timeout: float | None = None) -> None:
        """Block until the running projection job finishes (re-raising its error)."""
        self._parts.session.wait(timeout)

    def cluster(
        self,
        column: str | None = None,
        min_size: int | None = None,
        *,
        into: str = "cluster",
        namer: Callable[[list[str], list[str]], str] | None = None,
    ) -> Any:
        """Find clusters in the current layout and name them; returns a pandas DataFrame.

        HDBSCAN (scikit-learn) on :attr:`coordinates` (the isolated rows only while a selection
        is isolated) at three nested levels for the labels ``show_clusters`` draws; the table
        and the metadata column ``into`` (noise missing) are the finest level, clusters of at
        least ``min_size`` points (default about sqrt(N) / 2). Names come from ``column``
        (default ``label_by``, else the first text or categorical column): the terms that stand
        for each cluster (:mod:`~projector_widget.compute.explain.naming`), a category's most
        common value, or ``namer(terms, texts)``'s name from the top terms and central texts.
        Columns: ``cluster``, ``label``, ``size``, ``terms``, ``weights``, ``position`` and
        ``row`` (the medoid's). A later layout marks the labels stale: call this again. A
        column ``into`` of yours is never replaced (ValueError). Runs in the calling thread,
        after the panel's work if any. Needs ``pip install "projector-widget[explain]"``.
        """
        return self._parts.explain.cluster(column, min_size, into, namer)

    def layout_quality(
        self, k: int = 10, metric: str = "euclidean", *, into: str = "neighbours kept"
    ) -> Any:
        """How far the current layout can be trusted: a :class:`~projector_widget.compute.explain.quality.QualityReport`.

        Trustworthiness and continuity of :attr:`coordinates` against the embeddings
        (``metric`` in the original space; as
        ``sklearn.manifold.trustworthiness(embeddings, coordinates, n_neighbors=k)``), and per
        row the fraction of its ``k`` nearest neighbours the layout keeps, as the numeric
        column ``into`` to colour by (a column of yours of that name raises ValueError). Exact
        up to 200,000 rows (100,000 x 64: about 30 s on two cores), sampled above; the scores
        also show in the panel. Runs in the calling thread, after the panel's work if any.
        """
        return self._parts.explain.layout_quality(k, metric, into)

    def isolate(self, rows: Any = None) -> None:
        """Show only ``rows`` (default: the selection); projections then run on that subset."""
        self._parts.projection.isolate(rows, self._parts.selection)

    def show_all(self) -> None:
        """Undo :meth:`isolate`: show every row again, in the layout they had before."""
        self._parts.projection.show_all()

    def search(
        self,
        pattern: str,
        column: str | None = None,
        *,
        regex: bool = False,
        case: bool = False,
        select: bool = True,
    ) -> Rows:
        """Rows whose ``column`` (any column when None) matches ``pattern``; selects them.

        A substring match, case-insensitive unless ``case``; a regular expression when ``regex``.
        While a selection is isolated, only the isolated rows can match.
        """
        return self._parts.neighbours.search(pattern, column, regex=regex, case=case, select=select)

    def nearest(
        self, index: int, k: int = 10, metric: str = "cosine", *, exact: bool = False
    ) -> Found:
        """The ``k`` nearest neighbours of row ``index`` in the original space, closest first.

        Returns ``(indices, distances)`` (the point itself excluded); ``metric`` is 'cosine' or
        'euclidean'. Exact: one BLAS pass over the embeddings, or on large inputs over the rows
        that a bound from the PCA subspace cannot rule out. After :meth:`build_index` for this
        metric the index answers instead, unless ``exact`` is true.
        """
        return self._parts.neighbours.nearest(index, k, metric, exact=exact)

    def build_index(self, metric: str | None = None, **options: Any) -> Any:
        """Build an approximate neighbour index for ``metric`` (default: the widget's ``metric``).

        For sets where an exact query is too slow (~100 ms at 1M x 768). From then on
        :meth:`nearest`, :meth:`query` and the inspector use it for that metric: a row may miss
        a true neighbour, the distances are exact. ``options`` (``nlist``, ``nprobe``,
        ``rerank``, ``seed``) go to :class:`projector_widget.compute.ann.ApproximateIndex`; 1M x
        768 takes about 12 s on two cores and 0.8 GB. A Dask array's index is built from its
        chunks and kept on the cluster (:class:`projector_widget.dask.ann.ChunkedIndex`, also
        ``shards``). Needs ``pip install "projector-widget[ann]"`` (and ``[dask]`` for Dask).
        """
        return self._parts.neighbours.build_index(
            self.metric if metric is None else metric, **options
        )

    def query(self, text: str, k: int | None = None) -> Found:
        """Embed ``text`` with the ``encoder`` and show its nearest neighbours (and position)."""
        return self._parts.neighbours.query(text, k)

    def label_selection(self, column: str, value: Any, rows: Any = None) -> int:
        """Set ``column`` to ``value`` for the selected rows (or ``rows``); returns the count; a
        new column name creates a column (empty elsewhere). ``w.metadata`` reflects the edit."""
        return self._parts.metadata.label(column, value, rows, self._parts.selection)

    def set_column(self, name: str, values: Any) -> None:
        """Add metadata column ``name`` (one value per row), or replace the column of that name.

        The values are typed as the constructor types metadata (category, number or text);
        ``None``/NaN are missing. ``w.metadata`` and the view's colour and search follow.
        """
        self._parts.metadata.set_column(name, values)

    def save_bookmark(self, name: str) -> dict[str, Any]:
        """Save the current view under ``name`` (replacing one of the same name); returns it."""
        return self._parts.bookmarks.save(name)

    def restore_bookmark(self, name: str) -> None:
        """Restore the view saved as ``name``: one transaction that runs one projection.

        Everything is checked first (columns, camera, rows, the projection computed on the
        bookmark's rows); when anything fails, nothing changes.
        """
        self._parts.bookmarks.restore(name)

    def delete_bookmark(self, name: str) -> None:
        """Forget the bookmark ``name``."""
        self._parts.bookmarks.delete(name)

    def bookmarks_to_json(self) -> str:
        """All bookmarks as a JSON string (load them with :meth:`load_bookmarks`)."""
        return self._parts.bookmarks.store.to_json()

    def load_bookmarks(self, text: str) -> None:
        """Add the bookmarks in ``text`` (JSON from :meth:`bookmarks_to_json`); all or none."""
        self._parts.bookmarks.load(text)

    @classmethod
    def sequence(
        cls, embeddings_list: Any, metadata: Any = None, names: Any = None, **kwargs: Any
    ) -> Projector:
        """A projector of several embeddings of the same rows (checkpoints, two models).

        Each step is validated like ``embeddings`` (errors name the step; dimensions may
        differ), laid out by its own PCA and aligned onto the step before by orthogonal
        Procrustes (:mod:`projector_widget.parts.timeline` says why), so only real movement
        shows. A slider and a play button step through them; :attr:`step` reads and sets the
        step shown, whose embeddings the neighbours, :meth:`query` and :attr:`embeddings` use;
        :meth:`drift` measures how rows moved; other projections run again on a new step.
        """
        steps = build_timeline(embeddings_list, names, copy=kwargs.get("copy"))
        return cls(steps.matrices[0].values, metadata, _sequence=steps, **kwargs)

    @property
    def steps(self) -> int:
        """Number of steps of a sequence (1 for a single embedding)."""
        return self._parts.timeline.count

    @property
    def step_names(self) -> list[str]:
        """The names of the steps of a sequence (``names=`` or 'step 0', 'step 1', ...)."""
        return self._parts.timeline.names

    def drift(self, k: int = 10, metric: str | None = None) -> Any:
        """How each row moved between the first step and the current one: a pandas DataFrame.

        ``displacement`` is the distance between the row's places in the two aligned layouts;
        ``neighbours shared`` the Jaccard overlap of its ``k`` nearest neighbours in the two
        original spaces (``metric``, the widget's by default; 1: same neighbours, 0: none in
        common). Both become metadata columns (colour by them; a column of the same name that
        you made is never overwritten: drift raises instead). Select the rows that moved most
        with :meth:`select_drifted` or ``w.selected = df.nlargest(20, "displacement").index``.
        """
        return self._parts.timeline.drift(self._parts.metadata, k, metric or self.metric)

    def select_drifted(self, top: int = 20) -> Rows:
        """Select the ``top`` rows that moved most since the first step (the ``displacement``
        of :meth:`drift`, without its neighbour comparison)."""
        rows = self._parts.timeline.most_moved(top)
        self.selected = rows
        return np.sort(rows)

    @classmethod
    def from_tensorboard(
        cls,
        logdir: Path,
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
        ``checkpoints="all"`` reads it from every checkpoint beside the latest that holds it
        (others skipped with a warning), oldest first, into a :meth:`sequence` of their names.
        """
        return files.from_tensorboard(
            cls, cls.sequence, logdir, tensor_name, checkpoints=checkpoints, kwargs=kwargs
        )

    def to_tensorboard(
        self, logdir: Path, *, tensor_name: str = "embedding", tensor_format: str = "auto"
    ) -> pathlib.Path:
        """Write a projector log directory TensorBoard shows (tensor, metadata, sprite, config).

        Every path is relative and inside ``logdir``. ``tensor_format`` is 'checkpoint' (needs
        TensorFlow), 'tsv', or 'auto'. Returns the config file's path. What is being written
        shows in the widget's status (a tqdm bar while no view is displayed).
        """
        return files.to_tensorboard(
            self._parts, logdir, tensor_name=tensor_name, tensor_format=tensor_format
        )

    @classmethod
    def from_tsv(
        cls, tensors_tsv: Path, metadata_tsv: Path | None = None, **kwargs: Any
    ) -> Projector:
        """A projector of the two TSV files projector.tensorflow.org loads."""
        return files.from_tsv(cls, tensors_tsv, metadata_tsv, kwargs)

    def to_tsv(self, folder: Path) -> tuple[pathlib.Path, pathlib.Path | None]:
        """Write ``tensors.tsv`` and ``metadata.tsv`` (tabs/newlines in labels become spaces)."""
        return files.to_tsv(self._parts, folder)

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
        return files.from_keras(cls, model_or_layer, layer_name, vocabulary, kwargs)

    def to_html(self, *, title: str = "projector-widget") -> str:
        """One self-contained HTML page with this view (opens offline, no kernel needed)."""
        return files.html_page(self._parts, self.get_state(), title=title)

    def save_html(self, path: Path, *, title: str = "projector-widget") -> pathlib.Path:
        """Write :meth:`to_html` to ``path``; returns the path."""
        out = pathlib.Path(path)
        out.write_text(self.to_html(title=title), encoding="utf-8")
        return out

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply state sent by the browser; a new selection is acknowledged before anything else.

        The browser holds back its redraw of a large selection until this receipt arrives (the
        message needs the page's main thread to leave it, and a redraw of a million points in
        software GL holds that thread for half a second). Observers run after the receipt.
        """
        if "selected" in sync_data:
            self.send(protocol.selected_ack())
        super().set_state(sync_data)

    def close(self) -> None:
        """Stop the widget's jobs and release its data; any later use but close() raises ClosedError."""
        if "_parts" in self.__dict__:  # not when the constructor failed before making them
            self._parts = self._parts.close()
        super().close()

    def _get_embed_state(self, drop_defaults: bool = False) -> dict[str, Any]:
        """What ``ipywidgets.embed`` saves: every row, also of a first value sent in parts."""
        state: dict[str, Any] = super()._get_embed_state(drop_defaults=drop_defaults)
        return self._parts.points.embed_state(state)
