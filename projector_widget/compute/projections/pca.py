"""Principal component analysis on every row, fast enough for 1M x 768 on two cores.

Two paths, one result type:

* exact (up to ``EXACT_MAX_ROWS`` rows): centre, form the covariance (or Gram matrix when there
  are more dimensions than rows) and take its eigenvectors in float64;
* large inputs: a subspace iteration seeded from a sample. The exact PCA of a random sample gives
  a ``k + oversample`` dimensional starting subspace; one power iteration over *all* rows refines
  it, and a Rayleigh-Ritz step on all rows (the covariance of every row restricted to the
  subspace) gives the components and their variances. Each pass over the data is one BLAS
  matrix product, so 1M x 768 float32 costs three reads of the matrix. The centring never
  materialises ``X - mean``: centring the thin products is equivalent and free.

Signs are deterministic: each component is flipped so its largest-magnitude loading is positive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from projector_widget.compute.projections.base import Inputs, Layout, Method, PCAResult
from projector_widget.util.progress import Stopped

#: Inputs with at most this many rows are solved exactly.
EXACT_MAX_ROWS = 60_000
#: Rows in the sample that seeds the subspace for large inputs (its covariance costs
#: 2 * rows * D^2 flops: 0.2 s for 768 dimensions on two cores).
SAMPLE_ROWS = 20_000
#: Extra subspace dimensions beyond the components asked for.
OVERSAMPLE = 20


def pca(
    x: npt.NDArray[np.float32],
    n_components: int = 10,
    *,
    seed: int = 0,
    sq_norms: npt.NDArray[np.float32] | None = None,
    exact_max_rows: int = EXACT_MAX_ROWS,
    sample_rows: int = SAMPLE_ROWS,
    power_iterations: int = 1,
    keep_subspace: bool = False,
    stopped: Callable[[], bool] | None = None,
) -> PCAResult:
    """Return the PCA of the rows of ``x`` with up to ``n_components`` components.

    Parameters
    ----------
    x:
        (N, D) float32 matrix, C-contiguous.
    n_components:
        Components wanted; fewer are returned when ``min(N, D)`` is smaller.
    seed:
        Seed of the sample that starts the iterative solver (results do not depend on it beyond
        rounding when the leading eigenvalues are distinct).
    sq_norms:
        Precomputed squared row norms (used for the total variance on the iterative path).
    exact_max_rows:
        Row count up to which the exact solver is used.
    sample_rows:
        Rows of the random sample whose exact PCA seeds the subspace on the iterative path.
    power_iterations:
        Passes that refine the sampled subspace on all rows before the final Rayleigh-Ritz step.
    keep_subspace:
        Return the iterative path's subspace and every row's scores on it (N x w floats).
    stopped:
        Asked before each pass over the rows of the iterative path: True raises
        :class:`~projector_widget.util.progress.Stopped` there (a closed widget's refinement).
    """
    if x.ndim != 2:
        raise ValueError(f"pca expects a 2-D matrix, got shape {x.shape}")
    n, d = x.shape
    k = max(0, min(n_components, d, n))
    if n < 2 or k == 0:
        mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
        return PCAResult(
            coords=np.zeros((n, max(k, 1)), np.float32)[:, :k],
            components=np.zeros((k, d), np.float32),
            explained_variance=np.zeros(k),
            explained_variance_ratio=np.zeros(k),
            mean=mean,
        )
    if n <= exact_max_rows:
        return _pca_exact(x, k)
    return _pca_subspace(
        x,
        k,
        seed=seed,
        sq_norms=sq_norms,
        sample_rows=sample_rows,
        power_iterations=power_iterations,
        keep_subspace=keep_subspace,
        stopped=stopped or (lambda: False),
    )


def flip_signs(components: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Make the largest-magnitude loading of each component (row) positive."""
    idx = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(components.shape[0]), idx])
    signs[signs == 0] = 1.0
    return components * signs[:, None]


