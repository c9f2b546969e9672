"""UMAP with umap-learn (the ``umap`` extra), reporting its phases and epochs.

With the Euclidean or Manhattan metric the layout is computed on the first ``PCA_INPUT_DIMS``
principal components (as t-SNE is), which keeps the neighbour search fast on wide embeddings;
angular metrics (cosine, correlation) see the original vectors.

Threads: umap-learn runs single-threaded when it is given a seed (its rule: a parallel run is
not reproducible). So a seed (the default, 0) gives the same layout every time on one core, and
``seed=None`` uses every core, with a layout that differs from run to run. ``n_jobs`` is passed
to agree with the seed, so umap-learn has nothing to override (and no warning to give).
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType
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
    prepared_input,
    real_param,
)
from projector_widget.compute.projections.pca import pca
from projector_widget.util.extras import imported, require
from projector_widget.util.progress import OPTIMISING, Reporter, Sink
from projector_widget.util.threads import cpu_cores

PCA_INPUT_DIMS = 50

DEFAULTS: dict[str, Any] = {
    "n_neighbors": 15,
    "min_dist": 0.1,
    "metric": "euclidean",
    "seed": 0,
    "dims": 2,
}
METRICS = ("euclidean", "cosine", "manhattan", "correlation")


#: The most neighbours a UMAP graph may use.
MAX_NEIGHBORS = 1000


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Merge ``params`` over the defaults and validate them (every value umap-learn sees).

    ``seed`` may be None: no seed, every core (see the module docstring).
    """
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown UMAP parameter(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    p["n_neighbors"] = int_param("UMAP n_neighbors", p["n_neighbors"], low=2, high=MAX_NEIGHBORS)
    p["min_dist"] = real_param("UMAP min_dist", p["min_dist"], low=0.0, high=1.0)
    if p["metric"] not in METRICS:
        raise ValueError(f"UMAP metric must be one of {list(METRICS)}, got {p['metric']!r}")
    if p["seed"] is not None:
        try:
            p["seed"] = int_param("UMAP seed", p["seed"], low=0, high=SEED_MAX)
        except ValueError:
            raise ValueError(
                f"UMAP seed must be a whole number from 0 to {SEED_MAX}, or None to use every "
                f"core (a run with a seed is single-threaded), got {p['seed']!r}"
            ) from None
    p["dims"] = dims_param("UMAP", p["dims"])
    return p


def n_jobs(seed: int | None) -> int:
    """The threads umap-learn runs on: 1 with a seed (its rule), else every core it may use."""
    if seed is not None:
        return 1
    import numba  # umap-learn's compiler: its thread pool has at most NUMBA_NUM_THREADS

    return max(1, min(cpu_cores(), int(getattr(numba.config, "NUMBA_NUM_THREADS", cpu_cores()))))


#: The key of umap-learn's ``tqdm_kwds`` that carries an :class:`_Epochs` (see :func:`_own_epochs`).
EPOCHS_KEY = "projector_epochs"


class _Epochs:
    """umap-learn's epochs, counted here: each one done is reported from this generator, between
    two epochs, where umap-learn holds nothing, so a stop raised by the report
    (``progress.Stopped``) just ends its loop.

    They were read from the text of a tqdm bar before: a stop raised inside tqdm's display, while
    tqdm's process-wide lock was held, and the dead job thread kept the lock (every later bar in
    the process, the user's own included, waited for it forever).
    """

    def __init__(self, report: Reporter) -> None:
        self.report = report

    def __call__(self, epochs: range) -> Iterator[int]:
        self.report.phase(OPTIMISING, len(epochs), unit="epochs")
        for done, epoch in enumerate(epochs, 1):
            yield epoch
            self.report.update(done)


#: What a missing umap-learn says, and the extra that installs it.
NEED = ("UMAP needs umap-learn", "umap")
#: umap-learn's module of ParametricUMAP, which imports TensorFlow (see :func:`import_umap`).
PARAMETRIC = "umap.parametric_umap"
#: What umap-learn's package takes from :data:`PARAMETRIC`.
PARAMETRIC_NAMES = ("ParametricUMAP", "load_ParametricUMAP")
_import_lock = threading.Lock()


def require_umap() -> None:
    """Raise :class:`~projector_widget.util.extras.MissingExtra` when umap-learn is not
    installed (without importing it)."""
    require("umap", *NEED)


def import_umap() -> ModuleType:
    """umap-learn's package, imported without TensorFlow.

    umap-learn's ``__init__`` imports its ParametricUMAP module, which imports TensorFlow when
    it is installed: 5 s and a screen of TensorFlow's log lines for a UMAP that never uses it.
    Unless TensorFlow is already imported, that module is blocked while the package imports
    (``sys.modules[name] = None``, which makes its import raise ImportError: Python's documented
    way to block a module; umap-learn then falls back as it does without TensorFlow), and the
    package's ``ParametricUMAP`` and ``load_ParametricUMAP`` import it on first use, so they
    work as before. Raises :class:`~projector_widget.util.extras.MissingExtra` without
    umap-learn.
    """
    with _import_lock:
        module = sys.modules.get("umap")
        if module is not None:
            return module
        block = "tensorflow" not in sys.modules and PARAMETRIC not in sys.modules
        if block:
            sys.modules[PARAMETRIC] = None  # type: ignore[assignment]
        try:
            with warnings.catch_warnings():  # "Tensorflow not installed": it is, just not loaded
                warnings.simplefilter("ignore", ImportWarning)
                module = imported("umap", *NEED)
        finally:
            if block and PARAMETRIC in sys.modules and sys.modules[PARAMETRIC] is None:
                del sys.modules[PARAMETRIC]
        if block:
            _parametric_on_first_use(module)
        return module


def _parametric_on_first_use(module: ModuleType) -> None:
    """Give umap-learn's package a module ``__getattr__`` (PEP 562) that imports
    :data:`PARAMETRIC` when one of :data:`PARAMETRIC_NAMES` is first asked for (the fallbacks
    umap-learn defined, when it cannot be imported)."""
    fallbacks = {
        name: module.__dict__.pop(name) for name in PARAMETRIC_NAMES if name in vars(module)
    }

    def __getattr__(name: str) -> Any:
        if name not in PARAMETRIC_NAMES:
            raise AttributeError(f"module 'umap' has no attribute {name!r}")
        try:
            value = getattr(importlib.import_module(PARAMETRIC), name)
        except ImportError:
            if name not in fallbacks:
                raise
            value = fallbacks[name]
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]


