"""What a projection method declares about itself: its kind, its parameters and how it runs.

Each module in ``projections/`` ends with one :class:`Method`; ``projections.METHODS`` collects
them, and nothing else in the package or the frontend lists method names (the browser gets
:meth:`Method.describe` through ``protocol.spec``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ..inputs import Column

if TYPE_CHECKING:
    from .pca import PCAResult

Kind = Literal["instant", "iterative"]


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
    ``progress(done, total, message)`` reports a step (it raises ``jobs.Stopped`` to stop);
    ``preview`` is what is on screen, shown as the run's first frame.
    """

    frame: Callable[[int, int, npt.NDArray[np.float32]], bool]
    progress: Callable[[int, int, str], None]
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
    """

    name: str
    label: str
    kind: Kind
    defaults: dict[str, Any]
    check: Callable[[dict[str, Any], Inputs], dict[str, Any]]
    run: Any
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    streams_frames: bool = False

    @property
    def iterative(self) -> bool:
        """Whether the method runs as a background job."""
        return self.kind == "iterative"

    def describe(self) -> dict[str, Any]:
        """The JSON description the browser builds its controls from."""
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "defaults": dict(self.defaults),
            "choices": {k: list(v) for k, v in self.choices.items()},
        }
