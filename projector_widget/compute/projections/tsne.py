"""t-SNE with openTSNE (the ``tsne`` extra), streaming intermediate layouts.

The layout is computed on at most ``PCA_INPUT_DIMS`` principal components of the input (standard
practice: it keeps the neighbour search fast and drops noise dimensions), with a fixed seed.
It runs in phases, each reported before it starts, so the status never sits silently at the
first iteration: reducing the input, the starting layout, the affinities (the k-NN index, the
k-NN search row by row, the perplexity calibration) and the optimisation. ``n_jobs`` threads
(every core by default) build and search the k-NN index and compute the gradients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.projections.base import (
    SEED_MAX,
    Hooks,
    Method,
    dims_param,
    finite_layout,
    int_param,
    n_jobs_param,
    prepared_input,
    real_param,
    threads,
)
from projector_widget.compute.projections.pca import pca
from projector_widget.util.extras import imported, require
from projector_widget.util.progress import OPTIMISING, Reporter, Sink, Stopped

PCA_INPUT_DIMS = 50

#: Defaults shown in the UI and used by ``Projector.project("tsne")``.
DEFAULTS: dict[str, Any] = {
    "perplexity": 30.0,
    "learning_rate": "auto",
    "n_iter": 500,
    "seed": 0,
    "dims": 2,
    "n_jobs": -1,
}

#: ``on_frame(iteration, total, coords)`` returns True to stop early.
FrameCallback = Callable[[int, int, npt.NDArray[np.float32]], bool]


#: The most iterations a run may ask for (each is a pass of the gradient over every point).
MAX_ITERATIONS = 100_000
#: Below this many rows the neighbours are exact (openTSNE's own rule), above it Annoy's.
EXACT_KNN_ROWS = 1000
#: Annoy trees (openTSNE's default) and rows per k-NN search task (a progress step, and how
#: long a stop may wait: a row takes about a millisecond).
ANNOY_TREES = 50
KNN_CHUNK = 256


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Merge ``params`` over the defaults and validate them (ValueError with the fix).

    Every value openTSNE receives is checked here: a NaN or infinite perplexity or learning
    rate crashes its native code instead of failing.
    """
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown t-SNE parameter(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    p["perplexity"] = real_param("t-SNE perplexity", p["perplexity"], low=1.0)
    if p["learning_rate"] != "auto":
        p["learning_rate"] = real_param(
            "t-SNE learning_rate", p["learning_rate"], low=0.0, low_open=True, extra="or 'auto'"
        )
    p["n_iter"] = int_param("t-SNE n_iter", p["n_iter"], low=1, high=MAX_ITERATIONS)
    p["seed"] = int_param("t-SNE seed", p["seed"], low=0, high=SEED_MAX)
    p["dims"] = dims_param("t-SNE", p["dims"])
    p["n_jobs"] = n_jobs_param("t-SNE n_jobs", p["n_jobs"])
    return p


#: What a missing openTSNE says, and the extra that installs it.
NEED = ("t-SNE needs openTSNE", "tsne")


def require_opentsne() -> None:
    """Raise :class:`~projector_widget.util.extras.MissingExtra` when openTSNE is not installed
    (without importing it)."""
    require("openTSNE", *NEED)


def import_opentsne() -> Any:
    """openTSNE, or :class:`~projector_widget.util.extras.MissingExtra` naming the extra."""
    return imported("openTSNE", *NEED)


def tsne(
    x: npt.NDArray[np.float32],
    params: dict[str, Any] | None = None,
    *,
    on_frame: FrameCallback | None = None,
    on_progress: Sink | None = None,
    every: int = 10,
    preview: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Return the t-SNE layout (N, dims) of the rows of ``x``.

    ``on_frame`` receives every ``every``-th intermediate layout (and the initial one, at
    iteration 0) and may return True to stop: the layout reached so far is returned.
    ``on_progress`` receives the phases (:class:`~projector_widget.util.progress.Update`; it may
    raise ``progress.Stopped``, which stops the run). ``preview`` (e.g. the PCA layout already on
    screen) is sent as the very first frame, before any t-SNE work, so the user sees the run
    start at once.
    """
    openTSNE = import_opentsne()
    p = check_params(params or {})
    report = Reporter(on_progress)
    reduce = x.shape[1] > PCA_INPUT_DIMS
    report.phase(f"reducing to {PCA_INPUT_DIMS} principal components" if reduce else "preparing")
    early = early_iterations(p["n_iter"])
    total = early + p["n_iter"]  # every iteration openTSNE runs: the exaggeration, then n_iter
    if on_frame is not None and preview is not None:
        if on_frame(0, total, np.asarray(preview, np.float32)):
            return np.asarray(preview, np.float32)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {n}")
    perplexity = min(p["perplexity"], max(1.0, (n - 1) / 3.0))
    inputs = prepared_input(x, "t-SNE")
    if reduce:
        inputs = prepared_input(pca(inputs, PCA_INPUT_DIMS, seed=p["seed"]).coords, "t-SNE")
    counter = Iterations(early)

    def callback(iteration: int, _error: float, embedding: np.ndarray) -> bool:
        done = counter.done(iteration)
        try:
            report.update(done)
        except Stopped:
            counter.stopped = True
            return True  # openTSNE stops and returns the layout reached so far
        if on_frame is not None and on_frame(done, total, np.asarray(embedding, np.float32)):
            counter.stopped = True
        return counter.stopped

    method = "fft" if p["dims"] == 2 else "bh"
    model = openTSNE.TSNE(
        n_components=p["dims"],
        perplexity=perplexity,
        learning_rate=p["learning_rate"],
        early_exaggeration_iter=early,
        n_iter=p["n_iter"],
        negative_gradient_method=method,
        callbacks=[counter.calling(callback)],
        callbacks_every_iters=every,
        random_state=p["seed"],
        n_jobs=p["n_jobs"],
        verbose=False,
    )
    # The starting layout (scaled PCA) is shown at once, before the neighbour graph is built.
    report.phase("initialising layout")
    init = openTSNE.initialization.pca(inputs, n_components=p["dims"], random_state=p["seed"])
    if on_frame is not None and on_frame(0, total, init.astype(np.float32)):
        return init.astype(np.float32)
    affinities = _affinities(
        openTSNE, inputs, perplexity=perplexity, seed=p["seed"], n_jobs=p["n_jobs"], report=report
    )
    report.phase(OPTIMISING, total)
    embedding = model.fit(affinities=affinities, initialization=init)
    if not counter.stopped:  # every iteration ran (the last ones after the last callback)
        report.update(total)
    report.flush()
    return finite_layout(np.asarray(embedding, dtype=np.float32), "t-SNE")


def early_iterations(n_iter: int) -> int:
    """The early exaggeration iterations before ``n_iter`` main ones: a third of them, at most
    250 (openTSNE's default)."""
    return min(250, max(1, n_iter // 3))


class Iterations:
    """Counts the iterations openTSNE ran, over its two phases (early exaggeration, then the
    main one), from its callbacks: each phase numbers its own iterations from 1, and announces
    its start to callback objects (``optimization_about_to_start``)."""

    def __init__(self, early: int) -> None:
        self.early = early
        self.phases = 0
        #: Set when a callback asked openTSNE to stop.
        self.stopped = False

    def done(self, iteration: int) -> int:
        """Iterations run so far when phase ``self.phases`` is at its ``iteration``."""
        return iteration + (self.early if self.phases > 1 else 0)

    def calling(self, callback: Callable[[int, float, np.ndarray], bool]) -> Any:
        """An openTSNE callback object that calls ``callback`` and counts the phases."""
        counter = self

        class Callback:
            def optimization_about_to_start(self) -> None:
                counter.phases += 1

            def __call__(self, iteration: int, error: float, embedding: np.ndarray) -> bool:
                return callback(iteration, error, embedding)

        return Callback()


def _affinities(
    openTSNE: Any,
    x: npt.NDArray[np.float32],
    *,
    perplexity: float,
    seed: int,
    n_jobs: int,
    report: Reporter,
) -> Any:
    """openTSNE's perplexity-based affinities of the rows of ``x``, reporting their steps.

    Below ``EXACT_KNN_ROWS`` rows openTSNE finds exact neighbours (a moment); above, the Annoy
    index openTSNE uses is built and searched here in chunks, so the search reports its rows.
    """
    n = x.shape[0]
    if n < EXACT_KNN_ROWS:
        report.phase("computing affinities", detail="exact k-NN")
        return openTSNE.affinity.PerplexityBasedNN(
            x, perplexity=perplexity, method="exact", n_jobs=n_jobs, random_state=seed
        )
    k = min(n - 1, int(3 * perplexity))  # openTSNE's k for a perplexity
    index = _reporting_annoy(openTSNE)(x, k, metric="euclidean", n_jobs=n_jobs, random_state=seed)
    index.report = report
    return openTSNE.affinity.PerplexityBasedNN(
        knn_index=index, perplexity=perplexity, n_jobs=n_jobs
    )


def _reporting_annoy(openTSNE: Any) -> Any:
    """A subclass of openTSNE's Annoy k-NN index whose :meth:`build` reports progress."""

    class ReportingAnnoy(openTSNE.nearest_neighbors.Annoy):
        report = Reporter()

        def build(self) -> tuple[np.ndarray, np.ndarray]:
            return _annoy_neighbours(self, self.report)

    return ReportingAnnoy


def _annoy_neighbours(index: Any, report: Reporter) -> tuple[np.ndarray, np.ndarray]:
    """The ``index.k`` nearest neighbours of every row of ``index.data`` (itself excluded)
    and their distances, with openTSNE's Annoy: rows added, trees built, then every row
    searched in chunks on ``index.n_jobs`` threads, at most two chunks a thread in flight (so a
    pause or a stop takes effect within a chunk)."""
    from openTSNE.dependencies.annoy import AnnoyIndex

    data, k = index.data, index.k
    n, d = data.shape
    annoy = AnnoyIndex(d, "euclidean")
    annoy.set_seed(np.random.RandomState(index.random_state).randint(np.iinfo(np.int32).max))
    report.phase("computing affinities", n, unit="%", detail="k-NN index")
    for i in range(n):
        annoy.add_item(i, data[i])
        if i % 4096 == 4095:
            report.update(i + 1)
    report.phase("computing affinities", detail="k-NN trees")
    # On one thread: Annoy's trees depend on how many threads build them, and a seed gives the
    # same layout whatever n_jobs (the trees are a small part of the k-NN time; the search and
    # openTSNE's gradients, which use n_jobs, give the same result on any number of threads).
    annoy.build(ANNOY_TREES, n_jobs=1)
    index.index = annoy
    neighbours = np.empty((n, k), np.int64)
    distances = np.empty((n, k), np.float64)

    ended = threading.Event()  # the search stopped (or failed): running tasks end at once

    def search(start: int) -> int:
        stop = min(n, start + KNN_CHUNK)
        for i in range(start, stop):
            if ended.is_set():
                return 0
            ids, dist = annoy.get_nns_by_item(i, k + 1, include_distances=True)
            neighbours[i] = ids[1:]  # the row itself comes first
            distances[i] = dist[1:]
        return stop - start

    report.phase("computing affinities", n, unit="%", detail="k-NN search")
    workers = threads(index.n_jobs)
    done = 0
    with ThreadPoolExecutor(workers, thread_name_prefix="projector-knn") as pool:
        pending: list[Future[int]] = []
        try:
            for start in range(0, n, KNN_CHUNK):
                pending.append(pool.submit(search, start))
                if len(pending) >= 2 * workers:
                    done += pending.pop(0).result()
                    report.update(done)
            for future in pending:
                done += future.result()
                report.update(done)
        finally:
            ended.set()
            for future in pending:
                future.cancel()
    report.phase("computing affinities", detail="perplexities")
    return neighbours, distances


# ----------------------------------------------------------------------------- the method
def _run(rows: npt.NDArray[np.float32], params: dict[str, Any], hooks: Hooks) -> np.ndarray:
    return tsne(
        rows, params, on_frame=hooks.frame, on_progress=hooks.progress, preview=hooks.preview
    )


METHOD = Method(
    name="tsne",
    label="t-SNE",
    kind="iterative",
    defaults=DEFAULTS,
    check=lambda params, _inputs: check_params(params),
    run=_run,
    streams_frames=True,
    aliases={"random_state": "seed", "n_components": "dims", "max_iter": "n_iter"},
    needs=require_opentsne,
)
