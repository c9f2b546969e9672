"""UMAP with umap-learn (the ``umap`` extra), reporting progress per epoch.

With the Euclidean or Manhattan metric the layout is computed on the first ``PCA_INPUT_DIMS``
principal components (as t-SNE is), which keeps the neighbour search fast on wide embeddings;
angular metrics (cosine, correlation) see the original vectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .base import (
    SEED_MAX,
    Hooks,
    Method,
    dims_param,
    finite_layout,
    int_param,
    prepared_input,
    real_param,
)
from .pca import pca

PCA_INPUT_DIMS = 50

DEFAULTS: dict[str, Any] = {
    "n_neighbors": 15,
    "min_dist": 0.1,
    "metric": "euclidean",
    "seed": 0,
    "dims": 2,
}
METRICS = ("euclidean", "cosine", "manhattan", "correlation")

#: ``on_progress(done, total, message)``.
ProgressCallback = Callable[[int, int, str], None]


#: The most neighbours a UMAP graph may use.
MAX_NEIGHBORS = 1000


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Merge ``params`` over the defaults and validate them (every value umap-learn sees)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown UMAP parameter(s) {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    p["n_neighbors"] = int_param("UMAP n_neighbors", p["n_neighbors"], low=2, high=MAX_NEIGHBORS)
    p["min_dist"] = real_param("UMAP min_dist", p["min_dist"], low=0.0, high=1.0)
    if p["metric"] not in METRICS:
        raise ValueError(f"UMAP metric must be one of {list(METRICS)}, got {p['metric']!r}")
    p["seed"] = int_param("UMAP seed", p["seed"], low=0, high=SEED_MAX)
    p["dims"] = dims_param("UMAP", p["dims"])
    return p


class _EpochWriter:
    """A file-like object for tqdm: turns its progress lines into ``on_progress`` calls."""

    _pattern = re.compile(r"(\d+)/(\d+)")

    def __init__(self, on_progress: ProgressCallback) -> None:
        self.on_progress = on_progress

    def write(self, text: str) -> int:
        match = None
        for match in self._pattern.finditer(text):  # noqa: B007 - keep the last
            pass
        if match:
            self.on_progress(int(match.group(1)), int(match.group(2)), "optimising layout")
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""


def umap(
    x: npt.NDArray[np.float32],
    params: dict[str, Any] | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> npt.NDArray[np.float32]:
    """Return the UMAP layout (N, dims) of the rows of ``x``."""
    p = check_params(params or {})
    if x.shape[0] <= p["n_neighbors"]:
        raise ValueError(
            f"UMAP needs more points ({x.shape[0]}) than n_neighbors ({p['n_neighbors']})"
        )
    if on_progress:
        on_progress(0, 1, "building the neighbour graph")
    try:
        import umap as umap_learn
    except ImportError:
        raise ImportError('UMAP needs umap-learn: pip install "projector-widget[umap]"') from None
    linear = p["metric"] in ("euclidean", "manhattan")
    inputs = prepared_input(x, "UMAP", centre=linear)
    if linear and x.shape[1] > PCA_INPUT_DIMS:
        inputs = prepared_input(pca(inputs, PCA_INPUT_DIMS, seed=p["seed"]).coords, "UMAP")
    tqdm_kwds: dict[str, Any] = {"disable": True}
    if on_progress is not None:
        tqdm_kwds = {"disable": False, "file": _EpochWriter(on_progress), "mininterval": 0.25}
    model = umap_learn.UMAP(
        n_neighbors=p["n_neighbors"],
        min_dist=p["min_dist"],
        metric=p["metric"],
        n_components=p["dims"],
        random_state=p["seed"],
        tqdm_kwds=tqdm_kwds,
        verbose=False,
    )
    return finite_layout(np.asarray(model.fit_transform(inputs), dtype=np.float32), "UMAP")


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
)