def _pca_exact(x: npt.NDArray[np.float32], k: int) -> PCAResult:
    n, d = x.shape
    mean64 = x.mean(axis=0, dtype=np.float64)
    xc = (x - mean64).astype(np.float64)
    total = float(np.einsum("ij,ij->", xc, xc)) / (n - 1)
    if d <= n:
        cov = (xc.T @ xc) / (n - 1)
        evals, evecs = np.linalg.eigh(cov)
        order = np.argsort(evals)[::-1][:k]
        evals = np.clip(evals[order], 0.0, None)
        comps = evecs[:, order].T
    else:
        gram = (xc @ xc.T) / (n - 1)
        evals, evecs = np.linalg.eigh(gram)
        order = np.argsort(evals)[::-1][:k]
        evals = np.clip(evals[order], 0.0, None)
        # Right singular vectors from the left ones: v = Xc^T u / |Xc^T u|.
        comps = (xc.T @ evecs[:, order]).T
        norms = np.linalg.norm(comps, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        comps = comps / norms
    comps = flip_signs(comps)
    coords = (xc @ comps.T).astype(np.float32)
    return PCAResult(
        coords=coords,
        components=comps.astype(np.float32),
        explained_variance=evals,
        explained_variance_ratio=evals / total if total > 0 else np.zeros_like(evals),
        mean=mean64.astype(np.float32),
    )


def _sample_eig(
    x: npt.NDArray[np.float32], sample_rows: int, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean, eigenvalues (descending) and eigenvectors (columns) of a random sample's covariance.

    The covariance is a float32 product (BLAS) solved in float64; divided by ``rows - 1``.
    """
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, sample_rows), replace=False))
    xs = x[sample]
    mean = xs.mean(axis=0, dtype=np.float64)
    xs -= mean.astype(np.float32)
    cov = (xs.T @ xs).astype(np.float64) / max(1, sample.size - 1)
    evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(evals)[::-1]
    return mean, np.clip(evals[order], 0.0, None), evecs[:, order]


def sample_pca(
    x: npt.NDArray[np.float32],
    n_components: int = 10,
    *,
    seed: int = 0,
    sample_rows: int = SAMPLE_ROWS,
) -> PCAResult:
    """The PCA of a random sample of rows, with every row projected on its axes.

    One thin pass over the data (N x D x k flops, bound by memory bandwidth): the widget's first
    frame on large inputs, replaced by :func:`pca` on every row once that has run. Variances are
    the sample's. Inputs no larger than the sample get the exact PCA.
    """
    if x.ndim != 2:
        raise ValueError(f"sample_pca expects a 2-D matrix, got shape {x.shape}")
    n, d = x.shape
    if n <= sample_rows:
        return pca(x, n_components, exact_max_rows=max(n, 1))
    k = max(0, min(n_components, d))
    mean, evals, evecs = _sample_eig(x, sample_rows, seed)
    comps = flip_signs(evecs[:, :k].T).astype(np.float32)
    coords = x @ comps.T
    coords -= (mean @ comps.T.astype(np.float64)).astype(np.float32)
    total = float(evals.sum())
    return PCAResult(
        coords=np.ascontiguousarray(coords),
        components=comps,
        explained_variance=evals[:k],
        explained_variance_ratio=evals[:k] / total if total > 0 else np.zeros(k),
        mean=mean.astype(np.float32),
    )


def _centred_product(x: npt.NDArray[np.float32], basis: npt.NDArray[np.float32]) -> np.ndarray:
    """(X - mean) @ basis without forming X - mean: centre the thin product instead."""
    y = x @ basis
    y -= y.mean(axis=0, dtype=np.float64).astype(np.float32)
    return y


def _column_mean(x: npt.NDArray[np.float32], chunk: int = 65536) -> npt.NDArray[np.float64]:
    """Mean row: float32 BLAS sums over blocks of rows, accumulated in float64.

    One bandwidth-bound pass (``x.mean(dtype=float64)`` converts every element and is ~4x
    slower at 1M x 768); within a block the float32 error is ~1e-7 relative.
    """
    ones = np.ones(min(chunk, x.shape[0]), np.float32)
    total = np.zeros(x.shape[1])
    for start in range(0, x.shape[0], chunk):
        block = x[start : start + chunk]
        total += ones[: block.shape[0]] @ block
    return total / x.shape[0]


def _gram64(y: npt.NDArray[np.float32], chunk: int = 65536) -> npt.NDArray[np.float64]:
    """y^T y accumulated in float64, a block of rows at a time (no full float64 copy of y)."""
    out = np.zeros((y.shape[1], y.shape[1]))
    for start in range(0, y.shape[0], chunk):
        block = y[start : start + chunk].astype(np.float64)
        out += block.T @ block
    return out


def _pca_subspace(
    x: npt.NDArray[np.float32],
    k: int,
    *,
    seed: int,
    sq_norms: npt.NDArray[np.float32] | None,
    sample_rows: int,
    power_iterations: int,
    keep_subspace: bool,
    stopped: Callable[[], bool],
) -> PCAResult:
    def next_pass() -> None:
        if stopped():
            raise Stopped

    n, d = x.shape
    width = min(d, k + OVERSAMPLE)
    next_pass()
    _mean, _evals, evecs = _sample_eig(x, sample_rows, seed)
    basis = np.ascontiguousarray(evecs[:, :width], dtype=np.float32)

    next_pass()
    y = _centred_product(x, basis)
    for _ in range(power_iterations):
        # Columns of y are centred, so X^T y == (X - mean)^T y.
        next_pass()
        w = (x.T @ y).astype(np.float64)
        basis = np.ascontiguousarray(np.linalg.qr(w)[0], dtype=np.float32)
        next_pass()
        y = _centred_product(x, basis)

    # Rayleigh-Ritz on all rows: covariance restricted to the subspace.
    small = _gram64(y) / (n - 1)
    evals, evecs = np.linalg.eigh(small)
    order = np.argsort(evals)[::-1][:k]
    evals = np.clip(evals[order], 0.0, None)
    rot = evecs[:, order]
    comps = (basis.astype(np.float64) @ rot).T
    flipped = flip_signs(comps)
    signs = np.sign(np.sum(flipped * comps, axis=1))
    coords = (y @ (rot * signs[None, :]).astype(np.float32)).astype(np.float32, copy=False)

    next_pass()
    mean64 = _column_mean(x)
    if sq_norms is None:
        next_pass()
        sq_total = float(np.einsum("ij,ij->", x, x, dtype=np.float64))
    else:
        sq_total = float(np.sum(sq_norms, dtype=np.float64))
    total = (sq_total - n * float(mean64 @ mean64)) / (n - 1)
    if keep_subspace:
        y += (mean64 @ basis.astype(np.float64)).astype(np.float32)  # undo the centring
    return PCAResult(
        coords=np.ascontiguousarray(coords),
        components=flipped.astype(np.float32),
        explained_variance=evals,
        explained_variance_ratio=evals / total if total > 0 else np.zeros_like(evals),
        mean=mean64.astype(np.float32),
        subspace=basis if keep_subspace else None,
        subspace_scores=y if keep_subspace else None,
    )


# ----------------------------------------------------------------------------- the method
#: Principal components computed up front (the UI may put any of them on an axis).
COMPONENTS = 10


def pca_coords(result: PCAResult, comps: list[int], dims: int) -> npt.NDArray[np.float32]:
    """Columns ``comps`` of the PCA scores as (N, dims) (zeros where fewer components exist)."""
    n, k = result.coords.shape
    out = np.zeros((n, dims), np.float32)
    for j, c in enumerate(comps[:dims]):
        if c < k:
            out[:, j] = result.coords[:, c]
    return out


def _check(params: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    params = dict(params)
    k = max(inputs.pca().components.shape[0], 1)  # chunked PCAs keep 3 scores, k axes
    comps = list(params.pop("components", range(min(3, k))))
    if params:
        raise ValueError(f"unknown PCA parameter(s) {sorted(params)}; PCA takes components")
    valid = all(
        isinstance(c, (int, np.integer)) and not isinstance(c, bool) and 0 <= c < k for c in comps
    )
    if not 1 <= len(comps) <= 3 or not valid:
        raise ValueError(
            f"components must be up to 3 principal component indices in "
            f"0..{k - 1} (X, Y, Z), got {comps!r}"
        )
    # Fill missing axes with the next unused components (zeros beyond the last one).
    comps = [int(c) for c in comps]
    comps += [c for c in range(COMPONENTS) if c not in comps][: 3 - len(comps)]
    return {"components": comps[:3]}


def _run(inputs: Inputs, params: dict[str, Any]) -> Layout:
    result = inputs.pca()
    comps = list(params["components"])
    axes = np.zeros((len(comps), result.components.shape[1]))
    for j, c in enumerate(comps):
        if c < result.components.shape[0]:
            axes[j] = result.components[c]
    return Layout(pca_coords(result, comps, 3), axes=axes, origin=result.mean)


METHOD = Method(
    name="pca",
    label="PCA",
    kind="instant",
    defaults={"components": [0, 1, 2]},
    check=_check,
    run=_run,
)
