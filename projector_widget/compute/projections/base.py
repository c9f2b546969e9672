"""What a projection method declares about itself: its kind, its parameters and how it runs.

Each module in ``projections/`` ends with one :class:`Method`; ``projections.METHODS`` collects
them, and nothing else in the package or the frontend lists method names (the browser gets
each one's name, label, kind, defaults and choices through ``protocol.spec``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from projector_widget.data.columns import Column
from projector_widget.util.progress import Update
from projector_widget.util.threads import cpu_cores

Kind = Literal["instant", "iterative"]

#: The largest seed a layout accepts (native libraries take a 32-bit seed).
SEED_MAX = 2**31 - 1


def _is_real(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _finite(value: object) -> bool:
    """Whether ``value`` is a real number a float holds finitely (not an int past its range)."""
    try:
        return _is_real(value) and math.isfinite(float(value))  # type: ignore[arg-type]
    except OverflowError:
        return False


def real_param(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    extra: str = "",
) -> float:
    """``value`` as a finite float within [low, high] (``low_open``: above low); ValueError."""
    ok = _finite(value)
    v = float(value) if ok else math.nan  # type: ignore[arg-type]
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v <= high
    if not ok:
        lo = "" if low is None else (f"above {low:g}" if low_open else f"at least {low:g}")
        hi = "" if high is None else f"at most {high:g}"
        rule = " and ".join(r for r in (lo, hi) if r)
        raise ValueError(
            f"{name} must be a finite number{' ' + rule if rule else ''}{' ' + extra if extra else ''}"
            f", got {value!r}"
        )
    return v


def int_param(name: str, value: object, *, low: int, high: int) -> int:
    """``value`` as an int within [low, high] (a float only when integral); ValueError."""
    ok = _is_real(value)
    if ok and not isinstance(value, (int, np.integer)):
        ok = _finite(value) and float(value).is_integer()  # type: ignore[arg-type]
    v = int(value) if ok else 0  # type: ignore[call-overload]
    if not ok or not low <= v <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return v


def n_jobs_param(name: str, value: object) -> int:
    """A thread count: -1 (every core) or a whole number from 1; ValueError otherwise."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if value == -1 or value >= 1:
            return int(value)
    raise ValueError(f"{name} must be -1 (every core) or an int from 1 (threads), got {value!r}")


def threads(n_jobs: int) -> int:
    """The threads ``n_jobs`` means: -1 is :func:`cpu_cores`."""
    return cpu_cores() if n_jobs == -1 else n_jobs


def dims_param(what: str, value: object) -> int:
    """2 or 3 (the layout's dimensions); ValueError otherwise."""
    if not _is_real(value) or value not in (2, 3):
        raise ValueError(f"{what} dims must be 2 or 3, got {value!r}")
    return int(value)


def prepared_input(
    x: npt.NDArray[np.float32], what: str, *, centre: bool = True
) -> npt.NDArray[np.float32]:
    """``x`` (centred unless not ``centre``) scaled to a largest absolute value of 1.

    Neighbour-based layouts do not depend on the scale of the data, but their native code does:
    squared distances that overflow or underflow float32 (values near 1e19 or 1e-20) give NaN
    affinities and crash it. Rows that are all equal (all zero, without centring) cannot be laid
    out: ValueError. Angular metrics keep the rows uncentred (centring changes their angles).
    """
    out = x - x.mean(axis=0, dtype=np.float64).astype(np.float32) if centre else x.copy()
    spread = float(np.max(np.abs(out))) if out.size else 0.0
    if not spread > 0 or not math.isfinite(spread):
        same = "identical" if centre else "zero"
        raise ValueError(
            f"{what} needs points that differ: all {x.shape[0]} rows are {same}, so there is "
            "no neighbourhood structure to lay out"
        )
    out /= np.float32(spread)
    return np.ascontiguousarray(out, dtype=np.float32)


def finite_layout(layout: npt.NDArray[np.float32], what: str) -> npt.NDArray[np.float32]:
    """``layout`` when every coordinate is finite; ValueError otherwise (never NaN on screen)."""
    if not np.all(np.isfinite(layout)):
        raise ValueError(
            f"{what} produced non-finite coordinates on these rows (degenerate data: too few "
            "distinct points?); try PCA, or isolate rows that differ"
        )
    return layout


