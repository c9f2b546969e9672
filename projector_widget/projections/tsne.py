"""t-SNE with openTSNE (the ``tsne`` extra), streaming intermediate layouts.

The layout is computed on at most ``PCA_INPUT_DIMS`` principal components of the input (standard
practice: it keeps the neighbour search fast and drops noise dimensions), with a fixed seed.
"""

from __future__ import annotations

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

#: Defaults shown in the UI and used by ``Projector.project("tsne")``.
DEFAULTS: dict[str, Any] = {
    "perplexity": 30.0,
    "learning_rate": "auto",
    "n_iter": 500,
    "seed": 0,
    "dims": 2,
}

#: ``on_frame(iteration, total, coords)`` returns True to stop early.
FrameCallback = Callable[[int, int, npt.NDArray[np.float32]], bool]


#: The most iterations a run may ask for (each is a pass of the gradient over every point).
MAX_ITERATIONS = 100_000


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
    return p


def _import_opentsne() -> Any:
    try:
        import openTSNE
    except ImportError:
        raise ImportError('t-SNE needs openTSNE: pip install "projector-widget[tsne]"') from None
    return openTSNE


def tsne(
    x: npt.NDArray[np.float32],
    params: dict[str, Any] | None = None,
    *,
    on_frame: FrameCallback | None = None,
    every: int = 10,
    n_jobs: int = 2,
    preview: npt.NDArray[np.float32] | None = None,
) -> npt.NDArray[np.float32]:
    """Return the t-SNE layout (N, dims) of the rows of ``x``.

    ``on_frame`` receives every ``every``-th intermediate layout (and the initial one, at
    iteration 0) and may return True to stop: the layout reached so far is returned.
    ``preview`` (e.g. the PCA layout already on screen) is sent as the very first frame, before
    any t-SNE work, so the user sees the run start at once.
    """
    openTSNE = _import_opentsne()
    p = check_params(params or {})
    if on_frame is not None and preview is not None:
        total_guess = min(250, max(1, p["n_iter"] // 3)) + p["n_iter"]
        if on_frame(0, total_guess, np.asarray(preview, np.float32)):
            return np.asarray(preview, np.float32)
    n = x.shape[0]
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points, got {n}")
    perplexity = min(p["perplexity"], max(1.0, (n - 1) / 3.0))
    inputs = prepared_input(x, "t-SNE")
    if x.shape[1] > PCA_INPUT_DIMS:
        inputs = prepared_input(pca(inputs, PCA_INPUT_DIMS, seed=p["seed"]).coords, "t-SNE")
    early = min(250, max(1, p["n_iter"] // 3))
    total = early + p["n_iter"]
    state = {"done": 0}

    def callback(iteration: int, _error: float, embedding: np.ndarray) -> bool:
        state["done"] += every
        if on_frame is None:
            return False
        return bool(on_frame(min(state["done"], total), total, np.asarray(embedding, np.float32)))

    method = "fft" if p["dims"] == 2 else "bh"
    model = openTSNE.TSNE(
        n_components=p["dims"],
        perplexity=perplexity,
        learning_rate=p["learning_rate"],
        early_exaggeration_iter=early,
        n_iter=p["n_iter"],
        negative_gradient_method=method,
        callbacks=callback if on_frame is not None else None,
        callbacks_every_iters=every,
        random_state=p["seed"],
        n_jobs=n_jobs,
        verbose=False,
    )
    # The starting layout (scaled PCA) is shown at once, before the neighbour graph is built.
    init = openTSNE.initialization.pca(inputs, n_components=p["dims"], random_state=p["seed"])
    if on_frame is not None and on_frame(0, total, init.astype(np.float32)):
        return init.astype(np.float32)
    affinities = openTSNE.affinity.PerplexityBasedNN(
        inputs, perplexity=perplexity, n_jobs=n_jobs, random_state=p["seed"], verbose=False
    )
    embedding = model.fit(affinities=affinities, initialization=init)
    return finite_layout(np.asarray(embedding, dtype=np.float32), "t-SNE")


# ----------------------------------------------------------------------------- the method
def _run(rows: npt.NDArray[np.float32], params: dict[str, Any], hooks: Hooks) -> np.ndarray:
    return tsne(rows, params, on_frame=hooks.frame, preview=hooks.preview)


METHOD = Method(
    name="tsne",
    label="t-SNE",
    kind="iterative",
    defaults=DEFAULTS,
    check=lambda params, _inputs: check_params(params),
    run=_run,
    streams_frames=True,
    aliases={"random_state": "seed", "n_components": "dims", "max_iter": "n_iter"},
)