@functools.cache
def _own_epochs() -> bool:
    """Let a UMAP given an :class:`_Epochs` in its ``tqdm_kwds`` count its epochs with it.

    umap-learn loops over its epochs with ``tqdm(range(n_epochs), **tqdm_kwds)``, tqdm being
    ``umap.layouts.tqdm``: that name becomes a function which hands the epochs to the
    :class:`_Epochs` when ``tqdm_kwds`` has one (our models) and calls tqdm as before otherwise
    (the user's own UMAPs). Returns False when this umap-learn has no such loop (the epochs then
    go unreported).
    """
    import_umap()  # umap.layouts imports the package first
    from umap import layouts

    bar = getattr(layouts, "tqdm", None)
    if bar is None:
        return False

    def epochs(iterable: Any = None, *args: Any, **kwds: Any) -> Any:
        counted = kwds.pop(EPOCHS_KEY, None)
        return bar(iterable, *args, **kwds) if counted is None else counted(iterable)

    layouts.tqdm = epochs
    return True


@functools.cache
def _reporting_umap() -> Any:
    """umap-learn's UMAP, reporting the start of the embedding (spectral initialisation)."""
    umap_learn: Any = import_umap()

    class ReportingUMAP(umap_learn.UMAP):
        report = Reporter()

        def _fit_embed_data(
            self, X: Any, n_epochs: Any, init: Any, random_state: Any, **kw: Any
        ) -> Any:
            self.report.phase("initialising layout")
            return super()._fit_embed_data(X, n_epochs, init, random_state, **kw)

    return ReportingUMAP


def make_model(p: dict[str, Any], report: Reporter | None = None) -> Any:
    """The umap-learn estimator for checked parameters ``p`` (its epochs go to ``report``)."""
    report = report or Reporter()
    tqdm_kwds: dict[str, Any] = {"disable": True}
    if report.active and _own_epochs():
        tqdm_kwds[EPOCHS_KEY] = _Epochs(report)
    model = _reporting_umap()(
        n_neighbors=p["n_neighbors"],
        min_dist=p["min_dist"],
        metric=p["metric"],
        n_components=p["dims"],
        random_state=p["seed"],
        n_jobs=n_jobs(p["seed"]),
        tqdm_kwds=tqdm_kwds,
        verbose=False,
    )
    model.report = report
    return model


def umap(
    x: npt.NDArray[np.float32],
    params: dict[str, Any] | None = None,
    *,
    on_progress: Sink | None = None,
) -> npt.NDArray[np.float32]:
    """Return the UMAP layout (N, dims) of the rows of ``x``.

    ``on_progress`` receives the phases (:class:`~projector_widget.util.progress.Update`): the
    neighbour graph, the initial layout, then the optimisation epoch by epoch.
    """
    p = check_params(params or {})
    if x.shape[0] <= p["n_neighbors"]:
        raise ValueError(
            f"UMAP needs more points ({x.shape[0]}) than n_neighbors ({p['n_neighbors']})"
        )
    report = Reporter(on_progress)
    report.phase("building the neighbour graph")
    model = make_model(p, report)
    linear = p["metric"] in ("euclidean", "manhattan")
    inputs = prepared_input(x, "UMAP", centre=linear)
    if linear and x.shape[1] > PCA_INPUT_DIMS:
        seed = 0 if p["seed"] is None else p["seed"]
        inputs = prepared_input(pca(inputs, PCA_INPUT_DIMS, seed=seed).coords, "UMAP")
    layout = model.fit_transform(inputs)
    report.flush()
    return finite_layout(np.asarray(layout, dtype=np.float32), "UMAP")


# ----------------------------------------------------------------------------- the method
def _run(rows: npt.NDArray[np.float32], params: dict[str, Any], hooks: Hooks) -> np.ndarray:
    return umap(rows, params, on_progress=hooks.progress)


METHOD = Method(
    name="umap",
    label="UMAP",
    kind="iterative",
    defaults=DEFAULTS,
    check=lambda params, _inputs: check_params(params),
    run=_run,
    choices={"metric": METRICS},
    aliases={"random_state": "seed", "n_components": "dims"},
    needs=require_umap,
)