@dataclass(frozen=True)
class PCAResult:
    """Scores and components of a PCA.

    Attributes
    ----------
    coords:
        (N, k) float32 scores: each row projected on the first k principal axes.
    components:
        (k, D) float32 unit vectors, the principal axes.
    explained_variance:
        (k,) variance along each axis.
    explained_variance_ratio:
        (k,) fraction of the total variance along each axis.
    mean:
        (D,) float32 mean row that was subtracted.
    subspace:
        With ``keep_subspace=True`` on the iterative path: (D, w) float32 orthonormal basis of
        the subspace the components were taken from (w = k + oversample), else None.
    subspace_scores:
        (N, w) float32 ``x @ subspace`` (not centred) when ``subspace`` is kept, else None: the
        nearest-neighbour sketch (``neighbours.make_sketch``) reuses it instead of another pass.
    """

    coords: npt.NDArray[np.float32]
    components: npt.NDArray[np.float32]
    explained_variance: npt.NDArray[np.float64]
    explained_variance_ratio: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float32]
    subspace: npt.NDArray[np.float32] | None = None
    subspace_scores: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Inputs:
    """What a projection sees: the matrix, the shown rows and what the session knows of them.

    Attributes
    ----------
    values:
        (N, D) float32: every row as projections see it (spherized when asked).
    subset:
        Indices of the rows shown, or None when every row is shown (isolation).
    pca:
        Returns the PCA of the shown rows (computed once, cached by the session).
    columns:
        The metadata columns of every row.
    """

    values: npt.NDArray[np.float32]
    subset: npt.NDArray[np.int64] | None
    pca: Callable[[], PCAResult]
    columns: list[Column]

    def rows(self) -> npt.NDArray[np.float32]:
        """The shown rows, C-contiguous (a copy while a subset is isolated)."""
        if self.subset is None:
            return self.values
        return np.ascontiguousarray(self.values[self.subset])


@dataclass(frozen=True)
class Layout:
    """An instant projection's result: coordinates of the shown rows and, for a linear method,
    the (k, D) axes that place a new vector (``axes @ (v - origin)``)."""

    coords: npt.NDArray[np.float32]
    axes: npt.NDArray[np.float64] | None = None
    origin: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Hooks:
    """Callbacks of an iterative layout.

    ``frame(iteration, total, layout)`` shows an intermediate layout and returns True to stop;
    ``progress(update)`` reports a phase (a :class:`~projector_widget.util.progress.Update`, best
    sent through a :class:`~projector_widget.util.progress.Reporter`; it raises ``progress.Stopped`` to
    stop); ``preview`` is what is on screen, shown as the run's first frame.
    """

    frame: Callable[[int, int, npt.NDArray[np.float32]], bool]
    progress: Callable[[Update], None]
    preview: npt.NDArray[np.float32] | None = None


InstantRun = Callable[[Inputs, dict[str, Any]], Layout]
IterativeRun = Callable[[npt.NDArray[np.float32], dict[str, Any], Hooks], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Method:
    """One projection method.

    Attributes
    ----------
    name, label:
        Its name in the API (``w.project(name)``) and in the UI.
    kind:
        'instant' (computed in the call) or 'iterative' (a background job that streams
        progress, and whose ``dims`` parameter sets the widget's dimensions).
    defaults:
        Default parameters (shown in the UI).
    choices:
        The allowed values of choice-valued parameters.
    check:
        ``check(params, inputs)`` merges ``params`` over the defaults and validates them;
        ValueError says what is wrong and how to fix it.
    run:
        An :data:`InstantRun` or an :data:`IterativeRun`, after ``kind``.
    streams_frames:
        An iterative method that shows intermediate layouts (its last frame is the result, so
        the result is shown without a transition).
    aliases:
        Other names a parameter is known by in the scientific Python ecosystem (scikit-learn,
        umap-learn: ``random_state``, ``n_components``, ``max_iter``), mapped to ours.
    needs:
        Raises :class:`~projector_widget.util.extras.MissingExtra` when the library the method
        runs on is not installed (without importing it): checked before anything changes.
    """

    name: str
    label: str
    kind: Kind
    defaults: dict[str, Any]
    check: Callable[[dict[str, Any], Inputs], dict[str, Any]]
    run: Any
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    streams_frames: bool = False
    aliases: dict[str, str] = field(default_factory=dict)
    needs: Callable[[], None] = lambda: None

    def canonical(self, params: dict[str, Any]) -> dict[str, Any]:
        """``params`` with ecosystem names renamed to ours; ValueError when both are given."""
        out = dict(params)
        for alias, name in self.aliases.items():
            if alias in out:
                if name in out:
                    raise ValueError(
                        f"{self.label}: give {name!r} or its alias {alias!r}, not both"
                    )
                out[name] = out.pop(alias)
        return out

    @property
    def iterative(self) -> bool:
        """Whether the method runs as a background job."""
        return self.kind == "iterative"
